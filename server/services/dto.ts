// Maps repository records to the protocol's DTOs.
import { REACTION_NICKS, REPLY_EXCERPT, type ChatDto, type FileDto, type MessageDto, type ReactionDto, type UserDto } from "../protocol/index.js";
import type { ChatSummary, FileRecord, MessageRecord, UserRecord } from "./ports.js";

export const toUserDto = (u: Pick<UserRecord, "id" | "nick" | "role">): UserDto => ({ id: u.id, nick: u.nick, role: u.role });

export const toMessageDto = (m: MessageRecord): MessageDto => ({
  id: m.id,
  chatId: m.chatId,
  kind: m.kind,
  sender: m.senderNick,
  senderId: m.senderId,
  text: m.text,
  clientId: m.clientId,
  createdAt: m.createdAt.toISOString(),
  ...(m.file ? { file: toFileDto(m.file) } : {}),
  replyTo: m.replyTo && { id: m.replyTo.id, sender: m.replyTo.senderNick, excerpt: m.replyTo.deleted ? "" : excerpt(m.replyTo.text), deleted: m.replyTo.deleted },
  editedAt: m.editedAt?.toISOString() ?? null,
  deleted: m.deleted && { by: m.deleted.byNick, at: m.deleted.at.toISOString() },
  reactions: groupReactions(m.reactions),
});

/** The start of a message on one line, cut at a whole character. */
function excerpt(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  const chars = [...line];
  return chars.length <= REPLY_EXCERPT ? line : `${chars.slice(0, REPLY_EXCERPT - 1).join("")}…`;
}

function groupReactions(reactions: { emoji: string; nick: string }[]): ReactionDto[] {
  const byEmoji = new Map<string, ReactionDto>();
  for (const { emoji, nick } of reactions) {
    const r = byEmoji.get(emoji) ?? byEmoji.set(emoji, { emoji, count: 0, nicks: [] }).get(emoji)!;
    r.count++;
    if (r.nicks.length < REACTION_NICKS) r.nicks.push(nick);
  }
  return [...byEmoji.values()];
}

export const toFileDto = (f: FileRecord): FileDto => ({
  id: f.id,
  chatId: f.chatId,
  name: f.name,
  size: f.size,
  sha256: f.sha256,
  sender: f.uploaderNick,
  senderId: f.uploaderId,
  createdAt: f.createdAt.toISOString(),
});

export const toChatDto = (s: ChatSummary): ChatDto => ({
  id: s.chat.id,
  kind: s.chat.kind,
  name: s.chat.kind === "dm" ? (s.peer?.nick ?? "(deleted user)") : (s.chat.name ?? ""),
  private: s.chat.isPrivate,
  peer: s.peer,
  open: s.membership.open,
  lastReadId: s.membership.lastReadId,
  lastMessageId: s.lastMessageId,
  unread: s.unread,
});
