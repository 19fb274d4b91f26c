// Every change to the client state is one of these actions.
import type {
  ChatDto, ChatUpdated, HistoryPage, MessageDto, PresenceUpdate, PublicRoom, SessionReady, UserWithPresence,
} from "../../server/protocol/index.js";
import type { ConnStatus, Focus, ScrollAnchor, Transfer } from "./types.js";

export type Action =
  // login form
  | { type: "login.edit"; field: "nick" | "password"; value: string }
  | { type: "login.field"; field: "nick" | "password" }
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
  | { type: "message.received"; message: MessageDto }
  | { type: "chat.updated"; update: ChatUpdated }
  | { type: "chat.opened"; chat: ChatDto; activate: boolean }
  | { type: "history.loading"; chatId: number }
  | { type: "history.loaded"; page: HistoryPage; direction: "older" | "newer" | "latest" }
  | { type: "history.failed"; chatId: number }
  | { type: "notice"; level: "info" | "error"; text: string; chatId?: number | null; at: number }
  // outbox
  | { type: "send.queued"; clientId: string; chatId: number; text: string; online: boolean; at: number }
  | { type: "send.sending"; clientId: string }
  | { type: "send.retry"; clientId: string }
  | { type: "send.acked"; clientId: string; message: MessageDto }
  | { type: "send.failed"; clientId: string; error: string; at: number }
  | { type: "read.local"; chatId: number; messageId: number }
  // navigation
  | { type: "tab.goto"; index: number }
  | { type: "tab.step"; delta: number }
  | { type: "tab.activate"; chatId: number }
  | { type: "tab.nextUnread" }
  | { type: "focus.set"; focus: Focus }
  | { type: "focus.cycle"; delta: number }
  | { type: "users.move"; delta: number }
  | { type: "scroll.set"; chatId: number; anchor: ScrollAnchor }
  | { type: "overlay.help" }
  | { type: "help.scroll"; delta: number }
  | { type: "overlay.switcher" }
  | { type: "overlay.close" }
  | { type: "switcher.query"; query: string }
  | { type: "switcher.move"; delta: number }
  // file transfer
  | { type: "transfer.started"; transfer: Transfer }
  | { type: "transfer.update"; id: string; patch: Partial<Omit<Transfer, "id" | "direction">> }
  | { type: "transfer.remove"; id: string }
  | { type: "file.select"; chatId: number; messageId: number | null }
  // composer
  | { type: "composer.insert"; text: string }
  | { type: "composer.backspace" }
  | { type: "composer.delete" }
  | { type: "composer.move"; to: "left" | "right" | "home" | "end" | "wordLeft" | "wordRight" }
  | { type: "composer.killBefore" }
  | { type: "composer.killWordBefore" }
  | { type: "composer.killAfter" }
  | { type: "composer.recall"; delta: number }
  | { type: "composer.submit" }
  | { type: "composer.set"; text: string }
  | { type: "composer.complete"; candidates: string[]; start: number; prefix: string }
  | { type: "composer.completeNext" };
