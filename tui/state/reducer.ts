// The UI reducer: chat-tui's own slice (login form, composer, focus, overlays, scroll), pure.
// It also hears the client's chat actions (a failed login, a fresh session) to keep the form
// in step; `reducer` runs both slices for tests and for the store.
import { isChatAction } from "../../client/state/actions.js";
import { chatReducer, initialChatState } from "../../client/state/reducer.js";
import type { Action, ChatAction } from "./actions.js";
import { sortedUsers, switcherCandidates } from "./selectors.js";
import type { ChatState, Composer, Focus, State, UiState } from "./types.js";

export { mentions } from "../../client/state/reducer.js";

const FOCUS_ORDER: Focus[] = ["input", "users", "history"];

export function initialUiState(nick = ""): UiState {
  return {
    login: { nick, password: "", field: nick ? "password" : "nick", error: null, busy: false },
    composer: { text: "", cursor: 0, history: [], historyIndex: null, draft: "", completion: null },
    focus: "input",
    userCursor: 0,
    overlay: null,
    scroll: {},
    selectedFile: null,
    selected: null,
    intent: null,
  };
}

/** Both slices, fresh: the chat state of a client of `server`, and an empty UI. */
export function initialState(server: string, nick = ""): State {
  return { ...initialChatState(server), ...initialUiState(nick) };
}

function clampUserCursor(chat: ChatState, cursor: number): number {
  const n = sortedUsers(chat).length;
  return Math.max(0, Math.min(n - 1, cursor));
}

function editComposer(state: UiState, c: Partial<Composer>): UiState {
  return { ...state, composer: { ...state.composer, completion: null, historyIndex: null, ...c } };
}

const isWordChar = (ch: string | undefined) => ch !== undefined && /[\p{L}\p{N}_-]/u.test(ch);

function wordLeft(text: string, cursor: number): number {
  let i = cursor;
  while (i > 0 && !isWordChar(text[i - 1])) i--;
  while (i > 0 && isWordChar(text[i - 1])) i--;
  return i;
}

function wordRight(text: string, cursor: number): number {
  let i = cursor;
  while (i < text.length && !isWordChar(text[i])) i++;
  while (i < text.length && isWordChar(text[i])) i++;
  return i;
}

// Keeps surrogate pairs together when moving by one character.
const prevIndex = (text: string, i: number) => (i >= 2 && /[\udc00-\udfff]/.test(text[i - 1] ?? "") ? i - 2 : Math.max(0, i - 1));
const nextIndex = (text: string, i: number) => (/[\ud800-\udbff]/.test(text[i] ?? "") ? i + 2 : Math.min(text.length, i + 1));

/** The chat action a UI action implies (scrolling away from the end stops "following"). */
export function impliedChatAction(action: Action): ChatAction | null {
  if (action.type === "scroll.set") return { type: "view.following", chatId: action.chatId, following: action.anchor === null };
  return null;
}

/** The UI slice after `action`; `chat` is the chat state after the same action. */
export function uiReducer(ui: UiState, action: Action, chat: ChatState): UiState {
  const state = ui;
  switch (action.type) {
    // the form follows the session
    case "login.busy":
      return { ...ui, login: { ...ui.login, busy: true, error: null } };
    case "login.failed":
      return { ...ui, login: { ...ui.login, busy: false, error: action.error } };
    case "session.resuming":
      return { ...ui, login: { ...ui.login, nick: action.nick } };
    case "session.ready":
      return { ...ui, login: { ...ui.login, nick: action.session.user.nick, busy: false, password: "", error: null } };
    case "logged.out": {
      const fresh = initialUiState(ui.login.nick);
      return { ...fresh, login: { ...fresh.login, error: action.error ?? null } };
    }
    case "users.loaded":
      return { ...ui, userCursor: 0 };
    case "history.loaded":
      if (action.direction !== "latest" || ui.scroll[action.page.chatId] === undefined) return ui;
      return { ...ui, scroll: withoutKey(ui.scroll, action.page.chatId) };
    case "chat.updated":
      if (chat.chats[action.update.chat.id] || ui.scroll[action.update.chat.id] === undefined) return ui;
      return { ...ui, scroll: withoutKey(ui.scroll, action.update.chat.id) };

    case "login.edit":
      return { ...ui, login: { ...ui.login, [action.field]: action.value, error: null } };
    case "login.field":
      return { ...ui, login: { ...ui.login, field: action.field } };
    case "focus.set":
      return { ...ui, focus: action.focus };
    case "focus.cycle": {
      const i = FOCUS_ORDER.indexOf(ui.focus);
      const n = FOCUS_ORDER.length;
      return { ...ui, focus: FOCUS_ORDER[(((i + action.delta) % n) + n) % n] ?? "input" };
    }
    case "users.move":
      return { ...ui, userCursor: clampUserCursor(chat, ui.userCursor + action.delta) };
    case "scroll.set":
      if (!chat.chats[action.chatId]) return ui;
      return { ...ui, scroll: action.anchor === null ? withoutKey(ui.scroll, action.chatId) : { ...ui.scroll, [action.chatId]: action.anchor } };
    case "overlay.help":
      return { ...ui, overlay: ui.overlay?.kind === "help" ? null : { kind: "help", offset: 0 } };
    case "help.scroll":
      // The upper bound depends on the screen height; the view clamps it when drawing.
      return ui.overlay?.kind === "help" ? { ...ui, overlay: { kind: "help", offset: Math.max(0, ui.overlay.offset + action.delta) } } : ui;
    case "overlay.switcher":
      return { ...ui, overlay: { kind: "switcher", query: "", selected: 0 } };
    case "overlay.close":
      return { ...ui, overlay: null };
    case "switcher.query":
      return ui.overlay?.kind === "switcher" ? { ...ui, overlay: { ...ui.overlay, query: action.query, selected: 0 } } : ui;
    case "switcher.move": {
      if (ui.overlay?.kind !== "switcher") return ui;
      const n = switcherCandidates({ ...chat, ...ui }).length;
      const selected = Math.max(0, Math.min(n - 1, ui.overlay.selected + action.delta));
      return { ...ui, overlay: { ...ui.overlay, selected } };
    }
    case "file.select":
      return { ...ui, selectedFile: action.messageId === null ? null : { chatId: action.chatId, messageId: action.messageId } };

    case "message.select":
      return { ...ui, selected: action.messageId === null ? null : { chatId: action.chatId, messageId: action.messageId } };
    case "intent.set":
      return { ...ui, intent: action.intent };
    case "overlay.results":
      return { ...ui, overlay: { kind: "results", source: action.source, selected: 0 } };
    case "results.move":
      if (ui.overlay?.kind !== "results") return ui;
      return { ...ui, overlay: { ...ui.overlay, selected: Math.max(0, Math.min(action.count - 1, ui.overlay.selected + action.delta)) } };
    case "composer.newline": {
      // Alt+Enter: a line break in the message (the input grows up to COMPOSER_LINES lines).
      const { text, cursor } = state.composer;
      return editComposer(state, { text: `${text.slice(0, cursor)}\n${text.slice(cursor)}`, cursor: cursor + 1 });
    }
    case "composer.insert": {
      const { text, cursor } = state.composer;
      // Pasted line breaks become spaces: the composer is one line.
      const insert = action.text.replace(/\r\n|\r|\n/g, " ");
      return editComposer(state, { text: text.slice(0, cursor) + insert + text.slice(cursor), cursor: cursor + insert.length });
    }
    case "composer.backspace": {
      const { text, cursor } = state.composer;
      if (cursor === 0) return state;
      const to = prevIndex(text, cursor);
      return editComposer(state, { text: text.slice(0, to) + text.slice(cursor), cursor: to });
    }
    case "composer.delete": {
      const { text, cursor } = state.composer;
      if (cursor >= text.length) return state;
      return editComposer(state, { text: text.slice(0, cursor) + text.slice(nextIndex(text, cursor)) });
    }
    case "composer.move": {
      const { text, cursor } = state.composer;
      const to = {
        left: () => prevIndex(text, cursor),
        right: () => nextIndex(text, cursor),
        home: () => 0,
        end: () => text.length,
        wordLeft: () => wordLeft(text, cursor),
        wordRight: () => wordRight(text, cursor),
      }[action.to]();
      return { ...state, composer: { ...state.composer, cursor: to, completion: null } };
    }
    case "composer.killBefore": {
      const { text, cursor } = state.composer;
      return editComposer(state, { text: text.slice(cursor), cursor: 0 });
    }
    case "composer.killWordBefore": {
      const { text, cursor } = state.composer;
      const to = wordLeft(text, cursor);
      return editComposer(state, { text: text.slice(0, to) + text.slice(cursor), cursor: to });
    }
    case "composer.killAfter": {
      const { text, cursor } = state.composer;
      return editComposer(state, { text: text.slice(0, cursor) });
    }
    case "composer.recall": {
      const c = state.composer;
      if (c.history.length === 0) return state;
      const draft = c.historyIndex === null ? c.text : c.draft;
      const from = c.historyIndex ?? c.history.length;
      const index = from + action.delta;
      if (index >= c.history.length) return { ...state, composer: { ...c, text: draft, cursor: draft.length, historyIndex: null, draft: "", completion: null } };
      const clamped = Math.max(0, index);
      const text = c.history[clamped] ?? "";
      return { ...state, composer: { ...c, text, cursor: text.length, historyIndex: clamped, draft, completion: null } };
    }
    case "composer.submit": {
      const c = state.composer;
      const history = c.text.trim() && c.history[c.history.length - 1] !== c.text ? [...c.history.slice(-199), c.text] : c.history;
      return { ...state, composer: { text: "", cursor: 0, history, historyIndex: null, draft: "", completion: null } };
    }
    case "composer.set":
      return editComposer(state, { text: action.text, cursor: action.text.length });
    case "composer.complete": {
      const first = action.candidates[0];
      if (first === undefined) return state;
      const { text, cursor } = state.composer;
      const replaced = text.slice(0, action.start) + first + text.slice(cursor);
      return {
        ...state,
        composer: { ...state.composer, text: replaced, cursor: action.start + first.length, completion: { start: action.start, candidates: action.candidates, index: 0, prefix: action.prefix } },
      };
    }
    case "composer.completeNext": {
      const c = state.composer;
      const comp = c.completion;
      if (!comp) return state;
      const current = comp.candidates[comp.index] ?? "";
      const index = (comp.index + 1) % comp.candidates.length;
      const next = comp.candidates[index] ?? "";
      const end = comp.start + current.length;
      const text = c.text.slice(0, comp.start) + next + c.text.slice(end);
      return { ...state, composer: { ...c, text, cursor: comp.start + next.length, completion: { ...comp, index } } };
    }
    default:
      return ui;
  }
}

function withoutKey<T>(record: Record<number, T>, key: number): Record<number, T> {
  const next = { ...record };
  delete next[key];
  return next;
}

const UI_KEYS = Object.keys(initialUiState()) as (keyof UiState)[];

/** Splits the merged state into its two slices. */
export function splitState(state: State): { chat: ChatState; ui: UiState } {
  const chat = { ...state } as Partial<State>;
  const ui = {} as Record<string, unknown>;
  for (const k of UI_KEYS) {
    ui[k] = state[k];
    delete chat[k];
  }
  return { chat: chat as ChatState, ui: ui as UiState };
}

/** Both reducers on the merged state (what the store does, in one pure function). */
export function reducer(state: State, action: Action): State {
  const { chat, ui } = splitState(state);
  let nextChat = isChatAction(action) ? chatReducer(chat, action) : chat;
  const implied = impliedChatAction(action);
  if (implied) nextChat = chatReducer(nextChat, implied);
  const nextUi = uiReducer(ui, action, nextChat);
  if (nextChat === chat && nextUi === ui) return state;
  return { ...nextChat, ...nextUi };
}
