import test from "ava";
import type { HistoryEntry } from "../state/selectors.js";
import { msg } from "../state/fixtures.js";
import { anchorAt, layoutHistory, moveAnchor, padTo, strWidth, topIndex, truncate, wrap } from "./text.js";

test("widths: CJK and emoji take two cells, Cyrillic one", (t) => {
  t.is(strWidth("abc"), 3);
  t.is(strWidth("Привет"), 6);
  t.is(strWidth("漢字"), 4);
  t.is(strWidth("😀"), 2);
  t.is(strWidth("✅"), 2);
  t.is(padTo("漢字", 5), "漢字 ");
  t.is(truncate("abcdef", 4), "abc…");
  t.is(strWidth(truncate("漢字漢字", 5)), 5);
});

test("wrapping breaks at spaces, hard-breaks long words and never splits a wide character", (t) => {
  t.deepEqual(wrap("the quick brown fox", 10), ["the quick", "brown fox"]);
  t.deepEqual(wrap("abcdefghijkl", 5), ["abcde", "fghij", "kl"]);
  t.deepEqual(wrap("漢字漢字漢", 5), ["漢字", "漢字", "漢"]);
  for (const line of wrap("😀😀😀 Привет мир 漢字テスト mixed", 7)) t.true(strWidth(line) <= 7, line);
  t.deepEqual(wrap("", 10), [""]);
});

const entries = (n: number): HistoryEntry[] => Array.from({ length: n }, (_, i) => ({ kind: "message", message: msg(i + 1, 1, 2, `message ${i + 1}`), own: false }));

test("history layout: a day separator, one line per short message, hanging indent when wrapping", (t) => {
  const lines = layoutHistory(entries(3), 40, { hasOlder: false, loadingOlder: false, hasNewer: false });
  t.is(lines.length, 4);
  t.regex(lines[0]!.text, /November 2026/);
  const long = layoutHistory([{ kind: "message", message: msg(1, 1, 2, "word ".repeat(30)), own: false }], 40, { hasOlder: false, loadingOlder: false, hasNewer: false });
  t.true(long.length > 3);
  t.true(long.slice(2).every((l) => l.text.startsWith(" ".repeat(10))));
  const hostile = layoutHistory([{ kind: "message", message: msg(1, 1, 2, "\x1b]0;pwned\x07\x1b[2J {bold}"), own: false }], 80, { hasOlder: false, loadingOlder: false, hasNewer: false });
  t.false(hostile.some((l) => l.text.includes("\x1b")));
  t.true(hostile[1]!.text.includes("^[]0;pwned^G^[[2J {open}bold{close}"));
});

test("scroll anchors keep the same line at the top when lines are added at the bottom", (t) => {
  const lines = layoutHistory(entries(50), 40, { hasOlder: false, loadingOlder: false, hasNewer: false });
  const height = 10;
  t.is(topIndex(lines, null, height), lines.length - height);
  const up = moveAnchor(lines, null, -15, height);
  t.false(up.atBottom);
  const top = topIndex(lines, up.anchor, height);
  t.is(top, lines.length - height - 15);
  const more = layoutHistory(entries(60), 40, { hasOlder: false, loadingOlder: false, hasNewer: false });
  t.is(topIndex(more, up.anchor, height), top, "new messages do not move what is being read");
  const toTop = moveAnchor(lines, up.anchor, -1000, height);
  t.true(toTop.atTop);
  t.is(topIndex(lines, toTop.anchor, height), 0);
  const back = moveAnchor(lines, up.anchor, 1000, height);
  t.true(back.atBottom);
  t.is(back.anchor, null);
  t.deepEqual(anchorAt(lines, 1), { id: 1, line: 1 });
});
