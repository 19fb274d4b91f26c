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

test("a file line shows id, name and size; a deleted file says so; a hostile name stays inert", (t) => {
  const file = { id: 7, chatId: 1, name: "report.pdf", size: 1536, sha256: "a".repeat(64), sender: "bob", senderId: 2, createdAt: "2026-11-21T10:00:00.000Z" };
  const plain = (e: HistoryEntry[]) => layoutHistory(e, 80, { hasOlder: false, loadingOlder: false, hasNewer: false }).map((l) => l.text.replace(/\{[^}]*\}/g, ""));
  const shared = plain([{ kind: "message", own: false, message: msg(1, 1, 2, "report.pdf", { kind: "file", file, sender: "bob" }) }]);
  t.regex(shared.at(-1)!, /<bob> \[file #7\] report\.pdf \(1\.50 KiB\)$/);
  const gone = plain([{ kind: "message", own: false, message: msg(2, 1, 2, "report.pdf", { kind: "file", sender: "bob" }) }]);
  t.regex(gone.at(-1)!, /<bob> \[file\] report\.pdf \(no longer available\)$/);
  const evil = layoutHistory([{ kind: "message", own: false, message: msg(3, 1, 2, "x", { kind: "file", file: { ...file, name: "a\u001b[2J{bold}.txt" } }) }], 80, { hasOlder: false, loadingOlder: false, hasNewer: false });
  t.false(evil.some((l) => l.text.includes("\u001b")));
  t.true(evil.some((l) => l.text.includes("{open}bold{close}")));
});
