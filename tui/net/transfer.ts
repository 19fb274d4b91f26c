// The local file system behind the client core's transfer ports: a byte source reading a file
// the user named, a sink writing a hidden temporary file that takes its final name (never
// overwriting anything) only once the SHA-256 matched; plus path-based upload/download helpers.
import { createHash, randomBytes } from "node:crypto";
import { constants as fsConstants, createReadStream } from "node:fs";
import { copyFile, link, mkdir, open, stat, unlink, type FileHandle } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { FILE_NAME_MAX_BYTES, safeFileName, type FileDto, type RequestFn, type UploadDone } from "../../server/protocol/index.js";
import { systemClock, type ByteSink, type ByteSource, type CancelSignal, type FilePorts, type Hasher } from "../../client/ports.js";
import {
  checkAbort, downloadFile as coreDownload, TransferError, uploadFile as coreUpload, type TransferHooks as CoreHooks, type UploadStart,
} from "../../client/transfer.js";

export { TransferError, type Progress, type UploadStart } from "../../client/transfer.js";
export type Requester = RequestFn;
export type TransferHooks = Omit<CoreHooks, "clock"> & { clock?: CoreHooks["clock"] };

/** "~/x" -> home-relative; anything else relative to `cwd`. */
export const expandPath = (p: string, cwd = process.cwd()) =>
  path.resolve(cwd, p === "~" ? os.homedir() : p.startsWith("~/") ? path.join(os.homedir(), p.slice(2)) : p);

export function nodeHasher(): Hasher {
  const hash = createHash("sha256");
  return { update: (b) => void hash.update(b), digest: () => hash.digest("hex") };
}

/** A local file as a byte source. */
export async function fileSource(file: string): Promise<ByteSource> {
  const info = await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw new TransferError("LOCAL_FILE", `Cannot read ${file}: ${e.code === "ENOENT" ? "no such file" : e.message}.`);
  });
  if (!info.isFile()) throw new TransferError("LOCAL_FILE", `${file} is not a regular file.`);
  let handle: FileHandle | null = null;
  return {
    name: path.basename(file),
    async measure(signal: CancelSignal) {
      const hash = createHash("sha256");
      let size = 0;
      for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
        checkAbort(signal);
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      return { sha256: hash.digest("hex"), size };
    },
    async read(offset, length) {
      handle ??= await open(file, "r");
      const data = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(data, 0, length, offset);
      return bytesRead === length ? data : data.subarray(0, bytesRead);
    },
    async close() {
      await handle?.close();
      handle = null;
    },
  };
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

/** A sink in `dest` (a directory, or a file path): a hidden temporary file until commit. */
export async function fileSink(dest: string, fileName: string, fileId: number): Promise<ByteSink> {
  const { dir, name } = await resolveTarget(dest, fileName);
  // Hidden, and short whatever the name's length: the name itself may use all 255 bytes.
  const tmp = path.join(dir, `.chat-download-${fileId}-${process.pid}-${randomBytes(4).toString("hex")}.part`);
  let out: FileHandle | null = await open(tmp, "w", 0o600);
  return {
    async write(offset, bytes) {
      await out!.write(bytes, 0, bytes.byteLength, offset);
    },
    async commit() {
      await out?.close();
      out = null;
      return placeWithoutOverwrite(tmp, dir, name);
    },
    async discard() {
      await out?.close();
      out = null;
      await unlink(tmp).catch(() => undefined);
    },
  };
}

/** The file ports of a local chat-tui: paths relative to `cwd`, downloads into `downloadDir` by default. */
export function localFiles(opts: { downloadDir: string; cwd?: string }): FilePorts {
  return {
    openSource: (p) => fileSource(expandPath(p, opts.cwd)),
    async openSink(dest, fileName, fileId) {
      const target = dest ? expandPath(dest, opts.cwd) : opts.downloadDir;
      // A directory given with a trailing slash, or the default one, is created when missing.
      if (!dest || /[/\\]$/.test(dest)) await mkdir(target, { recursive: true }).catch(() => undefined);
      return fileSink(target, fileName, fileId);
    },
    sha256: nodeHasher,
  };
}

const withClock = (hooks: TransferHooks): CoreHooks => ({ ...hooks, clock: hooks.clock ?? systemClock() });

/** Uploads the local file at `file` (see client/transfer.ts for the protocol). */
export async function uploadFile(
  request: Requester,
  opts: { chatId: number; file: string; clientId: string; started?: (s: UploadStart) => void },
  hooks: TransferHooks,
): Promise<UploadDone> {
  const source = await fileSource(opts.file);
  return coreUpload(request, { chatId: opts.chatId, source, clientId: opts.clientId, ...(opts.started ? { started: opts.started } : {}) }, withClock(hooks));
}

/** Downloads a shared file into `dest` (a directory, or a file path); never overwrites. */
export function downloadFile(
  request: Requester,
  opts: { fileId: number; dest: string; started?: (f: FileDto) => void },
  hooks: TransferHooks,
): Promise<{ path: string; file: FileDto }> {
  return coreDownload(
    request,
    { fileId: opts.fileId, openSink: (f) => fileSink(opts.dest, f.name, f.id), hasher: nodeHasher(), ...(opts.started ? { started: opts.started } : {}) },
    withClock(hooks),
  );
}
