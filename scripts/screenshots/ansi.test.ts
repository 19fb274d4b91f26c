// The capture-to-HTML conversion the guide's pictures go through, on captures shaped like tmux's.
import test from "ava";
import { applySgr, paletteColour, parseCapture, screenToHtml } from "./ansi.js";

const ESC = "\x1b";

test("SGR sequences set and reset colours, bold, underline and reverse as tmux writes them", (t) => {
  const screen = parseCapture(`${ESC}[1mab${ESC}[0m${ESC}[39m${ESC}[49m ${ESC}[38;5;245mc${ESC}[39m${ESC}[7md`, 6, 1);
  const [a, b, space, c, d, pad] = screen.rows[0]!;
  t.true(a!.style.bold && b!.style.bold);
  t.false(space!.style.bold);
  t.is(c!.style.fg, paletteColour(245));
  t.is(d!.style.fg, null);
  t.true(d!.style.reverse);
  t.false(pad!.style.reverse, "a row tmux cut short is padded with plain blanks");
});

test("256-colour and true-colour parameters take their arguments and leave the next parameter alone", (t) => {
  const s = applySgr(applySgr({ fg: null, bg: null, bold: false, dim: false, italic: false, underline: false, reverse: false, strike: false, hidden: false }, "38;5;196;1"), "48;2;10;20;30;4");
  t.is(s.fg, paletteColour(196));
  t.is(s.bg, "rgb(10, 20, 30)");
  t.true(s.bold);
  t.true(s.underline);
  t.is(paletteColour(196), "#ff0000");
  t.is(paletteColour(232), "#080808");
  t.is(paletteColour(16), "#000000");
});

test("a wide character takes two columns and a combining mark stays on its letter, so rows keep the pane's width", (t) => {
  const screen = parseCapture("a🍜b\ne\u0301x\n", 6, 3);
  const widths = screen.rows.map((r) => r.reduce((n, c) => n + c.width, 0));
  t.deepEqual(widths, [6, 6, 6]);
  t.is(screen.rows[0]![1]!.ch, "🍜");
  t.is(screen.rows[0]![1]!.width, 2);
  t.is(screen.rows[1]![0]!.ch, "e\u0301");
  t.is(screen.rows[1]![1]!.ch, "x");
});

test("the HTML places every span at its column, escapes text, and boxes characters outside ASCII", (t) => {
  const html = screenToHtml(parseCapture(`<b>&${ESC}[31m│${ESC}[0m中z`, 8, 1));
  t.true(html.includes("&lt;b&gt;&amp;"), "markup in a message is text");
  t.notRegex(html, /<b>/);
  t.regex(html, /<span class="c box" style="left:4ch;color:#cc0000">│<\/span>/);
  t.regex(html, /<span class="c w2" style="left:5ch;[^"]*">中<\/span>/);
  t.regex(html, /<span style="left:7ch;[^"]*">z<\/span>/);
});

test("the cursor is drawn as a reversed cell where tmux says it is", (t) => {
  const html = screenToHtml(parseCapture("ab", 3, 1, { x: 1, y: 0 }));
  t.regex(html, /left:1ch;color:#1c1c1c;background:#d7d7d7">b</);
});
