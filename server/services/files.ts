// File transfer: chunked uploads into PostgreSQL, verified with SHA-256, shared in a chat as a
// message, and chunked downloads for the chat's members. See docs/protocol.md, "Files".
import { createHash } from "node:crypto";
import { AppError } from "../app-error.js";
import {
  FILE_CHUNK_BYTES, FILE_LIST_MAX, formatBytes, safeFileName,
  type BeginUpload, type FileChunk, type FileDto, type FileList, type ListFiles, type ReadChunk, type UploadChunk, type UploadDone,
  type UploadProgress, type UploadState, type UserDto,
} from "../protocol/index.js";
import type { ChatService } from "./chat.js";
import { toFileDto } from "./dto.js";
import { describeSanction } from "./moderation.js";
import type { FileRecord, Repositories } from "./ports.js";

export type FileLimits = {
  /** Largest file accepted, in bytes. */
  maxFileBytes: number;
  /** Bytes one user may store in all (complete and unfinished uploads). */
  quotaBytesPerUser: number;
  /** Uploads in progress per user (cluster-wide), and downloads in progress per user (per node). */
  maxTransfersPerUser: number;
  /** An upload that receives nothing for this long is removed with what it stored. */
  uploadIdleMs: number;
};

/** A download counts as in progress until it reaches the end or has been idle this long. */
const DOWNLOAD_IDLE_MS = 60_000;
/** Chunks hashed per query when an upload completes (1 MiB). */
const HASH_BATCH = 16;

export interface FileService {
  begin(user: UserDto, input: BeginUpload): Promise<UploadState>;
  chunk(user: UserDto, input: UploadChunk): Promise<UploadProgress>;
  complete(user: UserDto, fileId: number): Promise<UploadDone>;
  cancel(user: UserDto, fileId: number): Promise<{ fileId: number }>;
  /** Deletes a shared file (its uploader, or a moderator or admin who is in the chat); its message stays, without the file. */
  remove(user: UserDto, fileId: number): Promise<{ fileId: number; name: string }>;
  info(user: UserDto, fileId: number): Promise<FileDto>;
  read(user: UserDto, input: ReadChunk): Promise<FileChunk>;
  list(user: UserDto, input: ListFiles): Promise<FileList>;
  /** Removes uploads idle for longer than the limit; returns how many. */
  sweep(now?: Date): Promise<number>;
}

export function createFileService(deps: { repos: Repositories; chat: ChatService; limits: FileLimits }): FileService {
  const { repos, chat, limits } = deps;
  /** userId -> fileId -> last chunk read (ms): downloads in progress on this node. */
  const downloads = new Map<number, Map<number, number>>();

  // A file in a chat the user is not in answers exactly like one that does not exist.
  const notFound = (fileId: number) => new AppError("FILE_NOT_FOUND", `File ${fileId} does not exist, or it is not in a chat you are in.`);
  const chatNotFound = (chatId: number) => new AppError("CHAT_NOT_FOUND", `Chat ${chatId} does not exist or you are not a member of it.`);

  async function requireMember(userId: number, chatId: number, error: () => AppError): Promise<void> {
    if (!(await repos.chats.getMembership(chatId, userId))) throw error();
  }

  /** A file may be shared into the chat: the user is a member and not muted (one query, as for a message). */
  async function requireCanShare(userId: number, chatId: number): Promise<void> {
    const context = await repos.chats.sendContext(chatId, userId, new Date());
    if (!context) throw chatNotFound(chatId);
    if (context.mute) throw new AppError("MUTED", `You are muted ${describeSanction(context.mute)}; you cannot share files.`);
  }

  /** The user's own upload. */
  async function ownUpload(user: UserDto, fileId: number): Promise<FileRecord> {
    const file = await repos.files.findById(fileId);
    if (!file || file.uploaderId !== user.id) throw notFound(fileId);
    return file;
  }

  /** A shared file the user may read: complete, in a chat the user is a member of. */
  async function readable(user: UserDto, fileId: number): Promise<FileRecord> {
    const file = await repos.files.findById(fileId);
    if (!file || file.status !== "complete") throw notFound(fileId);
    await requireMember(user.id, file.chatId, () => notFound(fileId));
    return file;
  }

  function trackDownload(userId: number, fileId: number, done: boolean): void {
    const now = Date.now();
    const mine = downloads.get(userId) ?? new Map<number, number>();
    for (const [id, at] of mine) if (now - at > DOWNLOAD_IDLE_MS) mine.delete(id);
    if (!mine.has(fileId) && mine.size >= limits.maxTransfersPerUser) {
      throw new AppError("TOO_MANY_TRANSFERS", `You have ${mine.size} downloads going on already; finish or cancel one first.`);
    }
    if (done) mine.delete(fileId);
    else mine.set(fileId, now);
    if (mine.size) downloads.set(userId, mine);
    else downloads.delete(userId);
  }

  const state = (file: FileRecord): UploadState => ({
    file: toFileDto(file),
    received: file.received,
    chunkSize: FILE_CHUNK_BYTES,
    complete: file.status === "complete",
  });

  async function verify(file: FileRecord): Promise<boolean> {
    const hash = createHash("sha256");
    const chunks = Math.ceil(file.size / FILE_CHUNK_BYTES);
    for (let seq = 0; seq < chunks; seq += HASH_BATCH) {
      const batch = await repos.files.readChunks(file.id, seq, HASH_BATCH);
      if (batch.length !== Math.min(HASH_BATCH, chunks - seq)) return false;
      for (const data of batch) hash.update(data);
    }
    return hash.digest("hex") === file.sha256;
  }

  return {
    async begin(user, input) {
      await requireCanShare(user.id, input.chatId);
      const name = safeFileName(input.name);
      if (input.size > limits.maxFileBytes) {
        throw new AppError("FILE_TOO_LARGE", `${name} has ${formatBytes(input.size)}; this server takes files of up to ${formatBytes(limits.maxFileBytes)}.`);
      }
      const { file, created } = await repos.files.begin(
        { chatId: input.chatId, uploaderId: user.id, clientId: input.clientId, name, size: input.size, sha256: input.sha256 },
        {
          activeSince: new Date(Date.now() - limits.uploadIdleMs),
          admit: (usage) => {
            if (usage.activeUploads >= limits.maxTransfersPerUser) {
              throw new AppError("TOO_MANY_TRANSFERS", `You have ${usage.activeUploads} uploads going on already; finish or cancel one first.`);
            }
            if (usage.bytes + input.size > limits.quotaBytesPerUser) {
              throw new AppError(
                "QUOTA_EXCEEDED",
                `Your files take ${formatBytes(usage.bytes)} of your ${formatBytes(limits.quotaBytesPerUser)}; ${name} (${formatBytes(input.size)}) does not fit.`,
              );
            }
          },
        },
      );
      // Beginning again with the same clientId resumes; it must be the same file.
      if (!created && (file.chatId !== input.chatId || file.size !== input.size || file.sha256 !== input.sha256)) {
        throw new AppError("CLIENT_ID_REUSED", "This clientId belongs to another upload; generate a new UUID for each file.");
      }
      return state(file);
    },

    async chunk(user, { fileId, offset, data }) {
      const file = await ownUpload(user, fileId);
      const length = data.byteLength;
      if (file.status === "complete") return { fileId, received: file.received };
      if (offset % FILE_CHUNK_BYTES !== 0) throw new AppError("VALIDATION_FAILED", `offset must be a multiple of ${FILE_CHUNK_BYTES}.`);
      if (offset + length > file.size) throw new AppError("VALIDATION_FAILED", `This chunk ends at byte ${offset + length}, past the file's declared size of ${file.size}.`);
      if (length === 0 || (length !== FILE_CHUNK_BYTES && offset + length !== file.size)) {
        throw new AppError("VALIDATION_FAILED", `Every chunk but the last has exactly ${FILE_CHUNK_BYTES} bytes; the last one ends the file.`);
      }
      // A chunk sent again after its acknowledgement was lost: already stored.
      if (offset + length <= file.received) return { fileId, received: file.received };
      if (offset !== file.received) throw new AppError("OFFSET_MISMATCH", `The server has ${file.received} bytes of this file; send the chunk at offset ${file.received}.`);
      const received = await repos.files.appendChunk(fileId, offset / FILE_CHUNK_BYTES, offset, data);
      if (received !== null) return { fileId, received };
      // Another copy of the same chunk won the race, or the upload was cancelled or swept.
      const now = await repos.files.findById(fileId);
      if (!now) throw notFound(fileId);
      if (now.received >= offset + length) return { fileId, received: now.received };
      throw new AppError("OFFSET_MISMATCH", `The server has ${now.received} bytes of this file; send the chunk at offset ${now.received}.`);
    },

    async complete(user, fileId) {
      const file = await ownUpload(user, fileId);
      // A repeated complete (its acknowledgement was lost): sharing again returns the message
      // stored the first time (same clientId).
      if (file.status === "complete") return { file: toFileDto(file), message: await chat.shareFile(user, file) };
      if (file.received !== file.size) {
        throw new AppError("UPLOAD_INCOMPLETE", `The server has ${file.received} of ${file.size} bytes of ${file.name}; send the rest first.`);
      }
      await requireCanShare(user.id, file.chatId);
      if (!(await verify(file))) {
        await repos.files.remove(fileId);
        throw new AppError("HASH_MISMATCH", `${file.name} arrived with a different SHA-256 than declared, so it was corrupted on the way; it was discarded. Send it again.`);
      }
      if (!(await repos.files.markComplete(fileId)) && !(await repos.files.findById(fileId))) throw notFound(fileId);
      const done: FileRecord = { ...file, status: "complete" };
      return { file: toFileDto(done), message: await chat.shareFile(user, done) };
    },

    async cancel(user, fileId) {
      const file = await ownUpload(user, fileId);
      if (file.status === "complete") throw new AppError("VALIDATION_FAILED", `${file.name} was already shared; only an unfinished upload can be cancelled.`);
      await repos.files.remove(fileId);
      return { fileId };
    },

    async remove(user, fileId) {
      const file = await repos.files.findById(fileId);
      // Someone else's unfinished upload is invisible, as everywhere else.
      if (!file || (file.uploaderId !== user.id && file.status !== "complete")) throw notFound(fileId);
      if (file.uploaderId !== user.id) {
        await requireMember(user.id, file.chatId, () => notFound(fileId));
        if (user.role === "user") throw new AppError("FORBIDDEN", `Only ${file.uploaderNick}, who shared ${file.name}, or a moderator can delete it.`);
      }
      // The chunks go with the row; the message that shared it stays, without its file.
      await repos.files.remove(fileId);
      return { fileId, name: file.name };
    },

    async info(user, fileId) {
      return toFileDto(await readable(user, fileId));
    },

    async read(user, { fileId, offset }) {
      const file = await readable(user, fileId);
      if (offset % FILE_CHUNK_BYTES !== 0) throw new AppError("VALIDATION_FAILED", `offset must be a multiple of ${FILE_CHUNK_BYTES}.`);
      if (offset > file.size || (offset === file.size && file.size > 0)) {
        throw new AppError("VALIDATION_FAILED", `offset ${offset} is past the end of the file (${file.size} bytes).`);
      }
      const eof = offset + FILE_CHUNK_BYTES >= file.size;
      trackDownload(user.id, fileId, eof);
      if (file.size === 0) return { fileId, offset, data: Buffer.alloc(0), eof: true };
      const [data] = await repos.files.readChunks(fileId, offset / FILE_CHUNK_BYTES, 1);
      if (!data) throw new AppError("INTERNAL", `A chunk of ${file.name} is missing on the server.`);
      return { fileId, offset, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), eof };
    },

    async list(user, { chatId, before, limit }) {
      await requireMember(user.id, chatId, () => chatNotFound(chatId));
      const n = limit ?? FILE_LIST_MAX;
      const rows = await repos.files.listForChat(chatId, before ?? null, n + 1);
      return { chatId, files: rows.slice(0, n).map(toFileDto), hasMore: rows.length > n };
    },

    sweep: (now = new Date()) => repos.files.removeStale(new Date(now.getTime() - limits.uploadIdleMs)),
  };
}
