import test from "ava";
import { ABANDONED, createScryptHasher, limiter } from "./password.js";

test("the production setting hashes with scrypt N=2^17, r=8, p=1 and verifies", async (t) => {
  const hasher = createScryptHasher();
  const hash = await hasher.hash("correct horse battery");
  t.regex(hash, /^scrypt\$17\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
  t.true(await hasher.verify("correct horse battery", hash));
  t.false(await hasher.verify("correct horse batterY", hash));
});

test("hashes are salted, keep their parameters and reject malformed stored values", async (t) => {
  const hasher = createScryptHasher({ logN: 10 });
  const [a, b] = await Promise.all([hasher.hash("same password"), hasher.hash("same password")]);
  t.not(a, b);
  t.true(await hasher.verify("same password", a));
  // A hash made with other parameters still verifies.
  t.true(await createScryptHasher({ logN: 11 }).verify("same password", a));
  for (const bad of ["", "plain", "scrypt$40$8$1$AAAA$AAAA", "bcrypt$10$x$y$z$w", "scrypt$10$8$1$AAAA$"]) {
    t.false(await hasher.verify("same password", bad), bad);
  }
});

test("the limiter lets at most N tasks run at once and runs them all", async (t) => {
  const run = limiter(2);
  let active = 0;
  let peak = 0;
  const task = (i: number) =>
    run(async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 10));
      active--;
      return i;
    });
  const results = await Promise.all(Array.from({ length: 7 }, (_, i) => task(i)));
  t.deepEqual(results, [0, 1, 2, 3, 4, 5, 6]);
  t.is(peak, 2);
  await t.throwsAsync(run(async () => { throw new Error("boom"); }), { message: "boom" });
  t.is(await task(9), 9, "a failed task releases its slot");
});

test("the limiter's queue is bounded: a task arriving at a full queue is refused at once with a retry hint", async (t) => {
  const run = limiter(1, { maxQueue: 2 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const ran: number[] = [];
  const task = (i: number) => run(async () => (ran.push(i), i === 0 ? gate : undefined));
  const running = [task(0), task(1), task(2)];
  await t.throwsAsync(task(3), { message: /^The server is busy checking other passwords; try again in \d+ s\.$/ });
  t.like(run.stats(), { active: 1, queued: 2, refused: 1, peakQueued: 2 });
  release();
  await Promise.all(running);
  t.deepEqual(ran, [0, 1, 2]);
  t.like(run.stats(), { hashed: 3, active: 0, queued: 0 });
});

test("a task whose signal fires while it waits never runs, and one aborted before it arrives is not queued", async (t) => {
  const run = limiter(1);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const ran: string[] = [];
  const first = run(async () => (ran.push("first"), gate));
  const controller = new AbortController();
  const waiting = run(async () => void ran.push("abandoned"), controller.signal);
  const after = run(async () => void ran.push("after"));
  controller.abort();
  await t.throwsAsync(waiting, { message: ABANDONED });
  await t.throwsAsync(run(async () => void ran.push("never"), AbortSignal.abort()), { message: ABANDONED });
  release();
  await Promise.all([first, after]);
  t.deepEqual(ran, ["first", "after"], "the abandoned tasks never ran; the one behind them did");
  t.like(run.stats(), { hashed: 2, abandoned: 2 });
});
