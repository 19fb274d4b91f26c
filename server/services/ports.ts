// Seams between the domain services and the edges (database, sockets); records are plain data.
import type { ChatKind, MessageDto, MessageKind, Role, ServerToClientEvents, UserDto } from "../protocol/index.js";

export type UserRecord = { id: number; nick: string; nickKey: string; role: Role; passwordHash: string; createdAt: Date };
export type ChatRecord = {
  id: number;
  kind: ChatKind;
  name: string | null;
  nameKey: string | null;
  dmKey: string | null;
  isPrivate: boolean;
  createdAt: Date;
};
export type MembershipRecord = { chatId: number; userId: number; open: boolean; lastReadId: number };
export type MessageRecord = {
  id: number;
  chatId: number;
  kind: MessageKind;
  senderId: number;
  senderNick: string;
  text: string;
  clientId: string;
  createdAt: Date;
  file: FileRecord | null;
  replyTo: { id: number; senderNick: string; text: string; deleted: boolean } | null;
  editedAt: Date | null;
  deleted: { byNick: string; at: Date } | null;
  /** Every reaction, oldest first. */
  reactions: { emoji: string; nick: string }[];
};
export type FileStatus = "uploading" | "complete";
export type FileRecord = {
  id: number;
  chatId: number;
  uploaderId: number;
  uploaderNick: string;
  clientId: string;
  name: string;
  size: number;
  sha256: string;
  received: number;
  status: FileStatus;
  createdAt: Date;
  updatedAt: Date;
};
/** A chat as one member sees it. */
export type ChatSummary = {
  chat: ChatRecord;
  membership: MembershipRecord;
  peer: UserDto | null;
  lastMessageId: number;
  unread: number;
};
export type NewMessage = { chatId: number; senderId: number; kind: MessageKind; text: string; clientId: string; fileId?: number; replyToId?: number };

/** What an edit, delete or reaction checks, read in one query (as ChatRepository.sendContext). */
export type MessageContext = {
  message: { id: number; chatId: number; senderId: number; kind: MessageKind; fileId: number | null; deleted: boolean };
  chat: ChatRecord;
  mute: SanctionRecord | null;
};
/** A message with its chat's name as the user who asked sees it (a DM: the other person's nick). */
export type MessageHit = { message: MessageRecord; chatName: string };
/** A parsed search: every word and phrase must match; ids narrow it to chats and a sender. */
export type SearchQuery = { words: string[]; phrases: string[]; chatId: number | null; senderId: number | null; before: number | null; limit: number };

export interface UserRepository {
  /** Inserts a user; throws AppError NICK_TAKEN when the folded nick or its confusable skeleton exists. */
  create(user: { nick: string; nickKey: string; nickSkeleton: string; passwordHash: string; role: Role }): Promise<UserRecord>;
  findById(id: number): Promise<UserRecord | null>;
  findByNickKey(nickKey: string): Promise<UserRecord | null>;
  /** The user whose nick has this confusable skeleton (see confusableKey in protocol/names). */
  findBySkeleton(nickSkeleton: string): Promise<UserRecord | null>;
  list(): Promise<UserRecord[]>;
  setRole(id: number, role: Role): Promise<void>;
}

export interface SessionRepository {
  create(session: { userId: number; tokenHash: Buffer; expiresAt: Date }): Promise<{ id: number }>;
  /**
   * For each token hash that matches a session not revoked and not expired: the session, its
   * user and the user's ban in force (null: none); keyed by the hash in hex, one read for all.
   */
  findValidMany(tokenHashes: Buffer[], now: Date): Promise<Map<string, { sessionId: number; user: UserRecord; ban: SanctionRecord | null }>>;
  /** Revokes the session; returns its id, or null when it did not exist or was already revoked. */
  revoke(tokenHash: Buffer, now: Date): Promise<number | null>;
  /** Revokes every session of the user (kick, ban). */
  revokeAll(userId: number, now: Date): Promise<void>;
  /**
   * The sessions with these ids as they are now, in one query: revocation, expiry, the user
   * (current role and nick) and their ban in force at `now`. Ids that do not exist are absent.
   */
  states(sessionIds: number[], now: Date): Promise<SessionState[]>;
  /**
   * The session epoch: a counter the database moves on every write that can end or change a
   * live session (revocation, expiry, deletion, a ban, a role or nick change). While it stays
   * the same, sessions found good stay good until they expire.
   */
  epoch(): Promise<bigint>;
}

/** A session re-read for the sockets that use it. */
export type SessionState = { sessionId: number; revokedAt: Date | null; expiresAt: Date; user: UserRecord; ban: SanctionRecord | null };

export type SanctionKind = "ban" | "mute";
export type SanctionRecord = { id: number; kind: SanctionKind; userId: number; reason: string; until: Date | null; byNick: string | null };

export interface SanctionRepository {
  create(s: { kind: SanctionKind; userId: number; byId: number | null; reason: string; until: Date | null }): Promise<SanctionRecord>;
  /** The sanction in force now (not lifted, not expired), the latest when several are. */
  active(userId: number, kind: SanctionKind, now: Date): Promise<SanctionRecord | null>;
  /** Lifts every active sanction of the kind; returns how many were. */
  lift(userId: number, kind: SanctionKind, now: Date): Promise<number>;
}

export interface ChatRepository {
  findById(chatId: number): Promise<ChatRecord | null>;
  /**
   * A private room of this folded name that `viewerId` is a member of (when given); failing
   * that, the public room of that name. Private rooms are not found by anyone else.
   */
  findRoomByKey(nameKey: string, viewerId?: number): Promise<ChatRecord | null>;
  /** The public room whose name has this confusable skeleton. */
  findPublicRoomBySkeleton(nameSkeleton: string): Promise<ChatRecord | null>;
  /**
   * Creates a room with its creator as first member. A public room's folded name and skeleton
   * are unique among public rooms (throws AppError ROOM_EXISTS when either is taken); a private
   * room takes no name from the public namespace.
   */
  createRoom(room: { name: string; nameKey: string; nameSkeleton: string; isPrivate: boolean; creatorId: number }): Promise<ChatRecord>;
  /** The direct-message chat of two users, created with both memberships when missing. */
  findOrCreateDm(a: number, b: number): Promise<ChatRecord>;
  getMembership(chatId: number, userId: number): Promise<MembershipRecord | null>;
  /**
   * What a send checks, read in one query: the chat, the sender's membership and the mute in
   * force now (as SanctionRepository.active); null when the user is not a member.
   */
  sendContext(chatId: number, userId: number, now: Date): Promise<{ chat: ChatRecord; membership: MembershipRecord; mute: SanctionRecord | null } | null>;
  /** Adds the membership or reopens it; returns whether the user was not a member before. */
  addMember(chatId: number, userId: number): Promise<boolean>;
  removeMember(chatId: number, userId: number): Promise<void>;
  setOpen(chatId: number, userId: number, open: boolean): Promise<void>;
  /** Moves the read marker forward only; returns the marker after the update. */
  advanceRead(chatId: number, userId: number, messageId: number): Promise<number>;
  /** Chats of a user (only open ones unless `all`), with unread counts and the DM peer. */
  listForUser(userId: number, opts?: { chatId?: number; all?: boolean }): Promise<ChatSummary[]>;
  /** listForUser (open chats) of many users in one read; every id given is a key. */
  listForUsers(userIds: number[]): Promise<Map<number, ChatSummary[]>>;
  /** Ids of the rooms (not DMs) each user has open (the socket rooms to join on connect), in one read; every id given is a key. */
  openRoomIdsMany(userIds: number[]): Promise<Map<number, number[]>>;
  /** Every member of the chat with whether they have it open. */
  members(chatId: number): Promise<{ userId: number; open: boolean }[]>;
  listPublicRooms(userId: number): Promise<{ id: number; name: string; members: number; joined: boolean }[]>;
  /** What these chats are called for `viewerId`: a room's name, a DM's other person. One query. */
  names(chatIds: number[], viewerId: number): Promise<Map<number, string>>;
}

export interface MessageRepository {
  /** Stores a message; when (senderId, clientId) exists returns that row with created=false. */
  append(message: NewMessage): Promise<{ message: MessageRecord; created: boolean }>;
  /**
   * Newest first, ids below `before` (all when null). With `readerId`, that user's membership
   * is checked in the same read: null when not a member (and only then).
   */
  listBefore(chatId: number, before: number | null, limit: number, readerId?: number): Promise<MessageRecord[] | null>;
  /** Oldest first, ids above `after`; `readerId` as for listBefore. */
  listAfter(chatId: number, after: number, limit: number, readerId?: number): Promise<MessageRecord[] | null>;
  /**
   * Both sides of a message in one read: `older` newest first, ids at or below `around` (at most
   * `olderLimit`); `newer` oldest first, ids above it (at most `newerLimit`); `readerId` as for listBefore.
   */
  listAround(chatId: number, around: number, olderLimit: number, newerLimit: number, readerId?: number): Promise<{ older: MessageRecord[]; newer: MessageRecord[] } | null>;
  findByClientId(senderId: number, clientId: string): Promise<MessageRecord | null>;
  /** The highest message id in any chat (ids come from one sequence). */
  maxId(): Promise<number>;
  findById(id: number): Promise<MessageRecord | null>;
  /** Records for these ids, in the order given (missing ids left out). */
  findMany(ids: number[]): Promise<MessageRecord[]>;
  /** The message with its chat and the user's mute, when the user is a member of its chat; else null. */
  context(messageId: number, userId: number, now: Date): Promise<MessageContext | null>;
  /**
   * Replaces the text and keeps the old one in message_edits, once per (message, clientId);
   * returns false when that edit was stored already (or the message is deleted).
   */
  edit(messageId: number, text: string, clientId: string): Promise<boolean>;
  /** Makes a tombstone: text, edits, reactions and mentions are erased; false if it was one already. */
  remove(messageId: number, byId: number): Promise<boolean>;
  /** Adds or removes one reaction; returns whether anything changed. */
  react(messageId: number, userId: number, emoji: string, on: boolean): Promise<boolean>;
  /**
   * Stores mentions of the chat's members: those whose folded nick is in `nickKeys`, or every
   * member when `everyone`; never the sender. Returns the user ids mentioned anew.
   */
  addMentions(messageId: number, chatId: number, senderId: number, nickKeys: string[], everyone: boolean): Promise<number[]>;
  /** Hits in chats the user is a member of, newest first, read whole in one statement. */
  search(userId: number, query: SearchQuery): Promise<MessageHit[]>;
  /** Mentions of the user, newest first, with whether each is at or below their read marker; one statement. */
  mentions(userId: number, before: number | null, limit: number): Promise<(MessageHit & { read: boolean })[]>;
  /** How many of the user's mentions are unread (above the read marker), capped. */
  unreadMentions(userId: number, cap: number): Promise<number>;
}

export type NewUpload = { chatId: number; uploaderId: number; clientId: string; name: string; size: number; sha256: string };
/** What a user stores: bytes of every file (complete or not) and uploads still going on. */
export type FileUsage = { bytes: number; activeUploads: number };

export interface FileRepository {
  /**
   * The upload with (uploaderId, clientId), created when missing. Creation is serialised per
   * uploader: `admit` sees the usage without the new file and throws to refuse it.
   */
  begin(upload: NewUpload, opts: { activeSince: Date; admit: (usage: FileUsage) => void }): Promise<{ file: FileRecord; created: boolean }>;
  findById(fileId: number): Promise<FileRecord | null>;
  /**
   * Stores chunk `seq` when the upload is still going and has exactly `offset` bytes; returns
   * the bytes received after it, or null when the file was not in that state (nothing stored).
   */
  appendChunk(fileId: number, seq: number, offset: number, data: Uint8Array): Promise<number | null>;
  /** Chunks from `fromSeq` on, at most `count`, in order. */
  readChunks(fileId: number, fromSeq: number, count: number): Promise<Uint8Array[]>;
  /** Marks the upload complete; false when it was not uploading any more. */
  markComplete(fileId: number): Promise<boolean>;
  remove(fileId: number): Promise<void>;
  /** Complete files of a chat, newest first, ids below `before`. */
  listForChat(chatId: number, before: number | null, limit: number): Promise<FileRecord[]>;
  /** Removes uploads that received nothing since `idleBefore`; returns how many. */
  removeStale(idleBefore: Date): Promise<number>;
}

export type SshKeyRecord = { id: number; userId: number; fingerprint: string; publicKey: string; comment: string; createdAt: Date };

export interface SshKeyRepository {
  /** Inserts a key; throws AppError KEY_TAKEN when the fingerprint is bound already. */
  create(key: { userId: number; fingerprint: string; publicKey: string; comment: string }): Promise<SshKeyRecord>;
  listForUser(userId: number): Promise<SshKeyRecord[]>;
  findByFingerprint(fingerprint: string): Promise<SshKeyRecord | null>;
  /** Removes the user's key; false when the user has no such key. */
  remove(userId: number, fingerprint: string): Promise<boolean>;
}

export type Repositories = {
  sshKeys: SshKeyRepository;
  users: UserRepository;
  sessions: SessionRepository;
  chats: ChatRepository;
  messages: MessageRepository;
  sanctions: SanctionRepository;
  files: FileRepository;
};

type EventArgs<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>[0];

/** How services reach connected clients, without knowing about Socket.IO. */
export interface Notifier {
  toUser<E extends keyof ServerToClientEvents>(userId: number, event: E, payload: EventArgs<E>): void;
  toChat<E extends keyof ServerToClientEvents>(chatId: number, event: E, payload: EventArgs<E>): void;
  toAll<E extends keyof ServerToClientEvents>(event: E, payload: EventArgs<E>): void;
  /**
   * A new message to a chat's sockets (`chatId`) or a user's (`userId`): protocol 1 sockets get
   * message:new, protocol 2 sockets the compact frame, each encoded once. `exceptSocket` (the
   * sending socket, which has the message in its acknowledgement) is left out of protocol 2's.
   */
  message(to: { chatId: number } | { userId: number }, message: MessageDto, exceptSocket?: string): void;
  /** To the sockets that speak the protocol version's presence (1: presence:update, 2: presence:batch). */
  toPresence<E extends keyof ServerToClientEvents>(version: 1 | 2, event: E, payload: EventArgs<E>): void;
  /** Every socket of the user starts (or stops) receiving the chat's room events. */
  subscribe(userId: number, chatId: number): void;
  unsubscribe(userId: number, chatId: number): void;
  /** Disconnects every socket authenticated with the session. */
  endSession(sessionId: number): void;
  /** Disconnects every socket of the user (after telling them why with session:ended). */
  endUser(userId: number): void;
}

/** What the audit log records: sign-ins, accounts, roles and every moderation action. */
export type AuditEvent =
  | "login.ok" | "login.failed" | "login.refused" | "register" | "user.added" | "role.changed"
  | "kick" | "ban" | "unban" | "mute" | "unmute" | "shutdown"
  | "key.added" | "key.removed" | "login.key" | "login.key.refused";
export type AuditFields = Record<string, string | number | boolean | null | undefined>;

/** Where services tell the operator who did what; never given a password or a token. */
export interface AuditLog {
  record(event: AuditEvent, fields: AuditFields): void;
}

/** For callers with no operator to tell (unit tests). */
export const noAudit: AuditLog = { record() {} };
