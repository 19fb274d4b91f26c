import test from "ava";
import fc from "fast-check";
import { checkNick, checkRoomName, FILE_NAME_MAX_BYTES, foldKey, formatBytes, safeFileName } from "./names.js";

test("folding makes case, width and ß variants of a nick the same key", (t) => {
  t.is(foldKey("Alice"), foldKey("ALICE"));
  t.is(foldKey("\uFF21lice"), foldKey("alice"), "fullwidth A");
  t.is(foldKey("Straße"), foldKey("STRASSE"));
  t.is(foldKey("Юля"), foldKey("ЮЛЯ"));
  t.not(foldKey("alice"), foldKey("alicia"));
});

test("nicks have 3 to 24 characters, start with a letter and allow Cyrillic", (t) => {
  t.true(checkNick("Борис").ok);
  t.true(checkNick("bob_the-2nd").ok);
  t.false(checkNick("ab").ok);
  t.false(checkNick("a".repeat(25)).ok);
  t.false(checkNick("1abc").ok);
  t.false(checkNick("has space").ok);
  t.false(checkNick("evil\u001b[2J").ok);
  t.false(checkNick("bidi\u202Eevil").ok);
  const r = checkNick("  \uFF21lice  ");
  t.deepEqual(r, { ok: true, value: "Alice", key: "alice" });
});

test("room names drop a leading # and refuse separators and control characters", (t) => {
  t.deepEqual(checkRoomName("#Dev.Ops"), { ok: true, value: "Dev.Ops", key: "dev.ops" });
  t.true(checkRoomName("проекты").ok);
  t.false(checkRoomName("a").ok);
  t.false(checkRoomName("../etc").ok);
  t.false(checkRoomName("room\u0007").ok);
});

test("safeFileName: whatever comes in, the result is one harmless path component", (t) => {
  const hostile = fc.oneof(
    fc.string({ unit: "binary", maxLength: 400 }),
    fc.array(fc.constantFrom("..", "/", "\\", ".", "\u202e", "\u0000", "\u001b[2J", "\n", "CON", "é", "😀", " ", "a", ":", "*"), { maxLength: 120 }).map((a) => a.join("")),
  );
  fc.assert(
    fc.property(hostile, (raw) => {
      const name = safeFileName(raw);
      return (
        name.length > 0 &&
        !/[/\\\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/.test(name) &&
        !name.startsWith(".") &&
        !/^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i.test(name) &&
        Buffer.byteLength(name) <= FILE_NAME_MAX_BYTES &&
        safeFileName(name) === name
      );
    }),
    { numRuns: 2000 },
  );
  t.is(safeFileName("report 2026.pdf"), "report 2026.pdf", "an ordinary name is kept");
  t.is(safeFileName("Ünïcödé ファイル.txt"), "Ünïcödé ファイル.txt");
});

test("formatBytes reads like people write sizes", (t) => {
  t.is(formatBytes(0), "0 B");
  t.is(formatBytes(1023), "1023 B");
  t.is(formatBytes(1536), "1.50 KiB");
  t.is(formatBytes(25 * 1024 * 1024), "25.0 MiB");
  t.is(formatBytes(300 * 1024 * 1024), "300 MiB");
});
