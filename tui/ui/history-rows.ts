// The history pane drawn from cells made once per distinct line for the whole process.
//
// blessed draws a box by re-running, every frame, its content pipeline over the whole pane:
// setContent strips control characters, marks wide characters, wraps (_wrapContent) and scans
// for SGR sequences (_parseAttr); Element.render then walks the content cell by cell, cutting a
// substring and running a regular expression at every escape sequence (attrCode). For a chat
// pane, the lines are the same from frame to frame (one new line scrolls the others up) and the
// same in every session of a gateway showing that room at that width. Here each line becomes
// its row of cells (attribute, character) once, with the steps blessed takes for that line, and
// the pane's render copies rows into the screen's cell buffer (marking a row dirty only where a
// cell changed, as blessed does). Every line's tags are balanced (each renderer closes what it
// opens on the same line), so a line starts in the pane's default attribute as it does in
// blessed's pass over the whole content: tui/ui/view.test.ts compares the two cell by cell.
import { createRequire } from "node:module";
import type { Widgets } from "blessed";

type Unicode = {
  codePointAt(str: string, i: number): number;
  combining: Record<number, boolean>;
  chars: { all: RegExp; combining: RegExp; surrogate: RegExp };
};
const unicode = (createRequire(import.meta.url)("blessed") as { unicode: Unicode }).unicode;

/** One pane row: the attribute and character of each cell, and whether a wide character is in it. */
export type Row = { attrs: Int32Array; chars: string[]; wide: boolean };

type ScreenLike = {
  fullUnicode: boolean;
  tabc: string;
  attrCode(code: string, cur: number, def: number): number;
  lines: ([number, string][] & { dirty?: boolean })[];
};

const SGR = /\x1b\[[\d;]*m/y;

/**
 * The cells blessed's Element.render puts in one row of a box (no border, padding, wrapping or
 * scrolling) for one line of content already tag-parsed, starting in the default attribute.
 */
export function buildRow(screen: ScreenLike, parsed: string, width: number, dattr: number, bch = " "): Row {
  // Element.parseContent's clean-up, in its order (tag parsing was done before: the pane's is off).
  let content = parsed
    .replace(/[\x00-\x08\x0b-\x0c\x0e-\x1a\x1c-\x1f\x7f]/g, "")
    .replace(/\x1b(?!\[[\d;]*m)/g, "")
    .replace(/\r\n|\r|\n/g, "")
    .replace(/\t/g, screen.tabc);
  if (screen.fullUnicode) content = content.replace(unicode.chars.all, "$1\x03");
  else content = content.replace(unicode.chars.all, "??").replace(unicode.chars.combining, "").replace(unicode.chars.surrogate, "?");
  const attrs = new Int32Array(width);
  const chars: string[] = new Array<string>(width);
  let wide = false;
  let attr = dattr;
  let ci = 0;
  for (let x = 0; x < width; x++) {
    let ch = content[ci++] || bch;
    while (ch === "\x1b") {
      SGR.lastIndex = ci - 1;
      const c = SGR.exec(content);
      if (!c) break;
      ci += c[0].length - 1;
      attr = screen.attrCode(c[0], attr, dattr);
      ch = content[ci] || bch;
      ci++;
    }
    if (ch === "\t") ch = bch;
    if (screen.fullUnicode && content[ci - 1]) {
      const point = unicode.codePointAt(content, ci - 1);
      if (unicode.combining[point]) {
        // Combining characters join the previous cell (a line's first cell has none before it here).
        if (point > 0xffff) {
          ch = content[ci - 1]! + content[ci]!;
          ci++;
        }
        if (x > 0) chars[x - 1] += ch;
        x--;
        continue;
      }
      if (point > 0xffff) {
        ch = content[ci - 1]! + content[ci]!;
        ci++;
      }
    }
    if (ch === "\x03") wide = true;
    attrs[x] = attr;
    chars[x] = ch;
  }
  return { attrs, chars, wide };
}

// Rows per process, per (colour depth, charset, default attribute, width): sessions of a
// gateway in one room at one width share them. Bounded; the oldest rows go first.
const ROWS_MAX = 3_000;
const rowSets = new Map<string, Map<string, Row>>();
let rowCount = 0;

/** The row set for one pane look; `make` turns a tagged line into its row. */
export function rowSet(key: string): Map<string, Row> {
  let set = rowSets.get(key);
  if (!set) rowSets.set(key, (set = new Map()));
  return set;
}

export function cachedRow(set: Map<string, Row>, line: string, make: (line: string) => Row): Row {
  let row = set.get(line);
  if (row === undefined) {
    row = make(line);
    if (rowCount >= ROWS_MAX) {
      // Drop the oldest row of the largest set (usually the only one).
      let largest: Map<string, Row> | null = null;
      for (const s of rowSets.values()) if (!largest || s.size > largest.size) largest = s;
      if (largest && largest.size > 0) (largest.delete(largest.keys().next().value!), rowCount--);
    }
    set.set(line, row);
    rowCount++;
  }
  return row;
}

/**
 * Makes `el` draw `rowsFor(width, dattr)` (one Row per pane line, top first; rows past the end
 * are blank in the default attribute) instead of its content. wideRows(): the screen rows of
 * the last frame that hold a wide character from the pane.
 */
export function drawRows(
  el: Widgets.BoxElement,
  rowsFor: (width: number, dattr: number) => readonly Row[],
  /**
   * A number that changes whenever anything but the row panes may have written to the screen's
   * cells (a region cleared or filled, a box drawn by blessed): while it and the pane's place
   * stay the same, a row that is the same Row as last frame's is left as it is.
   */
  generation: () => number = () => NaN,
): { wideRows(): readonly number[] } {
  const e = el as unknown as {
    screen: ScreenLike;
    style: unknown;
    lpos?: unknown;
    _emit(name: string, args?: unknown[]): void;
    _getCoords(get: boolean): { xi: number; xl: number; yi: number; yl: number } | undefined;
    sattr(style: unknown): number;
    render(): unknown;
  };
  let wide: number[] = [];
  let blank: Row | null = null;
  let drawn: { rows: readonly Row[]; gen: number; lines: unknown; xi: number; xl: number; yi: number; yl: number; dattr: number } | null = null;
  e.render = function (this: typeof e) {
    this._emit("prerender");
    const coords = this._getCoords(true);
    wide = [];
    if (!coords) {
      delete this.lpos;
      drawn = null;
      return;
    }
    if (coords.xl - coords.xi <= 0 || coords.yl - coords.yi <= 0) return;
    this.lpos = coords;
    const lines = this.screen.lines;
    const dattr = this.sattr(this.style);
    const width = coords.xl - coords.xi;
    const shown = rowsFor(width, dattr);
    if (!blank || blank.attrs.length !== width || blank.attrs[0] !== dattr) blank = buildRow(this.screen, "", width, dattr);
    const gen = generation();
    const d = drawn;
    const same = d !== null && d.gen === gen && d.lines === lines && d.xi === coords.xi && d.xl === coords.xl && d.yi === coords.yi && d.yl === coords.yl && d.dattr === dattr;
    for (let y = coords.yi, r = 0; y < coords.yl; y++, r++) {
      const line = lines[y];
      if (!line) break;
      const row = shown[r] ?? blank;
      if (row.wide) wide.push(y);
      if (same && (d.rows[r] ?? blank) === row) continue;
      const { attrs, chars } = row;
      const n = Math.min(width, attrs.length);
      for (let x = coords.xi, i = 0; i < n; x++, i++) {
        const cell = line[x];
        if (!cell) break;
        const a = attrs[i]!;
        const ch = chars[i]!;
        if (cell[0] !== a || cell[1] !== ch) {
          cell[0] = a;
          cell[1] = ch;
          line.dirty = true;
        }
      }
    }
    drawn = { rows: shown, gen, lines, xi: coords.xi, xl: coords.xl, yi: coords.yi, yl: coords.yl, dattr };
    this._emit("render", [coords]);
    return coords;
  };
  return { wideRows: () => wide };
}

/** Rows kept for the process now, and the most it keeps. */
export const cachedRows = (): { count: number; max: number } => ({ count: rowCount, max: ROWS_MAX });
