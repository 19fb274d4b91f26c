// The client's state: everything the screen shows is derived from one of these objects.
import type { ChatDto, MessageDto, PublicRoom, UserDto, UserWithPresence } from "../../server/protocol/index.js";

export type ConnStatus = "connecting" | "online" | "reconnecting" | "offline";
export type Focus = "input" | "users" | "history";

/** A line shown in a chat that did not come from the server: command errors, help, lists. */
export type LocalLine = { key: string; level: "info" | "error"; text: string; at: number; afterId: number };

/** A message the user typed that the server has not acknowledged yet. */
export type Pending = { clientId: string; chatId: number; text: string; at: number; state: "sending" | "queued" | "failed"; error?: string };

/** Where the history view is: null follows the newest line; otherwise the top visible line. */
export type ScrollAnchor = { id: number; line: number } | null;

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
  scroll: ScrollAnchor;
  mention: boolean;
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

export type Overlay = null | { kind: "help"; offset: number } | { kind: "switcher"; query: string; selected: number };

export type LoginState = {
  nick: string;
  password: string;
  field: "nick" | "password";
  error: string | null;
  busy: boolean;
};

export type Composer = { text: string; cursor: number; history: string[]; historyIndex: number | null; draft: string; completion: Completion | null };
export type Completion = { start: number; candidates: string[]; index: number; prefix: string };

export type State = {
  screen: "login" | "chat";
  login: LoginState;
  conn: { status: ConnStatus; server: string; attempt: number; rttMs: number | null; error: string | null };
  me: UserDto | null;
  users: Record<number, UserWithPresence>;
  chats: Record<number, ChatView>;
  /** Tab order of the open chats. */
  order: number[];
  active: number | null;
  pending: Pending[];
  composer: Composer;
  focus: Focus;
  userCursor: number;
  overlay: Overlay;
  rooms: PublicRoom[];
  /** Messages outside any open chat's view (e.g. a notice with no chat). */
  notices: LocalLine[];
  /** A shutdown the server announced: when, and why. */
  shutdown: { at: number; reason: string } | null;
  /** The time the view counts down from, advanced by clock.tick actions. */
  now: number;
  /** Uploads and downloads, oldest first; finished ones are removed a moment after they end. */
  transfers: Transfer[];
  /** The file message selected in the active chat's history (Ctrl+O, then f/F), or null. */
  selectedFile: { chatId: number; messageId: number } | null;
};

/** At most this many messages per chat are held; older ones are paged from the server. */
export const WINDOW_MAX = 600;
export const HISTORY_PAGE = 100;
