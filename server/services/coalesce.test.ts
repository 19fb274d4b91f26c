// The coalescer: concurrent lookups share one read, and none is answered by a read issued before it.
import test from "ava";
import { createCoalescer } from "./coalesce.js";

/** A load whose reads are released by hand, recording the keys of each and the "database" state it saw. */
function manualLoad() {
  const reads: { keys: number[]; release: () => void; fail: (e: Error) => void }[] = [];
  let state = 0;
  const load = (keys: number[]) =>
    new Promise<Map<number, string>>((resolve, reject) => {
      const seen = state;
      reads.push({ keys, release: () => resolve(new Map(keys.map((k) => [k, `${k}@${seen}`]))), fail: reject });
    });
  const until = async (n: number) => {
    while (reads.length < n) await new Promise((r) => setImmediate(r));
  };
  return { reads, load, until, write: () => state++ };
}

test("lookups made while a read is under way share the next read, which is issued after it ends", async (t) => {
  const m = manualLoad();
  const get = createCoalescer(m.load, { max: 100 });
  const first = get(1);
  await m.until(1);
  t.deepEqual(m.reads[0]!.keys, [1]);
  // Written before these are asked for: the read under way may predate it, theirs may not.
  m.write();
  const later = [get(2), get(3), get(1)];
  await new Promise((r) => setImmediate(r));
  t.is(m.reads.length, 1, "no second read while the first is under way");
  m.reads[0]!.release();
  t.is(await first, "1@0");
  await m.until(2);
  t.deepEqual(m.reads[1]!.keys, [2, 3, 1], "one read for all three, the repeated key once");
  m.reads[1]!.release();
  t.deepEqual(await Promise.all(later), ["2@1", "3@1", "1@1"]);
});

test("a read holds at most max keys; a failed read fails only its own lookups; missing keys answer undefined", async (t) => {
  const m = manualLoad();
  const get = createCoalescer(m.load, { max: 2 });
  const a = get(1);
  await m.until(1);
  const b = [get(2), get(3), get(4)];
  m.reads[0]!.fail(new Error("database down"));
  await t.throwsAsync(a, { message: "database down" });
  await m.until(2);
  t.deepEqual(m.reads[1]!.keys, [2, 3]);
  m.reads[1]!.release();
  await m.until(3);
  t.deepEqual(m.reads[2]!.keys, [4]);
  m.reads[2]!.release();
  t.deepEqual(await Promise.all(b), ["2@0", "3@0", "4@0"]);

  const sparse = createCoalescer(async (keys: number[]) => new Map(keys.filter((k) => k !== 9).map((k) => [k, k])), { max: 10 });
  t.deepEqual(await Promise.all([sparse(8), sparse(9)]), [8, undefined]);
});
