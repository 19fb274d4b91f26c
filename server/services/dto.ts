// Maps repository records to the protocol's DTOs.
import type { ChatDto, FileDto, MessageDto, UserDto } from "../protocol/index.js";
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
});

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
