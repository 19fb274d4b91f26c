// The Socket.IO contract. Every client event is declared once below (payload schema, ack type,
// rate-limit kind); the event map, the event list, the server's handler table and the client's
// typed request are all derived from that declaration.
import type { z } from "zod";
import type { Ack, Result } from "./errors.js";
import type { CompactMessage } from "./wire.js";
import type {
  ChatDto, ChatUpdated, MentionPage, MessageUpdated, SearchPage, ClusterMetrics, FileChunk, FileDto, FileList, HistoryPage, UploadDone, UploadProgress, UploadState, NodeMetrics, MessageDto, Notice, PresenceBatch, PresencePage, PresenceUpdate, PublicRoom, ReadState, Sanction, ServerShutdown, SessionEnded,
  SessionReady, SshKeyDto, SyncRequired, UserWithPresence,
} from "./dto.js";
import {
  Ban, BeginUpload, ListPresence, ChatRef, CreateRoom, Empty, FetchHistory, FileRef, InviteToRoom, JoinRoom, Kick, ListFiles, MarkRead, Mute, OpenDm, ReadChunk,
  SendMessage, Shutdown, SshFingerprint, AddSshKey, Unsanction, UploadChunk, EditMessage, DeleteMessage, ReactToMessage, SearchMessages, ListMentions,
} from "./schemas.js";

/** Which rate limit an event spends: messages, file chunks, or everything else. */
export type EventLimit = "message" | "transfer" | "event";

/** One client event: how its payload is checked, what its ack carries, which limit it spends. */
export type EventDecl<S extends z.ZodType, A> = {
  readonly schema: S;
  readonly limit: EventLimit;
  /** Type only: the data of a successful acknowledgement (never read at run time). */
  readonly ack?: A;
};

/** Declares an event whose successful ack carries an `A` (the curried form lets `S` be inferred). */
const event = <A>() => <S extends z.ZodType>(schema: S, limit: EventLimit = "event"): EventDecl<S, A> => ({ schema, limit });

export const CLIENT_EVENT_DECLS = {
  "message:send": event<MessageDto>()(SendMessage, "message"),
  "history:fetch": event<HistoryPage>()(FetchHistory),
  "dm:open": event<ChatDto>()(OpenDm),
  "room:create": event<ChatDto>()(CreateRoom),
  "room:join": event<ChatDto>()(JoinRoom),
  "room:leave": event<{ chatId: number }>()(ChatRef),
  "room:invite": event<{ chatId: number; nick: string }>()(InviteToRoom),
  "rooms:list": event<{ rooms: PublicRoom[] }>()(Empty),
  "chat:close": event<{ chatId: number }>()(ChatRef),
  "chat:read": event<ReadState>()(MarkRead),
  "users:list": event<{ users: UserWithPresence[] }>()(Empty),
  "presence:list": event<PresencePage>()(ListPresence),
  "ping:rtt": event<{ serverTime: string; node: string }>()(Empty),
  "admin:kick": event<{ nick: string }>()(Kick),
  "admin:ban": event<Sanction>()(Ban),
  "admin:unban": event<{ nick: string }>()(Unsanction),
  "admin:mute": event<Sanction>()(Mute),
  "admin:unmute": event<{ nick: string }>()(Unsanction),
  "admin:shutdown": event<ServerShutdown>()(Shutdown),
  "admin:metrics": event<ClusterMetrics>()(Empty),
  "file:begin": event<UploadState>()(BeginUpload),
  "file:chunk": event<UploadProgress>()(UploadChunk, "transfer"),
  "file:complete": event<UploadDone>()(FileRef),
  "file:cancel": event<{ fileId: number }>()(FileRef),
  "file:delete": event<{ fileId: number; name: string }>()(FileRef),
  "file:info": event<FileDto>()(FileRef),
  "file:read": event<FileChunk>()(ReadChunk, "transfer"),
  "file:list": event<FileList>()(ListFiles),
  "key:list": event<{ keys: SshKeyDto[] }>()(Empty),
  "key:add": event<SshKeyDto>()(AddSshKey),
  "key:remove": event<{ fingerprint: string }>()(SshFingerprint),
  // Edits, deletes and reactions change what others see, as a message does: the message limit.
  "message:edit": event<MessageDto>()(EditMessage, "message"),
  "message:delete": event<MessageDto>()(DeleteMessage, "message"),
  "message:react": event<MessageDto>()(ReactToMessage, "message"),
  "message:search": event<SearchPage>()(SearchMessages),
  "mentions:list": event<MentionPage>()(ListMentions),
} as const;

type Decls = typeof CLIENT_EVENT_DECLS;
export type ClientEventName = keyof Decls;
/** What a client sends with an event (the schema's input: before transforms). */
export type EventPayload<E extends ClientEventName> = z.input<Decls[E]["schema"]>;
/** What a successful acknowledgement of an event carries. */
export type EventAck<E extends ClientEventName> = Decls[E] extends EventDecl<z.ZodType, infer A> ? A : never;
/** The client's typed request: one function for every declared event. */
export type RequestFn = <E extends ClientEventName>(event: E, payload: EventPayload<E>, timeoutMs?: number) => Promise<Result<EventAck<E>>>;

export type ClientToServerEvents = { [E in ClientEventName]: (p: EventPayload<E>, ack: Ack<EventAck<E>>) => void };

export interface ServerToClientEvents {
  "session:ready": (s: SessionReady) => void;
  "message:new": (m: MessageDto) => void;
  /** Protocol >= 2 instead of message:new: the compact frame (wire.ts). */
  m: (f: CompactMessage) => void;
  "message:updated": (u: MessageUpdated) => void;
  "presence:update": (p: PresenceUpdate) => void;
  "presence:batch": (b: PresenceBatch) => void;
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

export const CLIENT_EVENTS = Object.keys(CLIENT_EVENT_DECLS) as readonly ClientEventName[];

/** The rate limit an event spends; an unknown name spends the general one. */
export function eventLimit(name: string): EventLimit {
  return Object.hasOwn(CLIENT_EVENT_DECLS, name) ? CLIENT_EVENT_DECLS[name as ClientEventName].limit : "event";
}

/** Close reasons sent in the handshake error's `data.code`. */
export type ConnectErrorData = { code: "UNAUTHENTICATED" | "SESSION_INVALID" | "BANNED" | "RATE_LIMITED" | "UNAVAILABLE"; message: string };
