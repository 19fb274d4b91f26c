// chat-tui's state: the client core's chat state plus this front end's UI slice (forms, focus,
// overlays, scroll positions). Widgets read the two merged as one object.
import type { ChatState } from "../../client/state/types.js";

export type { ChatState, ChatView, ConnStatus, LocalLine, Pending, Transfer } from "../../client/state/types.js";
export { HISTORY_PAGE, WINDOW_MAX } from "../../client/state/types.js";

export type Focus = "input" | "users" | "history";

/** Where the history view is: null follows the newest line; otherwise the top visible line. */
export type ScrollAnchor = { id: number; line: number } | null;

export type Overlay =
  | null
  | { kind: "help"; offset: number }
  | { kind: "switcher"; query: string; selected: number }
  /** Search hits (/search, Ctrl+F) or missed mentions (/mentions); Enter jumps to one. */
  | { kind: "results"; source: "search" | "mentions"; selected: number };

/** What Enter in the input line does besides sending: reply to, edit, or react to a message. */
export type Intent = { kind: "reply" | "edit" | "react"; chatId: number; messageId: number };

export type LoginState = {
  nick: string;
  password: string;
  field: "nick" | "password";
  error: string | null;
  busy: boolean;
};

export type Composer = { text: string; cursor: number; history: string[]; historyIndex: number | null; draft: string; completion: Completion | null };
export type Completion = { start: number; candidates: string[]; index: number; prefix: string };

export type UiState = {
  login: LoginState;
  composer: Composer;
  focus: Focus;
  userCursor: number;
  overlay: Overlay;
  /** Per chat: where its history is scrolled to (absent: following the newest line). */
  scroll: Record<number, ScrollAnchor>;
  /** The file message selected in the active chat's history (Ctrl+O, then f/F), or null. */
  selectedFile: { chatId: number; messageId: number } | null;
  /** The message selected in the history (Up from an empty input), or null. */
  selected: { chatId: number; messageId: number } | null;
  /** A reply, edit or reaction being typed in the input line, or null. */
  intent: Intent | null;
};

/** What the view renders: both slices side by side (their keys never overlap). */
export type State = ChatState & UiState;
