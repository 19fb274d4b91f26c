// Normalisation and validation of nicknames and room names, shared by server and client.

/**
 * Unicode-aware case folding: NFKC, then upper- and lower-casing so that e.g. "ß" and "SS"
 * fold together, then NFKC again (case mapping can denormalise).
 */
export function foldKey(name: string): string {
  return name.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFKC");
}

// Letters of any script (Cyrillic welcome), digits, and a few separators; starts with a letter.
const NICK_RE = /^\p{L}[\p{L}\p{M}\p{N}_-]{2,23}$/u;
const ROOM_RE = /^[\p{L}\p{N}][\p{L}\p{M}\p{N}_.-]{1,31}$/u;

// Default-ignorable code points (U+00AD, U+034F, U+115F-1160, U+200B-200F, U+2060-206F, U+3164,
// U+FE00-FE0F, U+FEFF, U+FFA0, U+E0000-E0FFF...) and every other control, format, separator,
// private-use, surrogate or unassigned code point: none of them shows as a visible letter, so a
// name holding one looks like another name or like nothing at all.
const HIDDEN_RE = /[\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}\p{Cn}]/u;
const MARK_RE = /^\p{M}$/u;
const LETTER_RE = /^\p{L}$/u;
// A mark drawn on a mark on a mark...: past this, stacked marks spill over their neighbours.
const MAX_MARKS_IN_A_ROW = 4;

// Scripts by Script_Extensions; a character outside all of them counts as a script of its own.
const SCRIPT_NAMES = [
  "Latin", "Greek", "Cyrillic", "Armenian", "Hebrew", "Arabic", "Syriac", "Thaana", "Nko", "Samaritan", "Mandaic",
  "Devanagari", "Bengali", "Gurmukhi", "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada", "Malayalam", "Sinhala",
  "Thai", "Lao", "Tibetan", "Myanmar", "Georgian", "Hangul", "Ethiopic", "Cherokee", "Canadian_Aboriginal", "Ogham",
  "Runic", "Khmer", "Mongolian", "Hiragana", "Katakana", "Bopomofo", "Han", "Yi", "Tagalog", "Hanunoo", "Buhid",
  "Tagbanwa", "Limbu", "Tai_Le", "New_Tai_Lue", "Buginese", "Tai_Tham", "Balinese", "Sundanese", "Batak", "Lepcha",
  "Ol_Chiki", "Glagolitic", "Tifinagh", "Coptic", "Vai", "Bamum", "Lisu", "Syloti_Nagri", "Phags_Pa", "Saurashtra",
  "Kayah_Li", "Rejang", "Javanese", "Cham", "Tai_Viet", "Meetei_Mayek", "Adlam", "Ahom", "Anatolian_Hieroglyphs",
  "Avestan", "Bassa_Vah", "Bhaiksuki", "Brahmi", "Braille", "Carian", "Caucasian_Albanian", "Chakma", "Chorasmian",
  "Cuneiform", "Cypriot", "Cypro_Minoan", "Deseret", "Dives_Akuru", "Dogra", "Duployan", "Egyptian_Hieroglyphs",
  "Elbasan", "Elymaic", "Garay", "Gothic", "Grantha", "Gunjala_Gondi", "Gurung_Khema", "Hanifi_Rohingya", "Hatran",
  "Imperial_Aramaic", "Inscriptional_Pahlavi", "Inscriptional_Parthian", "Kaithi", "Kawi", "Kharoshthi",
  "Khitan_Small_Script", "Khojki", "Khudawadi", "Kirat_Rai", "Linear_A", "Linear_B", "Lycian", "Lydian", "Mahajani",
  "Makasar", "Manichaean", "Marchen", "Masaram_Gondi", "Medefaidrin", "Mende_Kikakui", "Meroitic_Cursive",
  "Meroitic_Hieroglyphs", "Miao", "Modi", "Mro", "Multani", "Nabataean", "Nag_Mundari", "Nandinagari", "Newa", "Nushu",
  "Nyiakeng_Puachue_Hmong", "Ol_Onal", "Old_Hungarian", "Old_Italic", "Old_North_Arabian", "Old_Permic", "Old_Persian",
  "Old_Sogdian", "Old_South_Arabian", "Old_Turkic", "Old_Uyghur", "Osage", "Osmanya", "Pahawh_Hmong", "Palmyrene",
  "Pau_Cin_Hau", "Phoenician", "Psalter_Pahlavi", "Shavian", "Sharada", "Siddham", "SignWriting", "Sogdian",
  "Sora_Sompeng", "Soyombo", "Sunuwar", "Takri", "Tangsa", "Tangut", "Tirhuta", "Todhri", "Toto", "Tulu_Tigalari",
  "Ugaritic", "Vithkuqi", "Wancho", "Warang_Citi", "Yezidi", "Zanabazar_Square",
];
// A runtime whose Unicode tables lack a script simply does not know that script's letters.
const SCRIPTS: [string, RegExp][] = SCRIPT_NAMES.flatMap((name): [string, RegExp][] => {
  try {
    return [[name, new RegExp(`^\\p{Script_Extensions=${name}}$`, "u")]];
  } catch {
    return [];
  }
});
// Common and Inherited characters (digits 0-9, '_', '-', '.', most marks) go with every script.
const ANY_SCRIPT_RE = /^[\p{Script_Extensions=Common}\p{Script_Extensions=Inherited}]$/u;
// TS #39 "highly restrictive": one script, or Latin with the scripts written alongside it in
// Japanese, Chinese and Korean.
const SCRIPT_COMBOS = [
  ["Latin", "Han", "Hiragana", "Katakana"],
  ["Latin", "Han", "Bopomofo"],
  ["Latin", "Han", "Hangul"],
];

const LATIN: ReadonlySet<string> = new Set(["Latin"]);

/** The scripts a character is written in, or null when it goes with any script. */
function scriptsOf(ch: string): ReadonlySet<string> | null {
  // Most names are ASCII: no need to ask ~160 script properties about those characters.
  if (/^[A-Za-z]$/.test(ch)) return LATIN;
  if (/^[0-9_.-]$/.test(ch) || ANY_SCRIPT_RE.test(ch)) return null;
  const found = new Set(SCRIPTS.filter(([, re]) => re.test(ch)).map(([name]) => name));
  return found.size > 0 ? found : new Set([`unknown script (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")})`]);
}

/** The scripts a name mixes (in order of appearance) when it is not "highly restrictive", else null. */
function mixedScripts(value: string): string[] | null {
  const sets = [...value].map(scriptsOf).filter((s): s is ReadonlySet<string> => s !== null);
  if (sets.length === 0) return null;
  const common = sets.reduce((acc, s) => new Set([...acc].filter((x) => s.has(x))));
  if (common.size > 0) return null;
  if (SCRIPT_COMBOS.some((combo) => sets.every((s) => combo.some((x) => s.has(x))))) return null;
  const seen: string[] = [];
  for (const s of sets) {
    const first = [...s][0]!;
    if (![...s].some((x) => seen.includes(x))) seen.push(first);
  }
  return seen;
}

const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

export type NameCheck = { ok: true; value: string; key: string } | { ok: false; message: string };

/**
 * What makes a name unreadable or a lookalike, whatever its shape: invisible characters, marks
 * standing alone or piled up, and scripts mixed the way spoofs mix them. `label` starts the sentence.
 */
function refuseUnfakeable(raw: string, value: string, label: string): string | null {
  // The raw form names the character typed; the NFKC form catches what normalising produces.
  const hidden = raw.match(HIDDEN_RE) ?? raw.normalize("NFKC").match(HIDDEN_RE);
  if (hidden) {
    return `${label} cannot contain invisible, formatting or control characters (it holds ${codePoint(hidden[0])}); use visible letters and digits only.`;
  }
  const chars = [...value.normalize("NFD")];
  let run = 0;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (!MARK_RE.test(ch)) {
      run = 0;
      continue;
    }
    run++;
    const base = chars[i - run];
    if (base === undefined || !LETTER_RE.test(base)) {
      return `${label} cannot have a combining mark (${codePoint(ch)}) that is not on a letter.`;
    }
    if (run > MAX_MARKS_IN_A_ROW) return `${label} cannot pile more than ${MAX_MARKS_IN_A_ROW} combining marks on one letter.`;
    if (chars[i - 1] === ch) return `${label} cannot repeat the same combining mark (${codePoint(ch)}) on one letter.`;
  }
  const mixed = mixedScripts(value);
  if (mixed) {
    return `${label} cannot mix letters of different scripts (${mixed.join(" and ")}): mixed names are how lookalikes of other names are made. Use letters of one script.`;
  }
  return null;
}

/** Checks a nickname (3 to 24 characters) and returns its display form and unique keys. */
export function checkNick(raw: string): NameCheck {
  const value = raw.normalize("NFKC").trim();
  const refused = refuseUnfakeable(raw, value, "A nickname");
  if (refused) return { ok: false, message: refused };
  if ([...value].length < 3 || [...value].length > 24) {
    return { ok: false, message: "A nickname has 3 to 24 characters." };
  }
  if (!NICK_RE.test(value)) {
    return { ok: false, message: "A nickname starts with a letter and holds only letters, digits, '_' and '-'." };
  }
  return { ok: true, value, key: foldKey(value) };
}

/** Checks a room name (2 to 32 characters, an optional leading '#' is dropped). */
export function checkRoomName(raw: string): NameCheck {
  const value = raw.normalize("NFKC").trim().replace(/^#/, "");
  const refused = refuseUnfakeable(raw, value, "A room name");
  if (refused) return { ok: false, message: refused };
  if ([...value].length < 2 || [...value].length > 32) {
    return { ok: false, message: "A room name has 2 to 32 characters." };
  }
  if (!ROOM_RE.test(value)) {
    return { ok: false, message: "A room name holds only letters, digits, '_', '.' and '-', and starts with a letter or digit." };
  }
  return { ok: true, value, key: foldKey(value) };
}

/**
 * Bidi embeddings, overrides, isolates and marks (they make "evil\u202Egpj.exe" show as
 * "evilexe.jpg"), line and paragraph separators, and other invisible formatters: never shown
 * as they are (the terminal client and file names both use this set).
 */
export const INVISIBLE_CHARS = /[\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;
// Characters no stored or displayed file name keeps: C0/C1 controls and DEL.
const NAME_CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// Path separators, and what Windows and macOS refuse or treat specially in a name.
const NAME_RESERVED = /[/\\:*?"<>|]/g;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
/** A stored name fits in 255 UTF-8 bytes, the limit of common file systems. */
export const FILE_NAME_MAX_BYTES = 255;

/** UTF-8 byte length, computed here so that the protocol needs no Node or DOM API. */
function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/**
 * Makes an untrusted file name safe to store, show and create on disk: no path (separators
 * become "_", so "../x" cannot climb), no leading dots ("..", hidden files), no control, bidi
 * or invisible characters, no Windows device names, at most 255 UTF-8 bytes with the
 * extension kept. Never empty. Idempotent: a safe name comes back unchanged.
 */
export function safeFileName(raw: string): string {
  let name = raw
    .normalize("NFC")
    .replace(INVISIBLE_CHARS, "")
    .replace(NAME_CONTROL, "_")
    .replace(NAME_RESERVED, "_")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^[.\s]+/, "")
    .replace(/[.\s]+$/, "");
  if (!name) name = "file";
  if (WINDOWS_DEVICE.test(name)) name = `_${name}`;
  if (utf8Length(name) > FILE_NAME_MAX_BYTES) {
    const dot = name.lastIndexOf(".");
    const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : "";
    let stem = "";
    for (const ch of name.slice(0, name.length - ext.length)) {
      if (utf8Length(stem + ch + ext) > FILE_NAME_MAX_BYTES) break;
      stem += ch;
    }
    name = (stem.replace(/[.\s]+$/, "") || "file") + ext;
  }
  return name;
}

/** "1.5 MiB", "512 B": sizes as people read them. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`;
}
