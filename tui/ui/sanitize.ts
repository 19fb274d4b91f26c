// Makes untrusted text (messages, nicks, room names from other users) inert for the terminal:
// escape sequences and control characters become visible caret notation, bidi and other
// invisible format characters become U+FFFD, and blessed's tag braces are escaped later.
import { INVISIBLE_CHARS } from "../../server/protocol/names.js";
import { safeText } from "./glyphs.js";

// A whole escape sequence: CSI, OSC/DCS/APC/PM/SOS strings (to BEL or ST), or ESC + one char.
const ESCAPE_SEQ = /\u001b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[ -~]?)|\u009b[0-?]*[ -/]*[@-~]?|[\u0090\u009d\u009e\u009f][^\u0007\u009c]*[\u0007\u009c]?/g;
// C0 (but tab/newline, handled by callers), DEL, C1.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\u0080-\u009f]/g;

const caret = (ch: string): string => {
  const code = ch.charCodeAt(0);
  if (code === 0x7f) return "^?";
  if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
  return "\ufffd";
};

/**
 * One line of untrusted text, safe to print: escape sequences are shown as caret text
 * (`^[]0;pwned^G`), never interpreted; tabs become spaces and line breaks become "⏎".
 */
export function sanitizeLine(input: string): string {
  const inert = input
    .replace(ESCAPE_SEQ, (seq) => seq.replace(/[\u0000-\u001f\u007f-\u009f]/g, caret))
    .replace(/\t/g, "    ")
    .replace(/\r\n|\r|\n/g, " ⏎ ")
    .replace(CONTROL, caret);
  // Emoji sequences and combining marks as whole cells (a ZWJ inside an emoji sequence is
  // dropped there, not shown as U+FFFD like any other invisible character).
  return safeText(inert).replace(INVISIBLE_CHARS, "\ufffd");
}

/** Multi-line untrusted text: each line sanitised, the line structure kept. */
export function sanitizeLines(input: string): string[] {
  return input.split(/\r\n|\r|\n/).map(sanitizeLine);
}

/** Escapes blessed's `{tag}` syntax so sanitised text is shown literally in tagged content. */
export function escapeTags(text: string): string {
  return text.replace(/[{}]/g, (c) => (c === "{" ? "{open}" : "{close}"));
}

/** Sanitise and escape: the one call widgets use for any text that came over the network. */
export const safe = (text: string): string => escapeTags(sanitizeLine(text));
