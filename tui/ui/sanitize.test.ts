import test from "ava";
import { escapeTags, safe, sanitizeLine, sanitizeLines } from "./sanitize.js";

const hostile = [
  "\x1b]0;pwned\x07\x1b[2J",
  "\x1b[31mred\x1b[0m",
  "\x1bP+q544e\x1b\\",
  "\x1b]52;c;ZXZpbA==\x07",
  "\x9b31m",
  "\x1bc",
  "bell\x07 backspace\x08 nul\x00 del\x7f",
  "bidi \u202Eevil\u202C",
  "\x1b[",
];

test("no escape or control character survives sanitising", (t) => {
  for (const h of hostile) {
    const out = sanitizeLine(h);
    t.false(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/.test(out), JSON.stringify(h));
  }
});

test("escape sequences are shown as visible caret text, not dropped", (t) => {
  t.is(sanitizeLine("\x1b]0;pwned\x07\x1b[2J"), "^[]0;pwned^G^[[2J");
  t.is(sanitizeLine("\x1b[31mred\x1b[0m"), "^[[31mred^[[0m");
  t.is(sanitizeLine("a\x00b\x7fc"), "a^@b^?c");
  t.is(sanitizeLine("x\u202Ey"), "x\ufffdy");
});

test("ordinary text, Cyrillic, emoji and CJK pass unchanged", (t) => {
  for (const s of ["hello world", "Привет, мир", "🙂 ok 👍", "漢字テスト", "naïve café"]) t.is(sanitizeLine(s), s);
  // A skin tone is dropped (terminals disagree about its width; see glyphs.ts).
  t.is(sanitizeLine("ok 👍🏽"), "ok 👍");
});

test("tabs and line breaks cannot break the layout", (t) => {
  t.is(sanitizeLine("a\tb"), "a    b");
  t.is(sanitizeLine("one\ntwo\r\nthree"), "one ⏎ two ⏎ three");
  t.deepEqual(sanitizeLines("one\ntwo\x1b[2J"), ["one", "two^[[2J"]);
});

test("blessed tags in user text are escaped", (t) => {
  t.is(escapeTags("{bold}x{/bold}"), "{open}bold{close}x{open}/bold{close}");
  t.is(safe("{red-fg}\x1b[2J"), "{open}red-fg{close}^[[2J");
});
