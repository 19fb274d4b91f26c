// Bracketed paste: the terminal wraps pasted text in ESC[200~ … ESC[201~; this takes it out of
// the input stream before blessed's key parser, so a pasted line break is not an Enter.

const START = Buffer.from("\x1b[200~");
const END = Buffer.from("\x1b[201~");
export const ENABLE_PASTE = "\x1b[?2004h";
export const DISABLE_PASTE = "\x1b[?2004l";

/**
 * A filter over input chunks: returns what is not pasted (for the key parser) and calls
 * `onPaste` with each complete paste (line breaks as "\n"). A paste may span chunks (the
 * end marker too); its bytes are decoded together, so a split UTF-8 character survives.
 */
export function createPasteFilter(onPaste: (text: string) => void): (chunk: Buffer) => Buffer {
  let pasting: Buffer[] | null = null;
  return (input: Buffer) => {
    let chunk = input;
    const out: Buffer[] = [];
    while (chunk.length) {
      if (!pasting) {
        const at = chunk.indexOf(START);
        // A terminal writes the start marker in one piece; a lone ESC (the Esc key) must
        // not wait for more input, so nothing is held back here.
        if (at < 0) {
          out.push(chunk);
          break;
        }
        out.push(chunk.subarray(0, at));
        pasting = [];
        chunk = chunk.subarray(at + START.length);
      } else {
        const all = Buffer.concat([...pasting, chunk]);
        const at = all.indexOf(END);
        if (at < 0) {
          pasting = [all];
          break;
        }
        pasting = null;
        onPaste(all.subarray(0, at).toString("utf8").replace(/\r\n|\r/g, "\n"));
        chunk = all.subarray(at + END.length);
      }
    }
    return Buffer.concat(out);
  };
}

const NEWLINE = Symbol("newline");
/** Alt+Enter (ESC CR, ESC LF), Shift+Enter as kitty/foot (CSI 13;2u) and xterm modifyOtherKeys (CSI 27;2;13~) send. */
const NEWLINE_KEYS = /\x1b\r|\x1b\n|\x1b\[13;2u|\x1b\[27;2;13~/g;

/** Input split into key bytes and the "new line" keys between them. */
export function splitNewlineKeys(chunk: Buffer): (Buffer | typeof NEWLINE)[] {
  const s = chunk.toString("latin1");
  // matchAll starts where lastIndex is: a .test() before it on the same /g regex would skip matches.
  if (!s.includes("\x1b")) return [chunk];
  const out: (Buffer | typeof NEWLINE)[] = [];
  let last = 0;
  for (const m of s.matchAll(NEWLINE_KEYS)) {
    if (m.index > last) out.push(chunk.subarray(last, m.index));
    out.push(NEWLINE);
    last = m.index + m[0].length;
  }
  if (last < chunk.length) out.push(chunk.subarray(last));
  return out;
}

type Emitter = { emit(event: string | symbol, ...args: unknown[]): boolean };

/**
 * Routes pasted text of one input stream to `onPaste` and everything else on to its 'data'
 * listeners (blessed's key and mouse parsers), whenever they were added. Returns an undo.
 */
export function interceptPaste(input: Emitter, onPaste: (text: string) => void, onNewline?: () => void): () => void {
  const filter = createPasteFilter(onPaste);
  const emit = input.emit;
  input.emit = function (this: Emitter, event: string | symbol, ...args: unknown[]) {
    if (event !== "data") return emit.call(this, event, ...args);
    const chunk = typeof args[0] === "string" ? Buffer.from(args[0]) : (args[0] as Buffer);
    const rest = filter(chunk);
    if (!rest.length) return true;
    if (!onNewline) return emit.call(this, "data", rest);
    // Alt+Enter and Shift+Enter: blessed splits ESC CR into Esc and Enter and does not know the
    // CSI-u / modifyOtherKeys forms, so they are taken out here, in order with the other keys.
    for (const part of splitNewlineKeys(rest)) {
      if (part === NEWLINE) onNewline();
      else emit.call(this, "data", part);
    }
    return true;
  };
  return () => {
    input.emit = emit;
  };
}
