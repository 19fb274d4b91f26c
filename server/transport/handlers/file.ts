// File transfer events: upload (begin, chunk, complete, cancel) and download (info, read, list).
import { BeginUpload, FileRef, ListFiles, ReadChunk, UploadChunk } from "../../protocol/index.js";
import type { FileService } from "../../services/files.js";
import { handle } from "../handle.js";

export const fileHandlers = (files: FileService) => ({
  "file:begin": handle<"file:begin">(BeginUpload, (input, ctx) => files.begin(ctx.user, input)),
  "file:chunk": handle<"file:chunk">(UploadChunk, (input, ctx) => files.chunk(ctx.user, input)),
  "file:complete": handle<"file:complete">(FileRef, (input, ctx) => files.complete(ctx.user, input.fileId)),
  "file:cancel": handle<"file:cancel">(FileRef, (input, ctx) => files.cancel(ctx.user, input.fileId)),
  "file:delete": handle<"file:delete">(FileRef, (input, ctx) => files.remove(ctx.user, input.fileId)),
  "file:info": handle<"file:info">(FileRef, (input, ctx) => files.info(ctx.user, input.fileId)),
  "file:read": handle<"file:read">(ReadChunk, (input, ctx) => files.read(ctx.user, input)),
  "file:list": handle<"file:list">(ListFiles, (input, ctx) => files.list(ctx.user, input)),
});
