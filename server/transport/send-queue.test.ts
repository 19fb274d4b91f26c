// The send queue on its own, over a fake limit whose windows the test ends.
import test from "ava";
import type { LimitKind, LimitResult, Limits } from "./limits.js";
import { createSendQueue, type Turn } from "./send-queue.js";

/** A limit of `points` per window that the test ends by calling `next()`. */
function fakeLimits(points: number) {
  let left = points;
  const windowMs = 50;
  const limits: Limits = {
    async consume(_kind: LimitKind, _key: string): Promise<LimitResult> {
      if (left > 0) {
        left--;
        return { ok: true };
      }
      return { ok: false, retryAfterMs: windowMs };
    },
    async reset() {},
    async refund() {},
  };
  return { limits, next: () => void (left = points) };
}

const send = (bytes = 10, gone = () => false) => ({ bytes, gone });

test("sends over the limit wait and run in order as points come back; past the bounds they are refused", async (t) => {
  const { limits, next } = fakeLimits(2);
  const q = createSendQueue({ limits, bounds: { messages: 3, bytes: 1000 } });
  const order: number[] = [];
  const turns = Array.from({ length: 6 }, (_, i) =>
    q.turn("a", send()).then((turn: Turn) => {
      if (turn.ok) {
        order.push(i);
        turn.done();
      }
      return turn;
    }),
  );
  const [t0, t1, t2, t3, t4, t5] = turns;
  t.like(await t0, { ok: true, queued: false });
  t.like(await t1, { ok: true, queued: false });
  t.like(await t5, { ok: false, reason: "full" }, "the sixth finds three waiting");
  t.is(q.queued(), 3);
  const more = await q.turn("a", send());
  t.like(more, { ok: false, reason: "full" });
  t.true(!more.ok && more.reason === "full" && more.retryAfterMs <= 50);
  next();
  t.like(await t2, { ok: true, queued: true });
  t.like(await t3, { ok: true, queued: true });
  next();
  t.like(await t4, { ok: true, queued: true });
  t.deepEqual(order, [0, 1, 2, 3, 4]);
  t.like(await q.turn("b", send()), { ok: true }, "another account has its own queue");
});

test("the byte bound counts what waits; a gone sender's sends are dropped; drain refuses the rest", async (t) => {
  const { limits } = fakeLimits(0);
  const q = createSendQueue({ limits, bounds: { messages: 10, bytes: 100 } });
  let gone = false;
  const a = q.turn("a", send(60, () => gone));
  const b = q.turn("a", send(60));
  t.like(await b, { ok: false, reason: "full" }, "120 bytes would wait");
  const c = q.turn("a", send(30));
  gone = true;
  q.drain();
  t.like(await a, { ok: false, reason: "gone" });
  t.like(await c, { ok: false, reason: "draining" });
  t.like(await q.turn("a", send()), { ok: false, reason: "draining" });
  t.is(q.queued(), 0);
});
