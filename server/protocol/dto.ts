// Shapes the server sends: users, chats, messages and the session snapshot.

export type Role = "admin" | "moderator" | "user";

export type UserDto = { id: number; nick: string; role: Role };
export type UserWithPresence = UserDto & { online: boolean };

export type ChatKind = "room" | "dm";
export type ChatDto = {
  id: number;
  kind: ChatKind;
  /** Room name, or the other person's nick for a direct message. */
  name: string;
  private: boolean;
  /** The other person, for a direct message. */
  peer: UserDto | null;
  /** Whether the chat is in the user's open list. */
  open: boolean;
  lastReadId: number;
  lastMessageId: number;
  /** Messages from others after the read marker (capped at UNREAD_CAP). */
  unread: number;
};
export const UNREAD_CAP = 999;

export type MessageKind = "text" | "join" | "leave" | "file";
export type MessageDto = {
  id: number;
  chatId: number;
  kind: MessageKind;
  sender: string;
  senderId: number;
  text: string;
  clientId: string;
  createdAt: string;
  /** The shared file, on messages of kind "file" (text then holds its name). */
  file?: FileDto;
  // The four fields below are always sent by this server; they are optional in the type so that
  // messages built by older clients' code (and test fixtures) still type-check.
  /** What this message replies to, enough to draw a one-line quote. */
  replyTo?: ReplyRef | null;
  /** When the sender last edited it (text is the current text); null if never. */
  editedAt?: string | null;
  /** A tombstone: text is "" and who deleted it and when are here; null unless deleted. */
  deleted?: { by: string; at: string } | null;
  /** Reactions, in the order each emoji was first used. */
  reactions?: ReactionDto[];
};
/** The message replied to: excerpt is its first REPLY_EXCERPT characters on one line ("" when deleted). */
export type ReplyRef = { id: number; sender: string; excerpt: string; deleted: boolean };
export const REPLY_EXCERPT = 80;
/** One emoji on a message: how many reacted and the first REACTION_NICKS of them, oldest first. */
export type ReactionDto = { emoji: string; count: number; nicks: string[] };
export const REACTION_NICKS = 10;
/** Sent to a chat when a message in it changed (edited, deleted, reacted to): the whole message as it is now. */
export type MessageUpdated = { reason: "edited" | "deleted" | "reacted"; message: MessageDto };

/** A search hit: the message, and the [start, end) UTF-16 ranges of its text that matched. */
export type SearchHit = { message: MessageDto; chatName: string; marks: [number, number][] };
export type SearchPage = { hits: SearchHit[]; hasMore: boolean };
/** A message that mentioned the user; read when at or below their read marker in its chat. */
export type MentionDto = { message: MessageDto; chatName: string; read: boolean };
export type MentionPage = { mentions: MentionDto[]; hasMore: boolean; unread: number };

/** A file shared in a chat; `name` is already neutralised by the server. */
export type FileDto = {
  id: number;
  chatId: number;
  name: string;
  size: number;
  sha256: string;
  sender: string;
  senderId: number;
  createdAt: string;
};
/** Where an upload stands: send the chunk at `received` next (or file:complete when it equals the size). */
export type UploadState = { file: FileDto; received: number; chunkSize: number; complete: boolean };
export type UploadProgress = { fileId: number; received: number };
export type UploadDone = { file: FileDto; message: MessageDto };
/** One chunk of a download: bytes [offset, offset + data.length); eof when it is the last. */
export type FileChunk = { fileId: number; offset: number; data: Uint8Array; eof: boolean };
export type FileList = { chatId: number; files: FileDto[]; hasMore: boolean };

/**
 * Newest first (oldest first after `after`). hasMore: older messages exist (newer ones after
 * `after`). hasNewer is set on a page fetched `around` a message: newer messages exist.
 */
export type HistoryPage = { chatId: number; messages: MessageDto[]; hasMore: boolean; hasNewer?: boolean };
export type PublicRoom = { id: number; name: string; members: number; joined: boolean };

export type SessionReady = {
  user: UserDto;
  /** Every online user (protocol 1); with protocol >= 2 the first page of them (by nick). */
  online: UserDto[];
  chats: ChatDto[];
  serverTime: string;
  /** Protocol >= 2: how many users are online in all (online may hold fewer). */
  onlineCount?: number;
  /** Protocol >= 2: the cursor for presence:list when online holds only the first page. */
  onlineNext?: string | null;
};

export type PresenceUpdate = { user: UserDto; online: boolean };
/**
 * Protocol >= 2: presence changes coalesced per server tick, once per socket. `online` and
 * `offline` list who changed in the tick while the server has at most its threshold of users
 * online; above it they are empty and `summary` is true (only the count is current).
 */
export type PresenceBatch = { online: UserDto[]; offline: UserDto[]; count: number; summary: boolean };
/** A page of online users by nick; `next` is the cursor for the next page, null at the end. */
export type PresencePage = { users: UserDto[]; count: number; next: string | null };
export type ChatUpdateReason = "opened" | "joined" | "closed" | "left" | "read" | "changed";
export type ChatUpdated = { reason: ChatUpdateReason; chat: ChatDto };
export type Notice = { level: "info" | "warn" | "error"; text: string; chatId?: number; code?: string };
export type ReadState = { chatId: number; lastReadId: number; unread: number };

export type AuthResponse = { token: string; user: UserDto; expiresAt: string };

export type Sanction = { nick: string; kind: "ban" | "mute"; until: string | null; reason: string };
/** Sent to every socket of a user whose session the server ends; the client should not reconnect with it. */
/**
 * Why the server closed every socket of a session. EXPIRED: the session outlived its lifetime;
 * REVOKED: it was ended elsewhere (a kick or logout this node learned of by re-checking it).
 */
export type SessionEnded = { code: "KICKED" | "BANNED" | "LOGGED_OUT" | "EXPIRED" | "REVOKED"; reason: string; by: string | null; until: string | null };
export type ServerShutdown = { reason: string; inSeconds: number; at: string };
/**
 * The server may have missed broadcasts (its Redis restarted): fetch each chat's history after
 * `afterId` (every message stored before the outage began has an id at or below it).
 */
export type SyncRequired = { reason: string; afterId: number };

/** One node's live figures, for the admin dashboard (admin:metrics). */
export type NodeMetrics = {
  node: string;
  at: string;
  uptimeSec: number;
  sockets: number;
  onlineUsers: number;
  messagesTotal: number;
  /** Acknowledgement latency over the last minute, milliseconds. */
  ackMs: { p50: number; p90: number; p99: number; count: number };
  eventLoopLagMs: number;
  rssBytes: number;
  heapUsedBytes: number;
  /**
   * Chats with the most messages stored by this node in the last minute. A private room's name
   * is "(private room)" unless the admin asking is one of its members.
   */
  rooms: { chatId: number; name: string; messages: number; private?: boolean }[];
};
export type ClusterMetrics = { nodes: NodeMetrics[] };

/** An SSH key bound to the account (fingerprint as OpenSSH shows it). */
export type SshKeyDto = { fingerprint: string; type: string; comment: string; createdAt: string };
