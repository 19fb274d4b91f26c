// Every change to the chat state is one of these actions (pure data; the client dispatches them).
import type {
  ChatDto, ChatUpdated, HistoryPage, MentionPage, MessageDto, PresenceBatch, PresencePage, PresenceUpdate, PublicRoom, SearchPage, SessionReady, UserWithPresence,
} from "../../server/protocol/index.js";
import type { ConnStatus, Transfer } from "./types.js";

export type ChatAction =
  // session
  | { type: "login.busy" }
  | { type: "login.failed"; error: string }
  | { type: "logged.out"; error?: string }
  | { type: "session.resuming"; nick: string }
  // connection
  | { type: "conn.status"; status: ConnStatus; attempt?: number; error?: string | null }
  | { type: "conn.rtt"; ms: number }
  | { type: "shutdown.announced"; at: number; reason: string }
  | { type: "clock.tick"; now: number }
  // server events
  | { type: "session.ready"; session: SessionReady }
  | { type: "users.loaded"; users: UserWithPresence[] }
  | { type: "rooms.loaded"; rooms: PublicRoom[] }
  | { type: "presence"; update: PresenceUpdate }
  | { type: "presence.batch"; batch: PresenceBatch }
  | { type: "presence.page"; page: PresencePage }
  | { type: "message.received"; message: MessageDto }
  | { type: "chat.updated"; update: ChatUpdated }
  | { type: "chat.opened"; chat: ChatDto; activate: boolean }
  | { type: "history.loading"; chatId: number }
  | { type: "history.loaded"; page: HistoryPage; direction: "older" | "newer" | "latest" | "around" }
  | { type: "message.updated"; message: MessageDto }
  | { type: "history.failed"; chatId: number }
  | { type: "notice"; level: "info" | "error"; text: string; chatId?: number | null; at: number }
  // outbox and read markers
  | { type: "send.queued"; clientId: string; chatId: number; text: string; online: boolean; at: number; replyTo?: number }
  | { type: "send.sending"; clientId: string }
  | { type: "send.retry"; clientId: string }
  | { type: "send.acked"; clientId: string; message: MessageDto }
  | { type: "send.failed"; clientId: string; error: string; at: number }
  | { type: "read.local"; chatId: number; messageId: number }
  // which chat is in front, and whether its newest message is in view
  | { type: "tab.goto"; index: number }
  | { type: "tab.step"; delta: number }
  | { type: "tab.activate"; chatId: number }
  | { type: "tab.nextUnread" }
  | { type: "view.following"; chatId: number; following: boolean }
  | { type: "chat.hide"; chatId: number }
  // file transfer
  | { type: "transfer.started"; transfer: Transfer }
  | { type: "transfer.update"; id: string; patch: Partial<Omit<Transfer, "id" | "direction">> }
  | { type: "transfer.remove"; id: string }
  // search, mentions and jumps
  | { type: "search.started"; query: string; append: boolean }
  | { type: "search.loaded"; query: string; page: SearchPage; append: boolean }
  | { type: "search.failed"; query: string; error: string }
  | { type: "search.closed" }
  | { type: "mentions.started" }
  | { type: "mentions.loaded"; page: MentionPage }
  | { type: "mentions.failed"; error: string }
  | { type: "mentions.closed" }
  | { type: "jump.set"; chatId: number; messageId: number }
  | { type: "jump.clear" };

export type ChatActionType = ChatAction["type"];

const TYPES: Record<ChatActionType, true> = {
  "login.busy": true, "login.failed": true, "logged.out": true, "session.resuming": true,
  "conn.status": true, "conn.rtt": true, "shutdown.announced": true, "clock.tick": true,
  "session.ready": true, "users.loaded": true, "rooms.loaded": true, presence: true, "presence.batch": true, "presence.page": true, "message.received": true, "chat.updated": true,
  "chat.opened": true, "history.loading": true, "history.loaded": true, "history.failed": true, notice: true,
  "send.queued": true, "send.sending": true, "send.retry": true, "send.acked": true, "send.failed": true, "read.local": true,
  "tab.goto": true, "tab.step": true, "tab.activate": true, "tab.nextUnread": true, "view.following": true, "chat.hide": true,
  "transfer.started": true, "transfer.update": true, "transfer.remove": true,
  "message.updated": true, "search.started": true, "search.loaded": true, "search.failed": true, "search.closed": true,
  "mentions.started": true, "mentions.loaded": true, "mentions.failed": true, "mentions.closed": true, "jump.set": true, "jump.clear": true,
};

/** True for the actions the chat reducer handles (the rest belong to a front end's UI state). */
export const isChatAction = (a: { type: string }): a is ChatAction => Object.hasOwn(TYPES, a.type);
