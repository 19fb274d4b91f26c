// Opt-in render timing for benchmarks: with CHAT_TUI_TRACE=<file>, every frame appends one JSON
// line {at, ms, sinceStart} (wall time it ended, how long it took, ms since the process began).
import { closeSync, openSync, writeSync } from "node:fs";

export type RenderTrace = (startedAt: number) => void;

export function createRenderTrace(file: string | undefined): RenderTrace | null {
  if (!file) return null;
  const fd = openSync(file, "a", 0o600);
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    writeSync(fd, pending.join(""));
    pending = [];
  };
  // Written in batches, off the frame, so tracing costs the frames it measures next to nothing.
  setInterval(flush, 200).unref();
  process.once("exit", () => {
    flush();
    closeSync(fd);
  });
  return (startedAt) => {
    const end = performance.now();
    pending.push(`${JSON.stringify({ at: performance.timeOrigin + end, ms: end - startedAt, sinceStart: end })}\n`);
  };
}
