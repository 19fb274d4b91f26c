// An in-memory terminal for running chat-tui without a TTY (tests; the same trick runs it on
// an SSH channel): PassThrough streams with the TTY fields blessed reads, a resize signal,
// and the screen's text read back from blessed's buffer.
import { PassThrough } from "node:stream";
import type { Widgets } from "blessed";
import type { Terminal } from "../app.js";

type TtyStream = PassThrough & { isTTY: true; columns: number; rows: number; setRawMode(mode: boolean): TtyStream; isRaw: boolean };

function ttyStream(columns: number, rows: number): TtyStream {
  const s = new PassThrough() as TtyStream;
  s.isTTY = true;
  s.columns = columns;
  s.rows = rows;
  s.isRaw = false;
  s.setRawMode = (mode: boolean) => ((s.isRaw = mode), s);
  return s;
}

export type MemoryTerminal = Terminal & {
  input: TtyStream;
  output: TtyStream;
  /** Everything written to the terminal so far (escape sequences included). */
  written(): string;
  /** Sends keys as a terminal would (e.g. "\r" Enter, "\x12" Ctrl+R). */
  type(text: string): void;
  resize(columns: number, rows: number): void;
};

export function memoryTerminal(opts: { columns?: number; rows?: number; term?: string; env?: Record<string, string> } = {}): MemoryTerminal {
  let size = { columns: opts.columns ?? 100, rows: opts.rows ?? 30 };
  const input = ttyStream(size.columns, size.rows);
  const output = ttyStream(size.columns, size.rows);
  const chunks: string[] = [];
  let total = 0;
  output.on("data", (d: Buffer) => {
    chunks.push(d.toString("utf8"));
    total += d.length;
    // Bounded: keep roughly the last megabyte.
    while (total > 1 << 20 && chunks.length > 1) total -= Buffer.byteLength(chunks.shift()!);
  });
  const listeners = new Set<() => void>();
  return {
    input,
    output,
    term: opts.term ?? "xterm-256color",
    env: opts.env ?? { LANG: "C.UTF-8" },
    size: () => size,
    onResize(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    written: () => chunks.join(""),
    type: (text) => void input.write(text),
    resize(columns, rows) {
      size = { columns, rows };
      for (const l of listeners) l();
    },
  };
}

/** The screen's text as blessed holds it, one string per row (wide characters' spacer cells dropped). */
export function screenText(screen: Widgets.Screen): string {
  const lines = (screen as unknown as { lines: [number, string][][] }).lines;
  return lines.map((row) => row.map((cell) => cell[1] ?? " ").join("").replace(/\u0000/g, "").trimEnd()).join("\n");
}

/** Polls until `cond` holds for the screen text; fails with the last screen after `timeoutMs`. */
export async function waitForScreen(screen: Widgets.Screen, cond: (text: string) => boolean, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = screenText(screen);
    if (cond(text)) return text;
    if (Date.now() > deadline) throw new Error(`the screen never showed what was expected; it shows:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
