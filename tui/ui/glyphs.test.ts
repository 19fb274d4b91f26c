import test from "ava";
import { safeCluster, safeText, toAscii } from "./glyphs.js";
import { sanitizeLine } from "./sanitize.js";
import { strWidth } from "./text.js";

test("emoji sequences get a form every terminal draws with the same width", (t) => {
  t.is(safeText("a 👩‍💻 b"), "a 👩💻 b", "ZWJ sequence: its emoji, without joiners");
  t.is(safeText("🇺🇦"), "[UA]", "a flag: its letters");
  t.is(safeText("👍🏽"), "👍", "skin tone dropped");
  t.is(safeText("❤️"), "❤", "VS16 dropped");
  t.is(safeText("e\u0301"), "é", "composed where Unicode can");
  t.is(safeCluster("ب\u0650"), "ب\u0650", "a mark without a composed form stays on its base");
  t.is(strWidth(safeText("👩‍💻🇺🇦👍🏽❤️")), 4 + 4 + 2 + 1);
  t.is(sanitizeLine("👩‍💻"), "👩💻", "not U+FFFD for the joiner");
  t.is(sanitizeLine("a\u200db"), "a\ufffdb", "a joiner outside an emoji sequence is still flagged");
});

test("ASCII mode: glyphs by ASCII forms, accents dropped, anything else as a visible code, never ?", (t) => {
  t.is(toAscii("┌─┐│● ○…"), "+-+|* o...");
  t.is(toAscii("café naïve"), "cafe naive");
  t.is(toAscii("да"), "<U+0434><U+0430>");
  t.is(toAscii("漢"), "<U+6F22>");
  t.false(toAscii("Привет 😀 漢字").includes("?"));
});
