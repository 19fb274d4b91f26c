// The pure chat reducer: (state, action) -> next state. No I/O, no clocks but action data.
import type { ChatDto, MessageDto } from "../../server/protocol/index.js";
import type { ChatAction } from "./actions.js";
import { WINDOW_MAX, type ChatState, type ChatView, type LocalLine } from "./types.js";

export function initialChatState(server: string): ChatState {
  return {
    screen: "login",
    conn: { status: "offline", server, attempt: 0, rttMs: null, error: null },
    me: null,
    users: {},
    online: { count: null, next: null },
    chats: {},
    order: [],
    hidden: [],
    active: null,
    pending: [],
    rooms: [],
    notices: [],
    shutdown: null,
    now: 0,
    transfers: [],
    search: null,
    mentions: null,
    jump: null,
  };
}

const newView = (chat: ChatDto): ChatView => ({
  chat, messages: [], locals: [], loaded: false, hasOlder: true, hasNewer: false, loadingOlder: false, following: true, mention: false, newSince: null,
});

/** True when the text addresses the nick as a word (with or without @). */
export function mentions(text: string, nick: string): boolean {
  return mentionMatcher(nick)(text);
}

/** mentions() for one nick, with its pattern built once (for checking a whole window of messages). */
export function mentionMatcher(nick: string): (text: string) => boolean {
  if (!nick) return () => false;
  const escaped = nick.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`(^|[^\\p{L}\\p{N}_-])@?${escaped}($|[^\\p{L}\\p{N}_-])`, "iu");
  return (text) => re.test(text);
}

/** Inserts messages into an ascending, duplicate-free window. */
function mergeMessages(existing: MessageDto[], incoming: MessageDto[]): MessageDto[] {
  if (incoming.length === 0) return existing;
  const last = existing[existing.length - 1];
  const sortedIncoming = [...incoming].sort((a, b) => a.id - b.id);
  // The common case: strictly newer messages append without a sort.
  if (!last || (sortedIncoming[0] && sortedIncoming[0].id > last.id)) return [...existing, ...sortedIncoming];
  const byId = new Map(existing.map((m) => [m.id, m]));
  for (const m of sortedIncoming) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/**
 * Puts the current form of a message in its place (an edit, a delete, a reaction), and refreshes
 * the quotes of the messages that reply to it. A message outside the window changes nothing.
 */
function replaceMessage(view: ChatView, m: MessageDto): ChatView {
  let changed = false;
  const messages = view.messages.map((x) => {
    if (x.id === m.id) {
      changed = true;
      return m;
    }
    if (x.replyTo && x.replyTo.id === m.id) {
      changed = true;
      const deleted = !!m.deleted;
      return { ...x, replyTo: { ...x.replyTo, deleted, excerpt: deleted ? "" : m.text.replace(/\s+/g, " ").slice(0, 80) } };
    }
    return x;
  });
  return changed ? { ...view, messages } : view;
}

function withChat(state: ChatState, chatId: number, fn: (v: ChatView) => ChatView): ChatState {
  const view = state.chats[chatId];
  if (!view) return state;
  return { ...state, chats: { ...state.chats, [chatId]: fn(view) } };
}

function upsertChat(state: ChatState, chat: ChatDto): ChatState {
  const existing = state.chats[chat.id];
  const chats = { ...state.chats, [chat.id]: existing ? { ...existing, chat } : newView(chat) };
  const order = state.order.includes(chat.id) || state.hidden.includes(chat.id) ? state.order : [...state.order, chat.id];
  return { ...state, chats, order, active: state.active ?? chat.id };
}

function removeChat(state: ChatState, chatId: number): ChatState {
  if (!state.chats[chatId]) return state;
  const chats = { ...state.chats };
  delete chats[chatId];
  return { ...hideTab(state, chatId), chats, hidden: state.hidden.filter((id) => id !== chatId) };
}

/** Takes a chat out of the tab order (the next tab to the left becomes active). */
function hideTab(state: ChatState, chatId: number): ChatState {
  const index = state.order.indexOf(chatId);
  if (index < 0) return state;
  const order = state.order.filter((id) => id !== chatId);
  const active = state.active === chatId ? (order[Math.max(0, index - 1)] ?? order[0] ?? null) : state.active;
  return { ...state, order, active };
}

/** Puts a hidden chat's tab back (at the end). */
function unhide(state: ChatState, chatId: number): ChatState {
  if (!state.hidden.includes(chatId)) return state;
  return { ...state, hidden: state.hidden.filter((id) => id !== chatId), order: state.order.includes(chatId) ? state.order : [...state.order, chatId] };
}

function lastId(view: ChatView): number {
  return view.messages[view.messages.length - 1]?.id ?? 0;
}

function addLocal(state: ChatState, chatId: number | null | undefined, level: "info" | "error", text: string, at: number): ChatState {
  const target = chatId ?? state.active;
  const view = target !== null && target !== undefined ? state.chats[target] : undefined;
  const seq = (view?.locals.length ?? state.notices.length) + 1;
  const line: LocalLine = { key: `l${at.toString(36)}${seq}`, level, text, at, afterId: view ? lastId(view) : 0 };
  if (!view) return { ...state, notices: [...state.notices.slice(-49), line] };
  // Local lines are few; keep the last 200 so they never grow without bound.
  return withChat(state, view.chat.id, (v) => ({ ...v, locals: [...v.locals.slice(-199), line] }));
}

function activate(state: ChatState, chatId: number | undefined): ChatState {
  if (chatId === undefined || !state.chats[chatId]) return state;
  // Leaving a chat whose new messages were read drops its "new messages" line.
  const prev = state.active !== null && state.active !== chatId ? state.chats[state.active] : undefined;
  let next = prev && prev.newSince !== null && prev.chat.unread === 0 ? withChat(state, prev.chat.id, (v) => ({ ...v, newSince: null })) : state;
  next = unhide(next, chatId);
  return withChat({ ...next, active: chatId }, chatId, (v) => ({ ...v, mention: false }));
}

function receive(state: ChatState, message: MessageDto, own: boolean): ChatState {
  const view = state.chats[message.chatId];
  if (!view) return state;
  const pending = state.pending.filter((p) => p.clientId !== message.clientId);
  const known = view.messages.some((m) => m.id === message.id);
  let messages = view.messages;
  let hasOlder = view.hasOlder;
  // With a trimmed newest end the message is outside the window: it is fetched on return.
  if (!view.hasNewer && !known) {
    messages = mergeMessages(view.messages, [message]);
    if (messages.length > WINDOW_MAX && view.following) {
      messages = messages.slice(messages.length - WINDOW_MAX);
      hasOlder = true;
    }
  }
  const fromOther = !own && message.senderId !== state.me?.id && (message.kind === "text" || message.kind === "file");
  const seeing = state.active === message.chatId && view.following && state.screen === "chat";
  // A message at or below lastMessageId is already in the server's unread count (a DM that
  // reopened for this message arrives with it counted).
  const countIt = fromOther && !known && message.id > view.chat.lastReadId && message.id > view.chat.lastMessageId && !seeing;
  const chat: ChatDto = {
    ...view.chat,
    lastMessageId: Math.max(view.chat.lastMessageId, message.id),
    unread: countIt ? view.chat.unread + 1 : view.chat.unread,
  };
  const mentioned = countIt && message.kind === "text" && mentions(message.text, state.me?.nick ?? "");
  const mention = view.mention || mentioned;
  // The first unseen message puts the "new messages" line after what was read; a reply clears it.
  const newSince = own ? null : countIt && view.newSince === null ? view.chat.lastReadId : view.newSince;
  const next = { ...state, pending, chats: { ...state.chats, [message.chatId]: { ...view, chat, messages, hasOlder, mention, newSince } } };
  // A mention in a room whose tab was closed brings the tab back.
  return mentioned ? unhide(next, message.chatId) : next;
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case "login.busy":
    case "login.failed":
      return action.type === "login.failed" ? { ...state, screen: "login" } : state;
    case "session.resuming":
      return { ...state, screen: "chat", conn: { ...state.conn, status: "connecting" } };
    case "logged.out":
      return initialChatState(state.conn.server);

    case "conn.status":
      return { ...state, conn: { ...state.conn, status: action.status, attempt: action.attempt ?? (action.status === "online" ? 0 : state.conn.attempt), error: action.error === undefined ? state.conn.error : action.error } };
    case "conn.rtt":
      return { ...state, conn: { ...state.conn, rttMs: action.ms } };
    case "shutdown.announced":
      return { ...state, shutdown: { at: action.at, reason: action.reason } };
    case "clock.tick":
      return { ...state, now: action.now };

    case "session.ready": {
      const { session } = action;
      const openIds = new Set(session.chats.map((c) => c.id));
      let next: ChatState = { ...state, screen: "chat", me: session.user };
      for (const id of [...state.order, ...state.hidden]) if (!openIds.has(id)) next = removeChat(next, id);
      for (const chat of session.chats) next = upsertChat(next, chat);
      // The server's order puts general first; chats this client already had keep their place.
      const known = next.order.filter((id) => state.order.includes(id));
      const added = session.chats.map((c) => c.id).filter((id) => !known.includes(id) && !next.hidden.includes(id));
      next = { ...next, order: [...known, ...added] };
      const online = new Set(session.online.map((u) => u.id));
      const users: ChatState["users"] = {};
      for (const u of Object.values(state.users)) users[u.id] = { ...u, online: online.has(u.id) };
      for (const u of session.online) users[u.id] = { ...u, online: true };
      users[session.user.id] = { ...session.user, online: true };
      const active = next.active !== null && next.chats[next.active] ? next.active : (next.order[0] ?? null);
      const onlineState = { count: session.onlineCount ?? null, next: session.onlineNext ?? null };
      return { ...next, users, online: onlineState, active, shutdown: null, conn: { ...next.conn, status: "online", attempt: 0, error: null } };
    }
    case "users.loaded": {
      const users: ChatState["users"] = {};
      for (const u of action.users) users[u.id] = u;
      return { ...state, users };
    }
    case "rooms.loaded":
      return { ...state, rooms: action.rooms };
    case "presence": {
      const { user, online } = action.update;
      return { ...state, users: { ...state.users, [user.id]: { ...user, online } } };
    }
    case "presence.batch": {
      // One batch per server tick: everyone who changed in it, or (large server) only the count.
      const { batch } = action;
      const users = { ...state.users };
      for (const u of batch.online) users[u.id] = { ...u, online: true };
      for (const u of batch.offline) users[u.id] = { ...u, online: false };
      if (state.me) users[state.me.id] = { ...state.me, online: true };
      return { ...state, users, online: { ...state.online, count: batch.count } };
    }
    case "presence.page": {
      const { page } = action;
      const users = { ...state.users };
      for (const u of page.users) users[u.id] = { ...u, online: true };
      return { ...state, users, online: { count: page.count, next: page.next } };
    }

    case "message.received":
      return receive(state, action.message, false);
    case "message.updated": {
      const m = action.message;
      let next = withChat(state, m.chatId, (v) => replaceMessage(v, m));
      // A hit in the open search results shows the new text (or the tombstone) too.
      if (next.search?.hits.some((h) => h.message.id === m.id)) {
        next = { ...next, search: { ...next.search, hits: next.search.hits.map((h) => (h.message.id === m.id ? { ...h, message: m, marks: m.text === h.message.text ? h.marks : [] } : h)) } };
      }
      return next;
    }
    case "chat.updated": {
      const { reason, chat } = action.update;
      if (reason === "closed" || reason === "left") return removeChat(state, chat.id);
      if (reason === "read" || reason === "changed") {
        return withChat(state, chat.id, (v) => ({ ...v, chat: { ...v.chat, ...chat }, mention: chat.unread === 0 ? false : v.mention }));
      }
      return upsertChat(state, chat);
    }
    case "chat.opened": {
      const next = upsertChat(state, action.chat);
      return action.activate ? activate(next, action.chat.id) : next;
    }

    case "history.loading":
      return withChat(state, action.chatId, (v) => ({ ...v, loadingOlder: true }));
    case "history.failed":
      return withChat(state, action.chatId, (v) => ({ ...v, loadingOlder: false }));
    case "history.loaded": {
      const { page, direction } = action;
      return withChat(state, page.chatId, (v) => {
        if (direction === "around") {
          // A jump: the window is the page around the message; newer ones are paged in later.
          return { ...v, messages: [...page.messages].reverse(), hasOlder: page.hasMore, hasNewer: page.hasNewer ?? false, loaded: true, loadingOlder: false, following: !page.hasNewer };
        }
        if (direction === "latest") {
          const newSince = v.newSince ?? (v.chat.unread > 0 ? v.chat.lastReadId : null);
          const latest = [...page.messages].reverse();
          const top = latest[latest.length - 1]?.id ?? 0;
          // Messages that arrived live while the page was on its way are newer than all of it.
          const arrived = v.hasNewer ? [] : v.messages.filter((m) => m.id > top);
          return { ...v, messages: [...latest, ...arrived], hasOlder: page.hasMore, hasNewer: false, loaded: true, loadingOlder: false, following: true, newSince };
        }
        if (direction === "older") {
          let messages = mergeMessages(v.messages, page.messages);
          let hasNewer = v.hasNewer;
          if (messages.length > WINDOW_MAX) {
            messages = messages.slice(0, WINDOW_MAX);
            hasNewer = true;
          }
          return { ...v, messages, hasOlder: page.hasMore, hasNewer, loaded: true, loadingOlder: false };
        }
        let messages = mergeMessages(v.messages, page.messages);
        let hasOlder = v.hasOlder;
        if (messages.length > WINDOW_MAX) {
          messages = messages.slice(messages.length - WINDOW_MAX);
          hasOlder = true;
        }
        return { ...v, messages, hasOlder, hasNewer: page.hasMore, loaded: true, loadingOlder: false };
      });
    }
    case "notice":
      return addLocal(state, action.chatId, action.level, action.text, action.at);

    case "send.queued":
      return {
        ...state,
        pending: [...state.pending, { clientId: action.clientId, chatId: action.chatId, text: action.text, at: action.at, state: action.online ? "sending" : "queued", ...(action.replyTo ? { replyTo: action.replyTo } : {}) }],
      };
    case "send.sending":
      return { ...state, pending: state.pending.map((p) => (p.clientId === action.clientId ? { ...p, state: "sending" } : p)) };
    case "send.retry":
      return { ...state, pending: state.pending.map((p) => (p.clientId === action.clientId ? { ...p, state: "queued" } : p)) };
    case "send.acked":
      return receive({ ...state, pending: state.pending.filter((p) => p.clientId !== action.clientId) }, action.message, true);
    case "send.failed": {
      const p = state.pending.find((x) => x.clientId === action.clientId);
      const next = { ...state, pending: state.pending.filter((x) => x.clientId !== action.clientId) };
      if (!p) return next;
      const preview = p.text.length > 60 ? `${p.text.slice(0, 57)}...` : p.text;
      return addLocal(next, p.chatId, "error", `Not sent (${action.error}): ${preview}`, action.at);
    }
    case "read.local":
      return withChat(state, action.chatId, (v) => ({ ...v, mention: false, chat: { ...v.chat, unread: 0, lastReadId: Math.max(v.chat.lastReadId, action.messageId) } }));

    case "tab.goto":
      return activate(state, state.order[action.index]);
    case "tab.step": {
      if (state.order.length === 0) return state;
      const i = state.active === null ? 0 : state.order.indexOf(state.active);
      const n = state.order.length;
      return activate(state, state.order[(((i + action.delta) % n) + n) % n]);
    }
    case "tab.activate":
      return activate(state, action.chatId);
    case "tab.nextUnread": {
      const start = state.active === null ? -1 : state.order.indexOf(state.active);
      for (let k = 1; k <= state.order.length; k++) {
        const id = state.order[(start + k) % state.order.length];
        const v = id !== undefined ? state.chats[id] : undefined;
        if (v && id !== state.active && (v.chat.unread > 0 || v.mention)) return activate(state, id);
      }
      return state;
    }
    case "chat.hide":
      if (!state.chats[action.chatId] || state.hidden.includes(action.chatId)) return state;
      return { ...hideTab(state, action.chatId), hidden: [...state.hidden, action.chatId] };
    case "view.following":
      return withChat(state, action.chatId, (v) => (v.following === action.following ? v : { ...v, following: action.following }));

    case "transfer.started":
      return { ...state, transfers: [...state.transfers.filter((t) => t.id !== action.transfer.id), action.transfer] };
    case "transfer.update":
      return { ...state, transfers: state.transfers.map((t) => (t.id === action.id ? { ...t, ...action.patch } : t)) };
    case "transfer.remove":
      return { ...state, transfers: state.transfers.filter((t) => t.id !== action.id) };

    case "search.started":
      return { ...state, search: { query: action.query, hits: action.append && state.search?.query === action.query ? state.search.hits : [], hasMore: false, loading: true, error: null } };
    case "search.loaded": {
      // An answer to a search that was replaced since is dropped.
      if (state.search && state.search.query !== action.query) return state;
      const before = action.append ? (state.search?.hits ?? []) : [];
      const seen = new Set(before.map((h) => h.message.id));
      return { ...state, search: { query: action.query, hits: [...before, ...action.page.hits.filter((h) => !seen.has(h.message.id))], hasMore: action.page.hasMore, loading: false, error: null } };
    }
    case "search.failed":
      if (state.search && state.search.query !== action.query) return state;
      return { ...state, search: { query: action.query, hits: state.search?.hits ?? [], hasMore: false, loading: false, error: action.error } };
    case "search.closed":
      return { ...state, search: null };
    case "mentions.started":
      return { ...state, mentions: { items: state.mentions?.items ?? [], hasMore: false, unread: state.mentions?.unread ?? 0, loading: true, error: null } };
    case "mentions.loaded":
      return { ...state, mentions: { items: action.page.mentions, hasMore: action.page.hasMore, unread: action.page.unread, loading: false, error: null } };
    case "mentions.failed":
      return { ...state, mentions: { items: state.mentions?.items ?? [], hasMore: false, unread: 0, loading: false, error: action.error } };
    case "mentions.closed":
      return { ...state, mentions: null };
    case "jump.set":
      return { ...activate(state, action.chatId), jump: { chatId: action.chatId, messageId: action.messageId } };
    case "jump.clear":
      return state.jump ? { ...state, jump: null } : state;
  }
}
