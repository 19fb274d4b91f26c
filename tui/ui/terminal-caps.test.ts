import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import test from "ava";
import { colourDepth, ctypeLocale, detectCharset, legacyTerminfo, patchTerminfoReader } from "./terminal-caps.js";

const terminfo = (name: string) => {
  for (const dir of ["/lib/terminfo", "/usr/share/terminfo", "/etc/terminfo"]) {
    try {
      return readFileSync(`${dir}/${name[0]}/${name}`);
    } catch {
      // next directory
    }
  }
  return null;
};

test("the locale that decides the charset: LC_ALL, then LC_CTYPE, then LANG; none is C", (t) => {
  t.is(ctypeLocale({ LC_ALL: "C", LC_CTYPE: "en_US.UTF-8", LANG: "en_US.UTF-8" }), "C");
  t.is(ctypeLocale({ LC_ALL: "", LC_CTYPE: "de_DE.utf8", LANG: "C" }), "de_DE.utf8");
  t.is(ctypeLocale({ LANG: "C.UTF-8" }), "C.UTF-8");
  t.is(ctypeLocale({}), "C");
  t.is(detectCharset({ LANG: "C" }).charset, "ascii");
  t.is(detectCharset({ LANG: "en_GB.UTF-8" }).charset, "unicode");
  t.is(detectCharset({ LC_ALL: "POSIX", LANG: "en_GB.UTF-8" }).charset, "ascii");
  t.is(detectCharset({ LANG: "ru_RU.KOI8-R" }).charset, "ascii");
  t.deepEqual(detectCharset({ LANG: "C" }, "unicode"), { charset: "unicode", locale: "C", fromLocale: false });
});

test("colour depth from terminfo colors and COLORTERM", (t) => {
  t.is(colourDepth(-1, {}), 0);
  t.is(colourDepth(8, {}), 8);
  t.is(colourDepth(16, {}), 16);
  t.is(colourDepth(256, {}), 256);
  t.is(colourDepth(256, { COLORTERM: "truecolor" }), 16777216);
  t.is(colourDepth(8, { COLORTERM: "truecolor" }), 8, "COLORTERM does not invent colours the terminfo lacks");
});

const screen256 = terminfo("screen-256color");
(screen256 && screen256.readUInt16LE(0) === 0o1036 ? test : test.skip)("ncurses 6 terminfo (32-bit numbers) is read with its real colours and no compile errors", (t) => {
  const converted = legacyTerminfo(screen256!);
  t.is(converted.readUInt16LE(0), 0o432);
  patchTerminfoReader();
  const Tput = (createRequire(import.meta.url)("blessed") as { tput: new (o: object) => { colors: number; strings: Record<string, unknown> } }).tput;
  const errors: unknown[] = [];
  const report = console.error;
  console.error = (...a: unknown[]) => errors.push(a);
  try {
    for (const term of ["screen-256color", "tmux-256color", "xterm-256color"]) {
      if (!terminfo(term)) continue;
      const tput = new Tput({ terminal: term, extended: true });
      t.is(tput.colors, 256, term);
      t.truthy(tput.strings["set_a_foreground"], `${term}: setaf`);
    }
  } finally {
    console.error = report;
  }
  t.deepEqual(errors, [], "nothing printed");
});

test("compiled terminfo is shared per TERM; each Tput keeps its own TERM and its own tables", (t) => {
  patchTerminfoReader();
  type T = { terminal: string; colors: number; numbers: Record<string, number>; features: Record<string, unknown>; methods: Record<string, unknown>; setaf?: (n: number) => string };
  const Tput = (createRequire(import.meta.url)("blessed") as { tput: new (o: object) => T }).tput;
  const terms = ["xterm-256color", "vt100"].filter((term) => terminfo(term));
  if (terms.length < 2) return t.pass("terminfo for xterm-256color and vt100 not installed");
  const a = new Tput({ terminal: "xterm-256color" });
  const b = new Tput({ terminal: "xterm-256color" });
  const c = new Tput({ terminal: "vt100" });
  t.is(a.methods["set_a_foreground"], b.methods["set_a_foreground"], "compiled once for both sessions");
  t.is(a.setaf!(1), "\x1b[31m");
  t.is(b.setaf!(2), "\x1b[32m");
  t.is(a.colors, 256);
  t.is(c.terminal, "vt100", "another TERM gets its own terminfo");
  t.not(c.colors, 256);
  a.numbers["U8"] = 0;
  a.features["unicode"] = false;
  const d = new Tput({ terminal: "xterm-256color", forceUnicode: true });
  t.not(b.numbers["U8"], 0, "one session's change does not reach another's tables");
  t.not(d.numbers["U8"], 0, "nor a later session's");
  t.is(d.features["unicode"], true);
});

test("cursor moves kept per compiled terminfo are the strings its capabilities make, for every screen of that terminal", async (t) => {
  const { createScreen } = await import("./view.js");
  const { memoryTerminal } = await import("../testing/memory-terminal.js");
  for (const term of ["xterm-256color", "screen-256color", "vt100"]) {
    const screens = [0, 1].map(() => createScreen({ terminal: memoryTerminal({ columns: 100, rows: 30, term }) }));
    try {
      for (const screen of screens) {
        const tput = (screen as unknown as { tput: Record<string, (...a: unknown[]) => string> & { methods: Record<string, (args: unknown[]) => string> } }).tput;
        const raw = (name: string, ...args: unknown[]) => tput.methods[name]!.call(tput, args);
        for (const [y, x] of [[0, 0], [3, 5], [5, 3], [29, 99], [0, 4095], [1, 0]] as const) t.is(tput.cup!(y, x), raw("cup", y, x), `${term} cup ${y},${x}`);
        for (const n of [1, 2, 17, 99]) t.is(tput.cuf!(n), raw("cuf", n), `${term} cuf ${n}`);
        for (const name of ["el", "sc", "rc", "civis", "cnorm"]) t.is(tput[name]!(), raw(name), `${term} ${name}`);
        // Past what is kept: still the capability's own string.
        t.is(tput.cup!(5000, 7), raw("cup", 5000, 7));
      }
    } finally {
      for (const s of screens) s.destroy();
    }
  }
});
