// The chat state of one client: sessions, chats, messages, the outbox and transfers. Front ends
// keep their own UI state beside it (focus, scroll position, forms).
import type { ChatDto, MentionDto, MessageDto, PublicRoom, SearchHit, UserDto, UserWithPresence } from "../../server/protocol/index.js";

export type ConnStatus = "connecting" | "online" | "reconnecting" | "offline";

/** A line shown in a chat that did not come from the server: command errors, help, lists. */
export type LocalLine = { key: string; level: "info" | "error"; text: string; at: number; afterId: number };

/** A message the user typed that the server has not acknowledged yet. */
export type Pending = { clientId: string; chatId: number; text: string; at: number; state: "sending" | "queued" | "failed"; error?: string; replyTo?: number };

/** The results of the last message:search (newest first; more pages with `before`). */
export type SearchResults = { query: string; hits: SearchHit[]; hasMore: boolean; loading: boolean; error: string | null };
/** The messages that mentioned the user (mentions:list), newest first. */
export type MentionResults = { items: MentionDto[]; hasMore: boolean; unread: number; loading: boolean; error: string | null };

export type ChatView = {
  chat: ChatDto;
  /** A window of the history, ascending by id; older and newer pages come from the server. */
  messages: MessageDto[];
  locals: LocalLine[];
  loaded: boolean;
  hasOlder: boolean;
  /** The window was trimmed at the newest end while the user read old history. */
  hasNewer: boolean;
  loadingOlder: boolean;
  /** The front end shows this chat's newest message (not scrolled up into history). */
  following: boolean;
  mention: boolean;
  /** The read marker when unread messages arrived: a "new messages" line goes after it. */
  newSince: number | null;
};

/** An upload or download, shown with a progress bar while it runs. */
export type Transfer = {
  id: string;
  direction: "up" | "down";
  name: string;
  bytes: number;
  total: number;
  rateBps: number;
  /** hashing: reading the local file; waiting: offline, resumes when reconnected. */
  state: "hashing" | "active" | "waiting" | "done" | "failed" | "cancelled";
};

export type ChatState = {
  /** login: no session (the front end asks for credentials); chat: a session exists or is resuming. */
  screen: "login" | "chat";
  conn: { status: ConnStatus; server: string; attempt: number; rttMs: number | null; error: string | null };
  me: UserDto | null;
  users: Record<number, UserWithPresence>;
  /**
   * Protocol 2 presence: how many are online (null: the server did not say, protocol 1) and the
   * cursor of the next page of online users (null: every online user is in `users`).
   */
  online: { count: number | null; next: string | null };
  chats: Record<number, ChatView>;
  /** Tab order of the open chats. */
  order: number[];
  /** Rooms whose tab the user closed while staying joined: messages still count, a mention reopens the tab. */
  hidden: number[];
  /** The chat the user is looking at (its messages count as seen and get read markers). */
  active: number | null;
  pending: Pending[];
  rooms: PublicRoom[];
  /** Messages outside any open chat's view (e.g. a notice with no chat). */
  notices: LocalLine[];
  /** A shutdown the server announced: when, and why. */
  shutdown: { at: number; reason: string } | null;
  /** The time the view counts down from, advanced by clock.tick actions. */
  now: number;
  /** Uploads and downloads, oldest first; finished ones are removed a moment after they end. */
  transfers: Transfer[];
  /** The last search, while its results are wanted; null when none. */
  search: SearchResults | null;
  /** The last mentions:list, while wanted; null when none. */
  mentions: MentionResults | null;
  /** A message the user jumped to (a search hit): front ends bring it into view and mark it. */
  jump: { chatId: number; messageId: number } | null;
};

/** At most this many messages per chat are held; older ones are paged from the server. */
export const WINDOW_MAX = 600;
export const HISTORY_PAGE = 100;
