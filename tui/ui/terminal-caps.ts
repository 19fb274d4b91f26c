// What the terminal can show: colour depth (terminfo colors, COLORTERM), the charset (locale or
// --unicode/--ascii), and a fix for blessed's reading of ncurses 6 terminfo files.
import { createRequire } from "node:module";

export type ColourDepth = 0 | 8 | 16 | 256 | 16777216;
export type Charset = "unicode" | "ascii";

export interface TerminalCaps {
  term: string;
  colours: ColourDepth;
  charset: Charset;
  /** Why the charset was chosen: the locale's name, or the flag that forced it. */
  locale: string;
  /** True when the charset comes from the locale, not from --unicode/--ascii. */
  fromLocale: boolean;
}

/**
 * The locale that decides the character set, as C's setlocale reads it: LC_ALL, then
 * LC_CTYPE, then LANG; unset or empty means "C" (POSIX).
 */
export function ctypeLocale(env: NodeJS.ProcessEnv): string {
  for (const name of ["LC_ALL", "LC_CTYPE", "LANG"]) {
    const v = env[name];
    if (v) return v;
  }
  return "C";
}

export const isUtf8Locale = (locale: string): boolean => /\.utf-?8(@|$)/i.test(locale) || /^utf-?8$/i.test(locale);

export function detectCharset(env: NodeJS.ProcessEnv, override?: Charset): { charset: Charset; locale: string; fromLocale: boolean } {
  const locale = ctypeLocale(env);
  if (override) return { charset: override, locale, fromLocale: false };
  return { charset: isUtf8Locale(locale) ? "unicode" : "ascii", locale, fromLocale: true };
}

/** Colour depth from the terminfo `colors` number, upgraded by COLORTERM=truecolor/24bit. */
export function colourDepth(terminfoColours: number, env: NodeJS.ProcessEnv): ColourDepth {
  if (!(terminfoColours > 0)) return 0;
  if (terminfoColours >= 256) return /^(truecolor|24bit)$/i.test(env["COLORTERM"] ?? "") ? 16777216 : 256;
  if (terminfoColours >= 16) return 16;
  if (terminfoColours >= 8) return 8;
  return 0;
}

/**
 * ncurses 6 writes terminfo with 32-bit numbers (magic 01036) when a number exceeds 32767
 * (pairs#0x10000 in screen-256color, tmux-256color). blessed 0.1.81 reads only the 16-bit
 * format (0432): every number and string after that point shifts, so it sees 8 colours and
 * compiles garbage (the "Error on screen-256color.plab_norm:" it prints). This rewrites such
 * a file into the 16-bit format, clamping numbers to 32767, exactly as ncurses' own
 * legacy reader does.
 */
export function legacyTerminfo(data: Buffer): Buffer {
  if (data.length < 12 || data.readUInt16LE(0) !== 0o1036) return data;
  const namesSize = data.readUInt16LE(2);
  const boolCount = data.readUInt16LE(4);
  const numCount = data.readUInt16LE(6);
  const strCount = data.readUInt16LE(8);
  const strTableSize = data.readUInt16LE(10);
  const parts: Buffer[] = [];
  const head = Buffer.from(data.subarray(0, 12));
  head.writeUInt16LE(0o432, 0);
  parts.push(head);
  let i = 12 + namesSize + boolCount;
  parts.push(data.subarray(12, i));
  const align = () => {
    if (i % 2) parts.push(data.subarray(i, ++i));
  };
  const numbers = (count: number) => {
    const out = Buffer.alloc(count * 2);
    for (let k = 0; k < count; k++) {
      const v = data.readInt32LE(i + 4 * k);
      out.writeUInt16LE(v < 0 ? (v === -2 ? 0xfffe : 0xffff) : Math.min(v, 0x7fff), 2 * k);
    }
    i += 4 * count;
    parts.push(out);
  };
  align();
  numbers(numCount);
  const strEnd = i + strCount * 2 + strTableSize;
  parts.push(data.subarray(i, strEnd));
  i = strEnd;
  if (i < data.length) {
    align();
    if (i + 10 <= data.length) {
      const extBools = data.readUInt16LE(i);
      const extNums = data.readUInt16LE(i + 2);
      parts.push(data.subarray(i, i + 10 + extBools));
      i += 10 + extBools;
      align();
      numbers(extNums);
    }
    parts.push(data.subarray(i));
  }
  return Buffer.concat(parts);
}

type TerminfoInfo = Record<string, unknown> & { features: Record<string, unknown> };
type TputProto = {
  parseTerminfo(data: Buffer, file: string): unknown;
  _compile(info: unknown, key: string, str: unknown): unknown;
  compileTerminfo(term?: string): TerminfoInfo;
  terminal: string;
  options: { forceUnicode?: boolean | undefined };
  padding?: boolean;
  printf?: boolean;
  extended?: boolean;
  h7Patched?: boolean;
};

/** Compiled terminfo per terminal and the options its compile reads (see patchTerminfoReader). */
const compiledTerminfo = new Map<string, TerminfoInfo>();

/**
 * A copy of a compiled terminfo that a Tput (and its screen) may change without touching the
 * cached one: the small tables copied (blessed's screen sets `features.unicode`, the view sets
 * `numbers.U8`); the large ones (strings, all, methods: ~1,000 keys, 2 ms a copy) shared, as
 * nothing writes to them after the compile; the compiled capability functions take the Tput
 * as `this`.
 */
function ownCopy(info: TerminfoInfo): TerminfoInfo {
  const copy: TerminfoInfo = { ...info, features: { ...info.features } };
  for (const key of ["bools", "numbers"]) copy[key] = { ...(info[key] as object) };
  return copy;
}

/**
 * Teaches blessed's terminfo reader the 32-bit format, and makes a capability blessed cannot
 * compile a missing one instead of an error dump on the user's screen (blessed's _compile
 * writes it with console.error, then the whole terminal falls back to xterm). Once.
 */
export function patchTerminfoReader(): void {
  const proto = (createRequire(import.meta.url)("blessed") as { tput: { prototype: TputProto } }).tput.prototype;
  if (proto.h7Patched) return;
  const parse = proto.parseTerminfo;
  proto.parseTerminfo = function (this: TputProto, data: Buffer, file: string) {
    return parse.call(this, legacyTerminfo(data), file);
  };
  const compile = proto._compile;
  proto._compile = function (this: TputProto, info: unknown, key: string, str: unknown) {
    // _compile reports and rethrows synchronously; silence only that one call.
    const report = console.error;
    console.error = () => {};
    try {
      return compile.call(this, info, key, str);
    } catch {
      return typeof str === "string" ? () => "" : str;
    } finally {
      console.error = report;
    }
  };
  // Compiling a terminfo (read, parse, one function per capability) costs a few ms per screen;
  // a gateway makes a screen per session, so each terminal is compiled once per process. The
  // key holds everything the compile reads from the Tput (its environment reads are the
  // process's, the same for every session); each session still gets its own TERM's entry.
  const compileTerminfo = proto.compileTerminfo;
  proto.compileTerminfo = function (this: TputProto, term?: string) {
    const key = JSON.stringify([term ?? this.terminal, this.options.forceUnicode ?? null, !!this.padding, !!this.printf, !!this.extended]);
    let info = compiledTerminfo.get(key);
    if (!info) {
      info = compileTerminfo.call(this, term);
      // Bounded: TERM comes from the client, and only names with a terminfo file get here.
      if (compiledTerminfo.size < 64) compiledTerminfo.set(key, info);
    }
    return ownCopy(info);
  };
  proto.h7Patched = true;
}

type CursorTput = { methods: object; cup(y: number, x: number): string; cuf(n: number): string } & Record<string, unknown>;
const moveCaches = new WeakMap<object, Map<number, string>>();
const MOVES_MAX = 100_000;

/**
 * blessed's screen asks its Tput for a cursor move (cup, cuf) before every run of changed cells,
 * and each call runs the capability's compiled function (an arguments copy, an array, a join):
 * a quarter of what a frame allocates. Their output depends only on the arguments and the
 * compiled terminfo, which screens of one terminal share (the methods table above), so the
 * strings are kept per compiled terminfo; so are those of the parameterless ones the screen
 * writes every frame (el, sc, rc, civis, cnorm).
 */
export function shareCursorMoves(tput: CursorTput): void {
  let cache = moveCaches.get(tput.methods);
  if (!cache) moveCaches.set(tput.methods, (cache = new Map()));
  const moves = cache;
  const small = (n: number) => Number.isInteger(n) && n >= 0 && n < 4096;
  const cup = tput.cup;
  const cuf = tput.cuf;
  tput.cup = (y, x) => {
    if (!small(y) || !small(x)) return cup.call(tput, y, x);
    let s = moves.get(y * 4096 + x);
    if (s === undefined) {
      s = cup.call(tput, y, x);
      if (moves.size < MOVES_MAX) moves.set(y * 4096 + x, s);
    }
    return s;
  };
  tput.cuf = (n) => {
    if (!small(n)) return cuf.call(tput, n);
    let s = moves.get(-1 - n);
    if (s === undefined) {
      s = cuf.call(tput, n);
      if (moves.size < MOVES_MAX) moves.set(-1 - n, s);
    }
    return s;
  };
  ["el", "sc", "rc", "civis", "cnorm"].forEach((name, i) => {
    const f = tput[name];
    if (typeof f !== "function") return;
    const k = -10_000 - i;
    tput[name] = (...args: unknown[]) => {
      if (args.length > 0) return f.apply(tput, args);
      let s = moves.get(k);
      if (s === undefined) moves.set(k, (s = f.call(tput) as string));
      return s;
    };
  });
}
