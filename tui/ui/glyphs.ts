// Text the terminal can draw cell for cell: grapheme clusters blessed cannot measure get a
// fallback whose width every terminal agrees on, and an ASCII form for non-UTF-8 locales.

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

const ZWJ = "\u200d";
const isRegional = (cp: number) => cp >= 0x1f1e6 && cp <= 0x1f1ff;
const isSkinTone = (cp: number) => cp >= 0x1f3fb && cp <= 0x1f3ff;
const isVariation = (cp: number) => cp === 0xfe0e || cp === 0xfe0f;
const isTag = (cp: number) => cp >= 0xe0020 && cp <= 0xe007f;
const PICTO = /\p{Extended_Pictographic}/u;

/**
 * One grapheme cluster as something whose cell count is the same in blessed and in the
 * terminal. Terminals disagree about emoji sequences (tmux 3.3 draws 👍🏽 four cells wide and
 * ❤️ one, kitty two and two), so:
 *  - ZWJ sequences lose the joiners: 👩‍💻 -> 👩💻 (two emoji, two cells each, everywhere);
 *  - skin-tone modifiers, VS15/VS16 and tag characters after a base are dropped: 👍🏽 -> 👍, ❤️ -> ❤;
 *  - a flag (two regional indicators) becomes its letters: 🇺🇦 -> [UA];
 *  - a base with combining marks is composed (NFC) where Unicode can; otherwise the marks stay
 *    on their base (blessed and terminals both put them in the base's cell).
 */
export function safeCluster(cluster: string): string {
  if (cluster.length === 1) return cluster;
  const cps = [...cluster].map((c) => c.codePointAt(0)!);
  if (cps.length === 1) return isRegional(cps[0]!) ? `[${String.fromCharCode(0x41 + cps[0]! - 0x1f1e6)}]` : cluster;
  if (cps.length === 2 && isRegional(cps[0]!) && isRegional(cps[1]!)) {
    return `[${cps.map((c) => String.fromCharCode(0x41 + c - 0x1f1e6)).join("")}]`;
  }
  if (PICTO.test(cluster) || cps.some((c) => isVariation(c) || isSkinTone(c) || isTag(c) || isRegional(c))) {
    let out = "";
    cps.forEach((cp, i) => {
      if (i > 0 && (isVariation(cp) || isTag(cp) || (isSkinTone(cp) && !isSkinTone(cps[i - 1]!)))) return;
      const ch = String.fromCodePoint(cp);
      if (ch === ZWJ) return;
      out += ch;
    });
    return out || cluster;
  }
  const nfc = cluster.normalize("NFC");
  return nfc;
}

const NEEDS_WORK = /[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u200d\ufe0e\ufe0f\u20d0-\u20ff]|[\u{10000}-\u{10ffff}]|\p{M}/u;

/** Every cluster of `text` made safe (see safeCluster); plain text is returned as is. */
export function safeText(text: string): string {
  if (!NEEDS_WORK.test(text)) return text;
  let out = "";
  for (const { segment } of segmenter.segment(text)) out += safeCluster(segment);
  return out;
}

// The client's own glyphs and their ASCII forms (same width, so layout does not change),
// except the ellipsis, which is three dots as people write it.
const ASCII_GLYPHS: Record<string, string> = {
  "─": "-", "━": "-", "│": "|", "┃": "|", "┌": "+", "┐": "+", "└": "+", "┘": "+", "├": "+", "┤": "+", "┬": "+", "┴": "+", "┼": "+",
  "●": "*", "○": "o", "◌": "o", "•": "*", "·": ".", "…": "...", "⏎": "|", "↑": "^", "↓": "v", "█": "#", "░": ".",
  "←": "<", "→": ">", "✓": "v", "“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "\u00a0": " ",
};

/**
 * ASCII for a terminal that is not UTF-8: the client's glyphs by their ASCII forms, letters
 * with accents without them (é -> e), and anything else as a visible code (д -> <U+0434>),
 * never "?", so nothing the user typed or received is silently lost.
 */
export function toAscii(text: string): string {
  if (!/[^\u0000-\u007f]/.test(text)) return text;
  let out = "";
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) {
      out += ch;
      continue;
    }
    const glyph = ASCII_GLYPHS[ch];
    if (glyph !== undefined) {
      out += glyph;
      continue;
    }
    const stripped = ch.normalize("NFD").replace(/\p{M}/gu, "");
    if (stripped && /^[\u0020-\u007e]+$/.test(stripped)) {
      out += stripped;
      continue;
    }
    out += `<U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}>`;
  }
  return out;
}

/** Text as this screen draws it: unchanged (Unicode) or in ASCII. */
export const forScreen = (ascii: boolean | undefined, text: string): string => (ascii ? toAscii(text) : text);
