import test from "ava";
import { createScryptHasher, limiter } from "./password.js";

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
