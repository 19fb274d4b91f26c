// The in-memory presence's connection reservations: the per-account cap is one check-and-take.
import test from "ava";
import type { Notifier } from "./ports.js";
import { createPresenceService } from "./presence.js";

const silent = { toAll: () => {}, toPresence: () => {} } as unknown as Notifier;

test("concurrent reservations for one account admit exactly the cap, and a release frees one place", async (t) => {
  const presence = createPresenceService({ notifier: silent });
  const results = await Promise.all(Array.from({ length: 15 }, (_, i) => presence.reserve(7, `s${i}`, 10)));
  t.is(results.filter(Boolean).length, 10);
  t.false(await presence.reserve(7, "late", 10));
  t.true(await presence.reserve(8, "other-account", 10), "another account has its own places");
  await presence.release(7, "s0");
  await presence.release(7, "s0");
  t.true(await presence.reserve(7, "again", 10), "a released place is free again");
  t.false(await presence.reserve(7, "one-more", 10), "releasing twice freed only one place");
  await presence.release(7, "never-reserved");
  t.false(await presence.reserve(7, "still-full", 10), "releasing a socket that held nothing frees nothing");
});

// Coalescing: a burst of connects is one batch per tick to every protocol 2 socket.
function recorder() {
  const sent: { version: number; event: string; payload: any }[] = [];
  const notifier = { toAll: () => {}, toPresence: (version: number, event: string, payload: unknown) => sent.push({ version, event, payload }) } as unknown as Notifier;
  return { sent, notifier };
}
const user = (id: number) => ({ id, nick: `u${String(id).padStart(4, "0")}`, role: "user" as const });

test("a burst of connects gives protocol 2 one batch with all of them; protocol 1 keeps one update per user", async (t) => {
  const { sent, notifier } = recorder();
  const presence = createPresenceService({ notifier, options: { threshold: 100, tickMs: 50 } });
  for (let i = 1; i <= 40; i++) await presence.connect(user(i), `s${i}`);
  await presence.connect(user(1), "second-socket");
  await presence.disconnect(user(2), "s2");
  await presence.flush();
  const batches = sent.filter((s) => s.event === "presence:batch");
  t.is(batches.length, 1, "one batch for the whole burst");
  t.true(batches.every((b) => b.version === 2));
  t.is(batches[0]!.payload.online.length, 39, "everyone online at the end of the tick, the second socket not again");
  t.deepEqual(batches[0]!.payload.offline.map((u: { id: number }) => u.id), [2], "online then offline in one tick: offline");
  t.is(batches[0]!.payload.count, 39);
  t.false(batches[0]!.payload.summary);
  const updates = sent.filter((s) => s.event === "presence:update");
  t.is(updates.length, 41, "protocol 1: one update per first and last socket, as before");
  t.true(updates.every((u) => u.version === 1));
  await presence.close();
});

test("above the threshold a batch carries only the count, and pages walk every online user once", async (t) => {
  const { sent, notifier } = recorder();
  const presence = createPresenceService({ notifier, options: { threshold: 10, tickMs: 20 } });
  for (let i = 1; i <= 25; i++) await presence.connect(user(i), `s${i}`);
  await presence.flush();
  const batch = sent.find((s) => s.event === "presence:batch")!.payload;
  t.deepEqual(batch, { online: [], offline: [], count: 25, summary: true });
  const seen: string[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 10; pages++) {
    const page = await presence.onlinePage(after, 7);
    t.is(page.count, 25);
    seen.push(...page.users.map((u) => u.nick));
    if (page.next === null) break;
    after = page.next;
  }
  t.deepEqual(seen, Array.from({ length: 25 }, (_, i) => user(i + 1).nick), "every user once, by nick");
  // The count is exact at once; the large list catches up within a tick.
  await presence.disconnect(user(3), "s3");
  t.is(await presence.onlineCount(), 24);
  await new Promise((r) => setTimeout(r, 40));
  const all = await presence.onlinePage(undefined, 500);
  t.false(all.users.some((u) => u.id === 3));
  t.is(all.next, null);
  await presence.close();
});
