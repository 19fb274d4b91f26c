// Zod schemas for every client->server payload and the HTTP API; types are inferred from them.
import { z } from "zod";
import { normalizeEmoji } from "./emoji.js";
import { checkNick, checkRoomName } from "./names.js";
import { FILE_CHUNK_BYTES, MAX_TEXT } from "./limits.js";

export { FILE_CHUNK_BYTES, MAX_TEXT } from "./limits.js";

export const HISTORY_DEFAULT = 50;
export const HISTORY_MAX = 200;

/**
 * A string PostgreSQL can store and compare: no NUL characters (text columns refuse them) and
 * well-formed UTF-16 (a lone surrogate would be stored as U+FFFD, and a resend would no longer
 * match the original).
 */
export function storable(label: string, opts: { min?: number; max: number; tooLong?: string }) {
  return z
    .string(`${label} must be a string`)
    .min(opts.min ?? 0, `${label} is required`)
    .max(opts.max, opts.tooLong ?? `${label} is too long`)
    .refine((s) => !s.includes("\u0000"), `${label} cannot contain NUL characters.`)
    .refine((s) => s.isWellFormed(), `${label} is not valid Unicode (it holds a lone surrogate).`);
}

export const ChatId = z.int("chatId must be a whole number").positive("chatId must be positive").max(2_147_483_647, "chatId is out of range");
export const MessageId = z.int("a message id must be a whole number").nonnegative("a message id cannot be negative").max(Number.MAX_SAFE_INTEGER, "message id is out of range");

export const Nick = storable("nick", { max: 100, tooLong: "A nickname has 3 to 24 characters." }).superRefine((v, ctx) => {
  const r = checkNick(v);
  if (!r.ok) ctx.addIssue({ code: "custom", message: r.message });
});
export const RoomName = storable("name", { max: 100, tooLong: "A room name has 2 to 32 characters." }).superRefine((v, ctx) => {
  const r = checkRoomName(v);
  if (!r.ok) ctx.addIssue({ code: "custom", message: r.message });
});
export const Password = z
  .string("password must be a string")
  .min(8, "A password has at least 8 characters.")
  .max(128, "A password has at most 128 characters.");

// HTTP API
export const Credentials = z.object({ nick: Nick, password: Password });
export type Credentials = z.infer<typeof Credentials>;
// Login does not reveal which rule a wrong nick breaks; any string up to the limits is tried.
export const LoginBody = z.object({
  nick: storable("nick", { min: 1, max: 100 }),
  password: z.string("password must be a string").min(1, "password is required").max(128, "A password has at most 128 characters."),
});
export type LoginBody = z.infer<typeof LoginBody>;

// Socket events, client -> server
const MessageText = storable("text", { max: MAX_TEXT, tooLong: `A message has at most ${MAX_TEXT} characters.` }).refine(
  (t) => t.trim().length > 0,
  "A message cannot be empty.",
);
export const SendMessage = z.object({
  chatId: ChatId,
  text: MessageText,
  clientId: z.uuid("clientId must be a UUID"),
  /** The id of a message in the same chat this one replies to. */
  replyTo: MessageId.optional(),
});
export type SendMessage = z.infer<typeof SendMessage>;

export const FetchHistory = z
  .object({
    chatId: ChatId,
    before: MessageId.optional(),
    after: MessageId.optional(),
    /** A message id: the page holds it with the messages just before and after it (a jump to a search hit). */
    around: MessageId.optional(),
    limit: z.int("limit must be a whole number").min(1, "limit is at least 1").max(HISTORY_MAX, `limit is at most ${HISTORY_MAX}`).optional(),
  })
  .refine((p) => [p.before, p.after, p.around].filter((v) => v !== undefined).length <= 1, "Give at most one of before, after and around.");
export type FetchHistory = z.infer<typeof FetchHistory>;

// Conversations: edits, deletes, reactions, search and mentions.
export const SEARCH_DEFAULT = 20;
export const SEARCH_MAX = 100;
export const MENTIONS_DEFAULT = 50;
export const MENTIONS_MAX = 200;

export const EditMessage = z.object({
  messageId: MessageId,
  text: MessageText,
  /** The client's UUID for this edit: sending the same edit again changes nothing. */
  clientId: z.uuid("clientId must be a UUID"),
});
export type EditMessage = z.infer<typeof EditMessage>;

export const DeleteMessage = z.object({ messageId: MessageId, clientId: z.uuid("clientId must be a UUID").optional() });
export type DeleteMessage = z.infer<typeof DeleteMessage>;

/** One emoji (a single grapheme) or a :shortname: of EMOJI_SHORTNAMES; the emoji is what is stored. */
export const Emoji = z
  .string("emoji must be a string")
  .max(40, "emoji is one emoji or a :shortname:")
  .transform((s, ctx) => {
    const e = normalizeEmoji(s);
    if (e === null) {
      ctx.addIssue({ code: "custom", message: "emoji must be a single emoji (such as 👍) or a known :shortname: (such as :+1: or :tada:)." });
      return z.NEVER;
    }
    return e;
  });
export const ReactToMessage = z.object({
  messageId: MessageId,
  emoji: Emoji,
  /** true adds the reaction, false takes it back; either is a no-op when already so. */
  on: z.boolean("on must be true or false"),
  clientId: z.uuid("clientId must be a UUID").optional(),
});
export type ReactToMessage = z.input<typeof ReactToMessage>;

export const SearchMessages = z.object({
  /** Words (all must match), "quoted phrases", from:nick and in:#room. */
  query: storable("query", { min: 1, max: 500, tooLong: "A search has at most 500 characters." }).refine((q) => q.trim().length > 0, "Type something to search for."),
  chatId: ChatId.optional(),
  /** Only messages from this nick. */
  from: storable("from", { min: 1, max: 100 }).optional(),
  /** A message id cursor: only hits older than it (the last hit of the previous page). */
  before: MessageId.optional(),
  limit: z.int("limit must be a whole number").min(1, "limit is at least 1").max(SEARCH_MAX, `limit is at most ${SEARCH_MAX}`).optional(),
});
export type SearchMessages = z.infer<typeof SearchMessages>;

export const ListMentions = z.object({
  before: MessageId.optional(),
  limit: z.int("limit must be a whole number").min(1, "limit is at least 1").max(MENTIONS_MAX, `limit is at most ${MENTIONS_MAX}`).optional(),
}).optional();
export type ListMentions = z.infer<typeof ListMentions>;

export const OpenDm = z.object({ nick: storable("nick", { min: 1, max: 100 }) });
export type OpenDm = z.infer<typeof OpenDm>;

export const CreateRoom = z.object({ name: RoomName, private: z.boolean("private must be true or false").optional() });
export type CreateRoom = z.infer<typeof CreateRoom>;

export const JoinRoom = z.object({ name: storable("name", { min: 1, max: 100 }) });
export type JoinRoom = z.infer<typeof JoinRoom>;

export const InviteToRoom = z.object({ chatId: ChatId, nick: storable("nick", { min: 1, max: 100 }) });
export type InviteToRoom = z.infer<typeof InviteToRoom>;

export const ChatRef = z.object({ chatId: ChatId });
export type ChatRef = z.infer<typeof ChatRef>;

export const MarkRead = z.object({ chatId: ChatId, messageId: MessageId });
export type MarkRead = z.infer<typeof MarkRead>;

export const Empty = z.object({}).optional();
/** presence:list: online users after the cursor (a nick), at most limit (1-500, default 100). */
export const ListPresence = z.object({
  after: z.string().min(1).max(100).optional(),
  limit: z.number().int().min(1).max(500).optional(),
}).optional();
export type Empty = z.infer<typeof Empty>;

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** One human sentence for the first problem zod found in `input`. */
export function describeIssues(error: z.ZodError, input?: unknown): string {
  const issue = error.issues[0];
  if (!issue) return "The request is malformed.";
  const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
  const parentIsObject = issue.path.length > 0 && typeof valueAt(input, issue.path.slice(0, -1)) === "object";
  if (issue.code === "invalid_type" && parentIsObject && valueAt(input, issue.path) === undefined) return `${where}this field is required.`;
  if (issue.code === "invalid_type" && issue.path.length === 0) return "The payload must be an object with the fields this event takes.";
  return `${where}${issue.message}`;
}

// Moderation (admins and moderators) and server control (admins).
const TargetNick = storable("nick", { min: 1, max: 100 });
const Reason = storable("reason", { max: 300, tooLong: "A reason has at most 300 characters." }).optional();
/** Seconds; absent means until lifted. At most a year. */
const DurationSec = z.int("durationSec must be a whole number of seconds").positive("durationSec must be positive").max(366 * 24 * 3600, "A duration is at most a year.").optional();

export const Kick = z.object({ nick: TargetNick, reason: Reason });
export type Kick = z.infer<typeof Kick>;
export const Ban = z.object({ nick: TargetNick, durationSec: DurationSec, reason: Reason });
export type Ban = z.infer<typeof Ban>;
export const Mute = Ban;
export type Mute = Ban;
export const Unsanction = z.object({ nick: TargetNick });
export type Unsanction = z.infer<typeof Unsanction>;
export const Shutdown = z.object({
  inSeconds: z.int("inSeconds must be a whole number").min(0, "inSeconds cannot be negative").max(3600, "inSeconds is at most 3600").optional(),
  reason: Reason,
});
export type Shutdown = z.infer<typeof Shutdown>;

// File transfer
/** Every upload chunk but the last has exactly this many bytes; downloads come in the same chunks. */
export const FILE_LIST_MAX = 100;

export const FileId = z.int("fileId must be a whole number").positive("fileId must be positive").max(2_147_483_647, "fileId is out of range");
const Offset = z.int("offset must be a whole number").nonnegative("offset cannot be negative").max(Number.MAX_SAFE_INTEGER, "offset is out of range");
const Sha256Hex = z
  .string("sha256 must be a string")
  .regex(/^[0-9a-fA-F]{64}$/, "sha256 must be the file's SHA-256 as 64 hex digits.")
  .transform((s) => s.toLowerCase());
/** Binary data as socket.io delivers it (a Buffer in Node, a Uint8Array or ArrayBuffer elsewhere). */
const Bytes = z
  .custom<Uint8Array>((v) => v instanceof Uint8Array || v instanceof ArrayBuffer, "data must be binary (a Buffer or ArrayBuffer), not text.")
  .transform((v) => (v instanceof Uint8Array ? v : new Uint8Array(v as ArrayBuffer)))
  .refine((v) => v.byteLength <= FILE_CHUNK_BYTES, `A chunk has at most ${FILE_CHUNK_BYTES} bytes.`);

export const BeginUpload = z.object({
  chatId: ChatId,
  /** Any name: the server neutralises it (see safeFileName), NUL and lone surrogates included. */
  name: z
    .string("name must be a string")
    .min(1, "name is required")
    .max(1024, "A file name has at most 1,024 characters.")
    .transform((s) => s.toWellFormed()),
  size: z.int("size must be a whole number of bytes").nonnegative("size cannot be negative").max(Number.MAX_SAFE_INTEGER, "size is out of range"),
  sha256: Sha256Hex,
  /** The client's UUID for this upload; beginning again with it resumes instead of starting over. */
  clientId: z.uuid("clientId must be a UUID"),
});
export type BeginUpload = z.input<typeof BeginUpload>;

export const UploadChunk = z.object({ fileId: FileId, offset: Offset, data: Bytes });
export type UploadChunk = z.input<typeof UploadChunk>;

export const FileRef = z.object({ fileId: FileId });
export type FileRef = z.infer<typeof FileRef>;

export const ReadChunk = z.object({ fileId: FileId, offset: Offset });
export type ReadChunk = z.infer<typeof ReadChunk>;

export const ListFiles = z.object({
  chatId: ChatId,
  before: FileId.optional(),
  limit: z.int("limit must be a whole number").min(1, "limit is at least 1").max(FILE_LIST_MAX, `limit is at most ${FILE_LIST_MAX}`).optional(),
});
export type ListFiles = z.infer<typeof ListFiles>;

/** An OpenSSH public key line ("ssh-ed25519 AAAA... comment"); services/ssh-keys.ts parses it. */
export const SSH_KEY_LINE_MAX = 16_384;
export const AddSshKey = z.object({
  publicKey: z.string("publicKey must be a string").trim().min(1, "publicKey is empty: paste the line of your .pub file").max(SSH_KEY_LINE_MAX, `publicKey is at most ${SSH_KEY_LINE_MAX} characters`),
});
export type AddSshKey = z.infer<typeof AddSshKey>;

/** An OpenSSH SHA-256 fingerprint: "SHA256:" and 43 characters of unpadded base64. */
export const SSH_FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;
export const SshFingerprint = z.object({
  fingerprint: z.string("fingerprint must be a string").trim().regex(SSH_FINGERPRINT_RE, "fingerprint must look like SHA256:... as `ssh-keygen -lf` shows it"),
});
export type SshFingerprint = z.infer<typeof SshFingerprint>;
