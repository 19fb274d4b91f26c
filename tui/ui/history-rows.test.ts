import test from "ava";
import { buildRow, cachedRow, cachedRows, rowSet, type Row } from "./history-rows.js";

const screen = { fullUnicode: true, tabc: "    ", attrCode: (_code: string, cur: number) => cur + 1, lines: [] };

test("a row is the line's cells cut to the width, escapes applied, wide characters followed by their filler cell", (t) => {
  const row = buildRow(screen, "a\x1b[31mb世\x1b[39m\tcdefgh", 8, 100);
  t.deepEqual(row.chars, ["a", "b", "世", "\x03", " ", " ", " ", " "]);
  t.deepEqual([...row.attrs], [100, 101, 101, 101, 102, 102, 102, 102]);
  t.true(row.wide);
  t.false(buildRow(screen, "plain", 8, 100).wide);
});

test("rows are shared per look and line, and the process keeps a bounded number of them", (t) => {
  const set = rowSet("test|look");
  let made = 0;
  const make = (line: string): Row => (made++, buildRow(screen, line, 4, 0));
  const first = cachedRow(set, "same line", make);
  t.is(cachedRow(rowSet("test|look"), "same line", make), first);
  t.is(made, 1);
  const { max } = cachedRows();
  for (let i = 0; i < max + 100; i++) cachedRow(set, `line ${i}`, make);
  t.true(cachedRows().count <= max);
  t.true(set.has(`line ${max + 99}`), "the newest rows stay");
  t.false(set.has("same line"), "the oldest went first");
});
