// The Socket.IO event map: names are fixed by the contract; payloads come from schemas.ts.
import type { Ack } from "./errors.js";
import type {
  ChatDto, ChatUpdated, MentionPage, MessageUpdated, SearchPage, ClusterMetrics, FileChunk, FileDto, FileList, HistoryPage, UploadDone, UploadProgress, UploadState, NodeMetrics, MessageDto, Notice, PresenceUpdate, PublicRoom, ReadState, Sanction, ServerShutdown, SessionEnded,
  SessionReady, SyncRequired, UserWithPresence,
} from "./dto.js";
import type {
  Ban, BeginUpload, ChatRef, CreateRoom, Empty, FetchHistory, FileRef, InviteToRoom, JoinRoom, Kick, ListFiles, MarkRead, Mute, OpenDm, ReadChunk,
  SendMessage, Shutdown, Unsanction, UploadChunk, EditMessage, DeleteMessage, ReactToMessage, SearchMessages, ListMentions,
} from "./schemas.js";

export interface ClientToServerEvents {
  "message:send": (p: SendMessage, ack: Ack<MessageDto>) => void;
  "history:fetch": (p: FetchHistory, ack: Ack<HistoryPage>) => void;
  "dm:open": (p: OpenDm, ack: Ack<ChatDto>) => void;
  "room:create": (p: CreateRoom, ack: Ack<ChatDto>) => void;
  "room:join": (p: JoinRoom, ack: Ack<ChatDto>) => void;
  "room:leave": (p: ChatRef, ack: Ack<{ chatId: number }>) => void;
  "room:invite": (p: InviteToRoom, ack: Ack<{ chatId: number; nick: string }>) => void;
  "rooms:list": (p: Empty, ack: Ack<{ rooms: PublicRoom[] }>) => void;
  "chat:close": (p: ChatRef, ack: Ack<{ chatId: number }>) => void;
  "chat:read": (p: MarkRead, ack: Ack<ReadState>) => void;
  "users:list": (p: Empty, ack: Ack<{ users: UserWithPresence[] }>) => void;
  "ping:rtt": (p: Empty, ack: Ack<{ serverTime: string; node: string }>) => void;
  "admin:kick": (p: Kick, ack: Ack<{ nick: string }>) => void;
  "admin:ban": (p: Ban, ack: Ack<Sanction>) => void;
  "admin:unban": (p: Unsanction, ack: Ack<{ nick: string }>) => void;
  "admin:mute": (p: Mute, ack: Ack<Sanction>) => void;
  "admin:unmute": (p: Unsanction, ack: Ack<{ nick: string }>) => void;
  "admin:shutdown": (p: Shutdown, ack: Ack<ServerShutdown>) => void;
  "admin:metrics": (p: Empty, ack: Ack<ClusterMetrics>) => void;
  "file:begin": (p: BeginUpload, ack: Ack<UploadState>) => void;
  "file:chunk": (p: UploadChunk, ack: Ack<UploadProgress>) => void;
  "file:complete": (p: FileRef, ack: Ack<UploadDone>) => void;
  "file:cancel": (p: FileRef, ack: Ack<{ fileId: number }>) => void;
  "file:delete": (p: FileRef, ack: Ack<{ fileId: number; name: string }>) => void;
  "file:info": (p: FileRef, ack: Ack<FileDto>) => void;
  "file:read": (p: ReadChunk, ack: Ack<FileChunk>) => void;
  "file:list": (p: ListFiles, ack: Ack<FileList>) => void;
  "message:edit": (p: EditMessage, ack: Ack<MessageDto>) => void;
  "message:delete": (p: DeleteMessage, ack: Ack<MessageDto>) => void;
  "message:react": (p: ReactToMessage, ack: Ack<MessageDto>) => void;
  "message:search": (p: SearchMessages, ack: Ack<SearchPage>) => void;
  "mentions:list": (p: ListMentions, ack: Ack<MentionPage>) => void;
}

export interface ServerToClientEvents {
  "session:ready": (s: SessionReady) => void;
  "message:new": (m: MessageDto) => void;
  "message:updated": (u: MessageUpdated) => void;
  "presence:update": (p: PresenceUpdate) => void;
  "chat:updated": (c: ChatUpdated) => void;
  notice: (n: Notice) => void;
  "session:ended": (e: SessionEnded) => void;
  "server:shutdown": (s: ServerShutdown) => void;
  "sync:required": (s: SyncRequired) => void;
}

/** Between chat-server nodes (through the Redis adapter). */
export interface InterServerEvents {
  "cluster:shutdown": (s: { inSeconds: number; reason: string; by: string | null }) => void;
  "cluster:metrics": (ack: (m: NodeMetrics) => void) => void;
}

export type ClientEventName = keyof ClientToServerEvents;
export const CLIENT_EVENTS: readonly ClientEventName[] = [
  "message:send", "history:fetch", "dm:open", "room:create", "room:join", "room:leave", "room:invite",
  "rooms:list", "chat:close", "chat:read", "users:list", "ping:rtt",
  "admin:kick", "admin:ban", "admin:unban", "admin:mute", "admin:unmute", "admin:shutdown", "admin:metrics",
  "file:begin", "file:chunk", "file:complete", "file:cancel", "file:delete", "file:info", "file:read", "file:list",
  "message:edit", "message:delete", "message:react", "message:search", "mentions:list",
];

/** Close reasons sent in the handshake error's `data.code`. */
export type ConnectErrorData = { code: "UNAUTHENTICATED" | "SESSION_INVALID" | "BANNED" | "RATE_LIMITED" | "UNAVAILABLE"; message: string };
