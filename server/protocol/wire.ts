// Protocol 2's compact message frame: a new message as a positional array instead of the named
// MessageDto of `message:new`, with only what a receiver cannot derive and no defaults.
// Pure: the server encodes with it, the client core decodes with it (docs/protocol.md 1.8).
import type { FileDto, MessageDto, MessageKind, ReactionDto, ReplyRef } from "./dto.js";

/** The event name of the compact frame (protocol >= 2; protocol 1 gets `message:new`). */
export const COMPACT_MESSAGE = "m";

/** What differs from a plain new text message: only the fields that are not their default. */
export type CompactExtra = {
  kind?: Exclude<MessageKind, "text">;
  file?: FileDto;
  replyTo?: ReplyRef;
  editedAt?: string;
  deleted?: { by: string; at: string };
  reactions?: ReactionDto[];
};

/**
 * `[id, chatId, senderId, sender, text, createdAtMs]`, and a seventh element with the
 * non-default fields when there are any. The clientId is not sent: it only matters to the
 * sending device, which gets the whole message in its acknowledgement.
 */
export type CompactMessage =
  | [id: number, chatId: number, senderId: number, sender: string, text: string, createdAt: number]
  | [id: number, chatId: number, senderId: number, sender: string, text: string, createdAt: number, extra: CompactExtra];

export function encodeMessage(m: MessageDto): CompactMessage {
  const extra: CompactExtra = {};
  let any = false;
  if (m.kind !== "text") (extra.kind = m.kind), (any = true);
  if (m.file) (extra.file = m.file), (any = true);
  if (m.replyTo) (extra.replyTo = m.replyTo), (any = true);
  if (m.editedAt) (extra.editedAt = m.editedAt), (any = true);
  if (m.deleted) (extra.deleted = m.deleted), (any = true);
  if (m.reactions && m.reactions.length > 0) (extra.reactions = m.reactions), (any = true);
  const head: CompactMessage = [m.id, m.chatId, m.senderId, m.sender, m.text, Date.parse(m.createdAt)];
  return any ? [...head, extra] : head;
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
const KINDS: ReadonlySet<unknown> = new Set(["join", "leave", "file"]);

/**
 * The MessageDto a compact frame stands for, as `message:new` carries it except clientId (""),
 * or null when the frame is not one (a client drops it rather than showing garbage).
 */
export function decodeMessage(frame: unknown): MessageDto | null {
  if (!Array.isArray(frame) || frame.length < 6 || frame.length > 7) return null;
  const [id, chatId, senderId, sender, text, at, extra] = frame as unknown[];
  if (!isInt(id) || !isInt(chatId) || !isInt(senderId) || typeof sender !== "string" || typeof text !== "string" || !isInt(at)) return null;
  const createdAt = new Date(at);
  if (Number.isNaN(createdAt.getTime())) return null;
  const x = (extra ?? {}) as CompactExtra;
  if (typeof x !== "object" || x === null || Array.isArray(x)) return null;
  if (x.kind !== undefined && !KINDS.has(x.kind)) return null;
  return {
    id,
    chatId,
    kind: x.kind ?? "text",
    sender,
    senderId,
    text,
    clientId: "",
    createdAt: createdAt.toISOString(),
    ...(x.file ? { file: x.file } : {}),
    replyTo: x.replyTo ?? null,
    editedAt: x.editedAt ?? null,
    deleted: x.deleted ?? null,
    reactions: Array.isArray(x.reactions) ? x.reactions : [],
  };
}
