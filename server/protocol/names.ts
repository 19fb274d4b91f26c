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

export type NameCheck = { ok: true; value: string; key: string } | { ok: false; message: string };

/** Checks a nickname (3 to 24 characters) and returns its display form and unique key. */
export function checkNick(raw: string): NameCheck {
  const value = raw.normalize("NFKC").trim();
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
