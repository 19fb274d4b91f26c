// File transfer: chunked upload and download over the connection, one chunk in flight (the
// acknowledgement is the backpressure, so a large file never sits in memory), SHA-256 checked
// end to end, resumed after a dropped connection, cancellable. Bytes come from and go to ports.
import { FILE_CHUNK_BYTES, type FileDto, type RequestFn, type Result, type UploadDone } from "../server/protocol/index.js";
import { CLIENT_ERRORS, TRANSIENT_ERRORS } from "./connection.js";
import type { ByteSink, ByteSource, CancelSignal, Clock, Hasher } from "./ports.js";

export type Progress = { bytes: number; total: number; rateBps: number };

export type TransferHooks = {
  signal?: CancelSignal;
  clock: Clock;
  progress?: (p: Progress) => void;
  /** Resolves when the connection is back (after a drop); the transfer then resumes. */
  waitOnline: () => Promise<void>;
  /** How many times one request of a transfer is retried before the transfer gives up (default 20). */
  maxRetries?: number;
  /** Called when a transfer picks up again after a drop, with the byte it resumes from. */
  resumed?: (from: number) => void;
};

export class TransferError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export const CANCELLED = "CANCELLED";

export function checkAbort(signal?: CancelSignal): void {
  if (signal?.aborted) throw new TransferError(CANCELLED, "Cancelled.");
}

/** Bytes per second over the last few seconds, for the progress bar. */
function rateMeter(clock: Clock) {
  const samples: [number, number][] = [];
  return (bytes: number): number => {
    const now = clock.now();
    samples.push([now, bytes]);
    while (samples.length > 2 && now - samples[0]![0] > 3000) samples.shift();
    const [t0, b0] = samples[0]!;
    return now - t0 > 0 ? ((bytes - b0) * 1000) / (now - t0) : 0;
  };
}

/**
 * Runs a request; on a transient failure waits (for the connection when it is down, else a
 * growing pause: the server may be draining or its database away) and sends it again.
 */
async function call<T>(send: () => Promise<Result<T>>, hooks: TransferHooks, onDrop: () => void): Promise<T> {
  let retries = 0;
  for (;;) {
    checkAbort(hooks.signal);
    const r = await send();
    if (r.ok) return r.data;
    checkAbort(hooks.signal);
    if (!TRANSIENT_ERRORS.has(r.error.code) || ++retries > (hooks.maxRetries ?? 20)) throw new TransferError(r.error.code, r.error.message);
    if ((r.error.code as string) !== CLIENT_ERRORS.offline) await pause(Math.min(10_000, 250 * 2 ** retries), hooks);
    await hooks.waitOnline();
    onDrop();
  }
}

/** Waits `ms`, or less when the transfer is cancelled meanwhile. */
function pause(ms: number, hooks: TransferHooks): Promise<void> {
  return new Promise((resolve) => {
    const timer = hooks.clock.setTimeout(done, ms);
    function done() {
      hooks.clock.clearTimeout(timer);
      hooks.signal?.removeEventListener("abort", done);
      resolve();
    }
    hooks.signal?.addEventListener("abort", done);
  });
}

export type UploadStart = { fileId: number; name: string; size: number };

/**
 * Uploads a file into a chat. The clientId names the upload: after a drop the upload begins
 * again with it and the server answers with how much it has, so only the rest is sent.
 */
export async function uploadFile(
  request: RequestFn,
  opts: { chatId: number; source: ByteSource; clientId: string; started?: (s: UploadStart) => void },
  hooks: TransferHooks,
): Promise<UploadDone> {
  const { source } = opts;
  const rate = rateMeter(hooks.clock);
  let fileId: number | null = null;
  try {
    const { sha256, size } = await source.measure(hooks.signal ?? NEVER);
    checkAbort(hooks.signal);
    const begin = () => call(() => request("file:begin", { chatId: opts.chatId, name: source.name, size, sha256, clientId: opts.clientId }), hooks, () => {});
    let state = await begin();
    fileId = state.file.id;
    opts.started?.({ fileId: state.file.id, name: state.file.name, size });
    let offset = state.received;
    if (offset > 0) hooks.resumed?.(offset);
    hooks.progress?.({ bytes: offset, total: size, rateBps: 0 });
    while (!state.complete && offset < size) {
      checkAbort(hooks.signal);
      const length = Math.min(FILE_CHUNK_BYTES, size - offset);
      const data = await source.read(offset, length);
      if (data.byteLength !== length) throw new TransferError("LOCAL_FILE", `${source.name} changed while it was being sent.`);
      // After a drop the same chunk is sent again: the server keeps one copy of it whether or
      // not the first one arrived, and answers with how much it has.
      const from = offset;
      const r = await call(() => request("file:chunk", { fileId: state.file.id, offset: from, data }, 30_000), hooks, () => hooks.resumed?.(from)).catch(
        (e: unknown) => {
          if (e instanceof TransferError && e.code === "OFFSET_MISMATCH") return null;
          throw e;
        },
      );
      if (r === null) {
        // The server holds a different amount (another copy of this upload sent too): ask it.
        state = await begin();
        offset = state.received;
        continue;
      }
      offset = r.received;
      hooks.progress?.({ bytes: offset, total: size, rateBps: rate(offset) });
    }
    return await call(() => request("file:complete", { fileId: state.file.id }, 60_000), hooks, () => {});
  } catch (e) {
    // A cancelled upload is removed from the server rather than left to time out.
    if (e instanceof TransferError && e.code === CANCELLED && fileId !== null) await request("file:cancel", { fileId }).catch(() => null);
    throw e;
  } finally {
    await source.close();
  }
}

const NEVER: CancelSignal = { aborted: false, addEventListener() {}, removeEventListener() {} };

/**
 * Downloads a shared file into a sink. Bytes are hashed as they arrive, and the sink commits
 * (the file takes its name) only once the SHA-256 matches; a dropped connection resumes at
 * the next missing chunk.
 */
export async function downloadFile(
  request: RequestFn,
  opts: { fileId: number; openSink: (file: FileDto) => Promise<ByteSink>; hasher: Hasher; started?: (f: FileDto) => void },
  hooks: TransferHooks,
): Promise<{ path: string; file: FileDto }> {
  const file = await call(() => request("file:info", { fileId: opts.fileId }), hooks, () => {});
  opts.started?.(file);
  const sink = await opts.openSink(file);
  const hash = opts.hasher;
  const rate = rateMeter(hooks.clock);
  let offset = 0;
  let committed = false;
  try {
    hooks.progress?.({ bytes: 0, total: file.size, rateBps: 0 });
    for (;;) {
      checkAbort(hooks.signal);
      const chunk = await call(() => request("file:read", { fileId: file.id, offset }, 30_000), hooks, () => hooks.resumed?.(offset));
      if (chunk.offset !== offset) throw new TransferError("PROTOCOL", `The server sent bytes from ${chunk.offset} when ${offset} was asked for.`);
      const data = chunk.data instanceof Uint8Array ? chunk.data : new Uint8Array(chunk.data as ArrayBuffer);
      if (offset + data.byteLength > file.size) throw new TransferError("PROTOCOL", "The server sent more bytes than the file has.");
      await sink.write(offset, data);
      hash.update(data);
      offset += data.byteLength;
      hooks.progress?.({ bytes: offset, total: file.size, rateBps: rate(offset) });
      if (chunk.eof || offset >= file.size) break;
      if (data.byteLength === 0) throw new TransferError("PROTOCOL", "The server sent an empty chunk before the end of the file.");
    }
    if (offset !== file.size) throw new TransferError("PROTOCOL", `The download ended after ${offset} of ${file.size} bytes.`);
    if ((await hash.digest()) !== file.sha256) {
      throw new TransferError("HASH_MISMATCH", `${file.name} arrived with a different SHA-256 than the server recorded; it was not saved.`);
    }
    const path = await sink.commit();
    committed = true;
    return { path, file };
  } finally {
    if (!committed) await sink.discard().catch(() => undefined);
  }
}
