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
