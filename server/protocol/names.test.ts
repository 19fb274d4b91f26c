import test from "ava";
import fc from "fast-check";
import { confusableKey, skeleton } from "./confusables.js";
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

const refusal = (r: ReturnType<typeof checkNick>) => (r.ok ? `accepted as ${r.value}` : r.message);

test("invisible and default-ignorable code points are refused with the code point named", (t) => {
  const hidden = [
    0x00ad, 0x034f, 0x061c, 0x115f, 0x1160, 0x17b4, 0x17b5, 0x180b, 0x180e, 0x180f, 0x200b, 0x200d, 0x200f, 0x202a, 0x202e,
    0x2060, 0x2066, 0x206f, 0x3164, 0xfe00, 0xfe0f, 0xfeff, 0xffa0, 0x1bca0, 0x1bca3, 0x1d173, 0x1d17a, 0xe0001, 0xe0041, 0xe0100, 0xe0fff,
    0x0007, 0x001b, 0x0085, 0x2028, 0x2029, 0xe000,
  ];
  for (const cp of hidden) {
    const ch = String.fromCodePoint(cp);
    const hex = cp.toString(16).toUpperCase().padStart(4, "0");
    for (const name of [`alice${ch}`, `al${ch}ice`, `${ch}alice`]) {
      const nick = checkNick(name);
      t.false(nick.ok, `nick ${JSON.stringify(name)}: ${refusal(nick)}`);
      if (!nick.ok) t.regex(nick.message, new RegExp(`invisible.*U\\+${hex}`), `the sentence names U+${hex}`);
      const room = checkRoomName(name.replace("alice", "general"));
      t.false(room.ok, `room with U+${hex}`);
    }
  }
  for (const blank of ["\u3164\u3164\u3164", "\u115f\u115f\u115f", "\u1160\u1160\u1160", "\uffa0\uffa0\uffa0", "abc\u3164"]) {
    t.false(checkNick(blank).ok, `Hangul filler nick ${JSON.stringify(blank)}`);
  }
});

test("combining marks only sit on letters, one of a kind, a few at most", (t) => {
  t.true(checkNick("cafe\u0301").ok, "e + acute is a letter with its mark");
  t.true(checkNick("Zoë").ok);
  t.true(checkNick("क्षत्रिय").ok, "Devanagari with its vowel signs and virama");
  t.false(checkNick("ab_\u0301c").ok, "a mark on '_'");
  t.false(checkRoomName("1\u0301ab").ok, "a mark on a digit");
  t.false(checkNick("abe\u0301\u0301").ok, "the same mark twice");
  t.false(checkNick("abe\u0300\u0301\u0302\u0303\u0304").ok, "five marks piled on one letter");
});

test("mixed-script names are refused, whole-script names of any script are welcome", (t) => {
  for (const spoof of ["\u0430lice", "p\u0430ypal", "g\u0435neral", "\u0430\u0441e", "bob\u03bf", "Ρaul"]) {
    const r = checkNick(spoof);
    t.false(r.ok, `${spoof}: ${refusal(r)}`);
    if (!r.ok) t.regex(r.message, /mix letters of different scripts/);
  }
  t.false(checkRoomName("g\u0435neral").ok);
  for (const name of ["дмитрий", "Борис", "Ελένη", "مريم", "שרה", "김철수", "山田太郎", "たなかtaro", "李小龙abc", "bob_the-2nd", "Юля-2"]) {
    const r = checkNick(name);
    t.true(r.ok, `${name}: ${refusal(r)}`);
  }
  t.true(checkRoomName("проекты-2026").ok);
});

test("the confusable skeleton makes lookalikes one key and keeps different scripts apart", (t) => {
  t.is(skeleton("m"), skeleton("rn"), "TS #39 maps m to r n");
  const same: [string, string][] = [
    ["paypal", "p\u0430yp\u0430l"], ["mike", "rnike"], ["louis", "Iouis"], ["bob", "b0b"], ["ace", "\u0430\u0441\u0435"],
    ["alice", "\uff41\uff4c\uff49\uff43\uff45"], ["general", "g\u0435neral"], ["will", "wi11"],
  ];
  for (const [a, b] of same) t.is(confusableKey(a), confusableKey(b), `${a} ~ ${b}`);
  const apart: [string, string][] = [["alice", "дмитрий"], ["alice", "alicia"], ["ian", "lan"], ["Борис", "boris"], ["dev", "ops"]];
  for (const [a, b] of apart) t.not(confusableKey(a), confusableKey(b), `${a} vs ${b}`);
  const ok = checkNick("\uff41\uff4c\uff49\uff43\uff45");
  t.like(ok, { ok: true, value: "alice", key: "alice" }, "fullwidth folds to the same name");
  // Case is not part of what the skeleton compares ("ALICE" has a capital I, like "l"): the
  // folded key, unique too, is what makes "Alice" and "ALICE" one name.
  t.is(foldKey("ALICE"), foldKey("Alice"));
});

test("property: swapping Latin letters for their Cyrillic twins never changes the skeleton", (t) => {
  const twins: Record<string, string> = { a: "\u0430", c: "\u0441", e: "\u0435", o: "\u043e", p: "\u0440", x: "\u0445", y: "\u0443", i: "\u0456", s: "\u0455", j: "\u0458" };
  const latin = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789_-"), minLength: 3, maxLength: 24 });
  fc.assert(
    fc.property(latin, fc.infiniteStream(fc.boolean()), (name, coins) => {
      const it = coins[Symbol.iterator]();
      const spoof = [...name].map((ch) => (twins[ch] && it.next().value ? twins[ch] : ch)).join("");
      return confusableKey(spoof) === confusableKey(name);
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test("property: an accepted name is visible, normalised, and never mixes Latin with Cyrillic or Greek", (t) => {
  const pieces = fc.constantFrom("a", "b", "z", "\u0430", "\u0431", "\u03b1", "_", "-", "1", "\u0301", "\u034f", "\u200b", "\u3164", "\ufe0f", "\u00ad", "\uff41", "\u202e", "é", "ш");
  fc.assert(
    fc.property(fc.array(pieces, { minLength: 1, maxLength: 30 }), (parts) => {
      const r = checkNick(parts.join(""));
      if (!r.ok) return true;
      const latin = /\p{Script=Latin}/u.test(r.value);
      const other = /[\p{Script=Cyrillic}\p{Script=Greek}]/u.test(r.value);
      return (
        !/[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}]/u.test(r.value) && r.value === r.value.normalize("NFKC") && !(latin && other) &&
        checkNick(r.value).ok
      );
    }),
    { numRuns: 3000 },
  );
  t.pass();
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
