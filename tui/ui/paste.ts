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

type Emitter = { emit(event: string | symbol, ...args: unknown[]): boolean };

/**
 * Routes pasted text of one input stream to `onPaste` and everything else on to its 'data'
 * listeners (blessed's key and mouse parsers), whenever they were added. Returns an undo.
 */
export function interceptPaste(input: Emitter, onPaste: (text: string) => void): () => void {
  const filter = createPasteFilter(onPaste);
  const emit = input.emit;
  input.emit = function (this: Emitter, event: string | symbol, ...args: unknown[]) {
    if (event !== "data") return emit.call(this, event, ...args);
    const chunk = typeof args[0] === "string" ? Buffer.from(args[0]) : (args[0] as Buffer);
    const rest = filter(chunk);
    return rest.length ? emit.call(this, "data", rest) : true;
  };
  return () => {
    input.emit = emit;
  };
}
