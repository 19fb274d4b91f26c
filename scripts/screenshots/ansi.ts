// Turns a terminal screen captured with `tmux capture-pane -e -p` (text with SGR sequences)
// into cells and then into HTML that a browser draws with a monospace font, cell for cell.
import { termWidth } from "../../test/helpers/tmux.js";

export type Style = {
  fg: string | null;
  bg: string | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
  reverse: boolean;
  strike: boolean;
  hidden: boolean;
};

export type Cell = { ch: string; width: 1 | 2; style: Style };
export type Screen = { width: number; height: number; rows: Cell[][]; cursor: { x: number; y: number } | null };

const PLAIN: Style = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false, reverse: false, strike: false, hidden: false };

/**
 * The 16 colours of GNOME Terminal's default palette (Tango: xterm's own pure blue is hard to
 * read), then xterm's 6x6x6 cube and greys of 256-colour mode, which every terminal shares.
 */
export function paletteColour(n: number): string {
  const base = [
    "#2e3436", "#cc0000", "#4e9a06", "#c4a000", "#3465a4", "#75507b", "#06989a", "#d3d7cf",
    "#555753", "#ef2929", "#8ae234", "#fce94f", "#729fcf", "#ad7fa8", "#34e2e2", "#eeeeec",
  ];
  if (n < 16) return base[n]!;
  const hex = (v: number) => v.toString(16).padStart(2, "0");
  if (n < 232) {
    const i = n - 16;
    const level = (v: number) => (v === 0 ? 0 : 55 + v * 40);
    return `#${hex(level(Math.floor(i / 36)))}${hex(level(Math.floor(i / 6) % 6))}${hex(level(i % 6))}`;
  }
  const grey = 8 + (n - 232) * 10;
  return `#${hex(grey)}${hex(grey)}${hex(grey)}`;
}

/** Applies one SGR parameter list (the part between `ESC[` and `m`) to a style. */
export function applySgr(style: Style, params: string): Style {
  const s = { ...style };
  const p = params === "" ? [0] : params.split(/[;:]/).map((x) => (x === "" ? 0 : Number(x)));
  for (let i = 0; i < p.length; i++) {
    const n = p[i]!;
    if (n === 0) Object.assign(s, PLAIN);
    else if (n === 1) s.bold = true;
    else if (n === 2) s.dim = true;
    else if (n === 3) s.italic = true;
    else if (n === 4) s.underline = true;
    else if (n === 7) s.reverse = true;
    else if (n === 8) s.hidden = true;
    else if (n === 9) s.strike = true;
    else if (n === 21 || n === 22) (s.bold = false), (s.dim = false);
    else if (n === 23) s.italic = false;
    else if (n === 24) s.underline = false;
    else if (n === 27) s.reverse = false;
    else if (n === 28) s.hidden = false;
    else if (n === 29) s.strike = false;
    else if (n >= 30 && n <= 37) s.fg = paletteColour(n - 30);
    else if (n === 39) s.fg = null;
    else if (n >= 40 && n <= 47) s.bg = paletteColour(n - 40);
    else if (n === 49) s.bg = null;
    else if (n >= 90 && n <= 97) s.fg = paletteColour(n - 90 + 8);
    else if (n >= 100 && n <= 107) s.bg = paletteColour(n - 100 + 8);
    else if (n === 38 || n === 48) {
      // 38;5;n (palette) or 38;2;r;g;b (true colour).
      let colour: string | null = null;
      if (p[i + 1] === 5 && p[i + 2] !== undefined) {
        colour = paletteColour(p[i + 2]! & 255);
        i += 2;
      } else if (p[i + 1] === 2 && p[i + 4] !== undefined) {
        colour = `rgb(${p[i + 2]}, ${p[i + 3]}, ${p[i + 4]})`;
        i += 4;
      }
      if (colour) {
        if (n === 38) s.fg = colour;
        else s.bg = colour;
      }
    }
  }
  return s;
}

/**
 * Parses a capture into rows of cells. A wide character is one cell of width 2 (tmux prints
 * it once, without a padding cell). Capture with -N so rows come whole; a shorter row is padded
 * with plain blanks.
 */
export function parseCapture(text: string, width: number, height: number, cursor: { x: number; y: number } | null = null): Screen {
  const lines = text.replace(/\n$/, "").split("\n");
  const rows: Cell[][] = [];
  let style: Style = { ...PLAIN };
  for (let y = 0; y < height; y++) {
    const line = lines[y] ?? "";
    const row: Cell[] = [];
    let used = 0;
    // eslint-disable-next-line no-control-regex
    const re = /\x1b\[([0-9;:]*)m|\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.|([\s\S])/gu;
    let m: RegExpExecArray | null;
    let pendingMark = "";
    while ((m = re.exec(line))) {
      if (m[1] !== undefined) {
        style = applySgr(style, m[1]);
        continue;
      }
      const ch = m[2];
      if (ch === undefined) continue; // another escape sequence: nothing drawn
      const w = termWidth(ch);
      if (w === 0) {
        // A combining mark or joiner: it belongs to the character before it.
        const last = row.at(-1);
        if (last) last.ch += ch;
        else pendingMark += ch;
        continue;
      }
      row.push({ ch: pendingMark + ch, width: w >= 2 ? 2 : 1, style });
      pendingMark = "";
      used += w >= 2 ? 2 : 1;
    }
    while (used < width) {
      row.push({ ch: " ", width: 1, style: PLAIN });
      used++;
    }
    rows.push(row);
  }
  return { width, height, rows, cursor };
}

export type Theme = { fg: string; bg: string; cursor: string };
export const DARK: Theme = { fg: "#d7d7d7", bg: "#1c1c1c", cursor: "#d7d7d7" };

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Inline CSS for a style, resolving reverse video and the terminal's default colours. */
function css(style: Style, theme: Theme, cursorHere: boolean): string {
  let fg = style.fg ?? theme.fg;
  let bg = style.bg ?? null;
  if (style.reverse !== cursorHere) {
    const f = fg;
    fg = bg ?? theme.bg;
    bg = f;
  }
  const parts = [`color:${fg}`];
  if (bg) parts.push(`background:${bg}`);
  if (style.bold) parts.push("font-weight:bold");
  if (style.dim) parts.push("opacity:0.6");
  if (style.italic) parts.push("font-style:italic");
  const lines = [style.underline ? "underline" : "", style.strike ? "line-through" : ""].filter(Boolean);
  if (lines.length) parts.push(`text-decoration:${lines.join(" ")}`);
  if (style.hidden) parts.push("visibility:hidden");
  return parts.join(";");
}

const sameStyle = (a: Style, b: Style) =>
  a.fg === b.fg && a.bg === b.bg && a.bold === b.bold && a.dim === b.dim && a.italic === b.italic && a.underline === b.underline && a.reverse === b.reverse && a.strike === b.strike && a.hidden === b.hidden;

/** Box drawing and block elements: stretched to the full cell height so lines join across rows. */
const isBoxChar = (ch: string) => /^[\u2500-\u259f]$/u.test(ch);

/**
 * The screen as HTML rows. Printable ASCII goes in runs (the font's own advance is the cell
 * width); every other character gets a box exactly one or two cells wide, so a glyph taken
 * from a fallback font (CJK, emoji) cannot shift the rest of its row. Every span is placed at
 * its column (left: N ch) rather than after the one before it, so rounding never adds up
 * along a row and the columns of all rows line up.
 */
export function screenToHtml(screen: Screen, theme: Theme = DARK): string {
  const out: string[] = [];
  screen.rows.forEach((row, y) => {
    const spans: string[] = [];
    let run = "";
    let runStyle: Style | null = null;
    let runX = 0;
    const flush = () => {
      // Plain blanks on the default background draw nothing.
      if (run && runStyle && !(run.trim() === "" && !runStyle.bg && !runStyle.reverse && !runStyle.underline)) {
        spans.push(`<span style="left:${runX}ch;${css(runStyle, theme, false)}">${escapeHtml(run)}</span>`);
      }
      run = "";
      runStyle = null;
    };
    let x = 0;
    for (const cell of row) {
      const cursorHere = screen.cursor !== null && screen.cursor.y === y && screen.cursor.x === x;
      const ascii = /^[\x20-\x7e]$/.test(cell.ch);
      if (ascii && !cursorHere && runStyle && sameStyle(runStyle, cell.style)) run += cell.ch;
      else if (ascii && !cursorHere) {
        flush();
        run = cell.ch;
        runStyle = cell.style;
        runX = x;
      } else {
        flush();
        const cls = cell.width === 2 ? "c w2" : isBoxChar(cell.ch) ? "c box" : "c";
        spans.push(`<span class="${cls}" style="left:${x}ch;${css(cell.style, theme, cursorHere)}">${escapeHtml(cell.ch)}</span>`);
      }
      x += cell.width;
    }
    flush();
    out.push(`<div class="row" style="width:${screen.width}ch">${spans.join("")}</div>`);
  });
  return out.join("\n");
}

/** The CSS the rows need; `font` is a CSS font-family list. */
export function terminalCss(opts: { font: string; fontSize: number; lineHeight: number; theme?: Theme }): string {
  const theme = opts.theme ?? DARK;
  const h = Math.round(opts.fontSize * opts.lineHeight);
  return `
.term { font-family: ${opts.font}; font-size: ${opts.fontSize}px; color: ${theme.fg}; background: ${theme.bg};
        font-variant-ligatures: none; font-kerning: none; }
.term .row { white-space: pre; height: ${h}px; line-height: ${h}px; position: relative; overflow: hidden; }
.term .row span { position: absolute; top: 0; height: ${h}px; }
.term .c { width: 1ch; text-align: center; overflow: visible; }
.term .w2 { width: 2ch; }
.term .box { transform: scaleY(${(h / (opts.fontSize * 1.17)).toFixed(3)}); }
`;
}
