// File transfer on the client: chunked upload and download over the socket, one chunk in flight
// (the acknowledgement is the backpressure, so a large file never sits in memory), SHA-256
// checked end to end, resumed after a dropped connection, cancellable with an AbortSignal.
import { createHash, randomBytes } from "node:crypto";
import { constants as fsConstants, createReadStream } from "node:fs";
import { copyFile, link, open, stat, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import {
  FILE_CHUNK_BYTES, FILE_NAME_MAX_BYTES, safeFileName, type ClientToServerEvents, type FileDto, type Result, type UploadDone,
} from "../../server/protocol/index.js";
import { CLIENT_ERRORS, TRANSIENT_ERRORS } from "./connection.js";

type AckData<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[1] extends (r: Result<infer T>) => void ? T : never;
type Payload<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[0];
export type Requester = <E extends keyof ClientToServerEvents>(event: E, payload: Payload<E>, timeoutMs?: number) => Promise<Result<AckData<E>>>;

export type Progress = { bytes: number; total: number; rateBps: number };

export type TransferHooks = {
  signal?: AbortSignal;
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

const CANCELLED = "CANCELLED";

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new TransferError(CANCELLED, "Cancelled.");
}

/** Bytes per second over the last few seconds, for the progress bar. */
function rateMeter() {
  const samples: [number, number][] = [];
  return (bytes: number): number => {
    const now = performance.now();
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
    if ((r.error.code as string) !== CLIENT_ERRORS.offline) await pause(Math.min(10_000, 250 * 2 ** retries), hooks.signal);
    await hooks.waitOnline();
    onDrop();
  }
}

/** Waits `ms`, or less when the transfer is cancelled meanwhile. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done);
  });
}

/** SHA-256 and size of a file, read as a stream. */
async function hashFile(file: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    checkAbort(signal);
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), size };
}

export type UploadStart = { fileId: number; name: string; size: number };

/**
 * Uploads a local file into a chat. The clientId names the upload: after a drop the upload
 * begins again with it and the server answers with how much it has, so only the rest is sent.
 */
export async function uploadFile(
  request: Requester,
  opts: { chatId: number; file: string; clientId: string; started?: (s: UploadStart) => void },
  hooks: TransferHooks,
): Promise<UploadDone> {
  const info = await stat(opts.file).catch((e: NodeJS.ErrnoException) => {
    throw new TransferError("LOCAL_FILE", `Cannot read ${opts.file}: ${e.code === "ENOENT" ? "no such file" : e.message}.`);
  });
  if (!info.isFile()) throw new TransferError("LOCAL_FILE", `${opts.file} is not a regular file.`);
  const { sha256, size } = await hashFile(opts.file, hooks.signal);
  const handle = await open(opts.file, "r");
  const rate = rateMeter();
  let fileId: number | null = null;
  try {
    const begin = () =>
      call(() => request("file:begin", { chatId: opts.chatId, name: path.basename(opts.file), size, sha256, clientId: opts.clientId }), hooks, () => {});
    let state = await begin();
    fileId = state.file.id;
    opts.started?.({ fileId: state.file.id, name: state.file.name, size });
    let offset = state.received;
    if (offset > 0) hooks.resumed?.(offset);
    hooks.progress?.({ bytes: offset, total: size, rateBps: 0 });
    while (!state.complete && offset < size) {
      checkAbort(hooks.signal);
      const length = Math.min(FILE_CHUNK_BYTES, size - offset);
      const data = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(data, 0, length, offset);
      if (bytesRead !== length) throw new TransferError("LOCAL_FILE", `${opts.file} changed while it was being sent.`);
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
    await handle.close();
  }
}

/** "name.txt", "name (1).txt", "name (2).txt", ... (the stem shortened to stay within 255 bytes). */
function withSuffix(name: string, n: number): string {
  if (n === 0) return name;
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 ? name.slice(dot) : "";
  const tail = ` (${n})${ext}`;
  let stem = [...name.slice(0, name.length - ext.length)];
  while (stem.length > 1 && Buffer.byteLength(stem.join("") + tail) > FILE_NAME_MAX_BYTES) stem = stem.slice(0, -1);
  return stem.join("") + tail;
}

/** Where a download goes: into `dest` when it is a directory, else to the path `dest` names. */
async function resolveTarget(dest: string, fileName: string): Promise<{ dir: string; name: string }> {
  const safe = safeFileName(fileName);
  const s = await stat(dest).catch(() => null);
  if (s?.isDirectory()) return { dir: dest, name: safe };
  const dir = path.dirname(dest);
  const d = await stat(dir).catch(() => null);
  if (!d?.isDirectory()) throw new TransferError("LOCAL_FILE", `${dir} is not a directory.`);
  return { dir, name: safeFileName(path.basename(dest)) };
}

/**
 * Gives the finished temporary file the first free name: never overwrites anything. A hard link
 * is atomic; where the file system has none (FAT, some network drives) an exclusive copy is.
 */
async function placeWithoutOverwrite(tmp: string, dir: string, name: string): Promise<string> {
  let canLink = true;
  for (let n = 0; n < 1000; n++) {
    const target = path.join(dir, withSuffix(name, n));
    try {
      if (canLink) {
        try {
          await link(tmp, target);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "EEXIST") throw e;
          canLink = false;
        }
      }
      if (!canLink) await copyFile(tmp, target, fsConstants.COPYFILE_EXCL);
      await unlink(tmp);
      return target;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  throw new TransferError("LOCAL_FILE", `Too many files named like ${name} in ${dir}.`);
}

/**
 * Downloads a shared file into `dest` (a directory, or a file path). Bytes go to a hidden
 * temporary file beside the target, are hashed as they arrive, and the file takes its name only
 * once the SHA-256 matches; a dropped connection resumes at the next missing chunk.
 */
export async function downloadFile(
  request: Requester,
  opts: { fileId: number; dest: string; started?: (f: FileDto) => void },
  hooks: TransferHooks,
): Promise<{ path: string; file: FileDto }> {
  const file = await call(() => request("file:info", { fileId: opts.fileId }), hooks, () => {});
  opts.started?.(file);
  const { dir, name } = await resolveTarget(opts.dest, file.name);
  // Hidden, and short whatever the name's length: the name itself may use all 255 bytes.
  const tmp = path.join(dir, `.chat-download-${file.id}-${process.pid}-${randomBytes(4).toString("hex")}.part`);
  let out: FileHandle | null = await open(tmp, "w", 0o600);
  const hash = createHash("sha256");
  const rate = rateMeter();
  let offset = 0;
  try {
    hooks.progress?.({ bytes: 0, total: file.size, rateBps: 0 });
    for (;;) {
      checkAbort(hooks.signal);
      const chunk = await call(() => request("file:read", { fileId: file.id, offset }, 30_000), hooks, () => hooks.resumed?.(offset));
      if (chunk.offset !== offset) throw new TransferError("PROTOCOL", `The server sent bytes from ${chunk.offset} when ${offset} was asked for.`);
      const data = Buffer.from(chunk.data as Uint8Array);
      if (offset + data.length > file.size) throw new TransferError("PROTOCOL", "The server sent more bytes than the file has.");
      await out.write(data, 0, data.length, offset);
      hash.update(data);
      offset += data.length;
      hooks.progress?.({ bytes: offset, total: file.size, rateBps: rate(offset) });
      if (chunk.eof || offset >= file.size) break;
      if (data.length === 0) throw new TransferError("PROTOCOL", "The server sent an empty chunk before the end of the file.");
    }
    if (offset !== file.size) throw new TransferError("PROTOCOL", `The download ended after ${offset} of ${file.size} bytes.`);
    await out.close();
    out = null;
    if (hash.digest("hex") !== file.sha256) {
      throw new TransferError("HASH_MISMATCH", `${file.name} arrived with a different SHA-256 than the server recorded; it was not saved.`);
    }
    return { path: await placeWithoutOverwrite(tmp, dir, name), file };
  } finally {
    await out?.close();
    await unlink(tmp).catch(() => undefined);
  }
}
