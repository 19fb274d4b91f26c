// Pure views of the chat state, shared by every front end.
import type { MessageDto, UserWithPresence } from "../../server/protocol/index.js";
import { mentionMatcher } from "./reducer.js";
import type { ChatState, ChatView, LocalLine, Pending } from "./types.js";

export type Tab = { chatId: number; label: string; kind: "room" | "dm"; unread: number; mention: boolean; active: boolean; index: number };

export function tabs(state: ChatState): Tab[] {
  return state.order.flatMap((id, index) => {
    const v = state.chats[id];
    if (!v) return [];
    const label = v.chat.kind === "room" ? `#${v.chat.name}` : v.chat.name;
    return [{ chatId: id, label, kind: v.chat.kind, unread: v.chat.unread, mention: v.mention, active: id === state.active, index }];
  });
}

export const activeView = (state: ChatState): ChatView | null => (state.active !== null ? (state.chats[state.active] ?? null) : null);

export type UserRow = UserWithPresence & { dmUnread: number; me: boolean };

// One collator for every sort: localeCompare with options builds one per comparison.
const NICK_ORDER = new Intl.Collator(undefined, { sensitivity: "base" });

/**
 * The unread counts of the direct messages as one string: equal while none of them changed, so a
 * people list can skip sorting and drawing again (front ends compare it between renders).
 */
export function dmUnreadKey(state: ChatState): string {
  let k = "";
  for (const v of Object.values(state.chats)) if (v.chat.kind === "dm" && v.chat.peer) k += `${v.chat.peer.id}:${v.chat.unread},`;
  return k;
}

/**
 * The people list's heading: how many are online (the server's count with protocol 2, else
 * those known) and how many of them the list does not hold yet (page in with loadMoreOnline).
 */
export function onlineSummary(state: ChatState): { online: number; more: number } {
  const known = Object.values(state.users).filter((u) => u.online).length;
  const online = state.online.count ?? known;
  return { online, more: state.online.next === null ? 0 : Math.max(0, online - known) };
}

/** Online first, then by nick; with the unread count of each person's direct messages. */
export function sortedUsers(state: ChatState): UserRow[] {
  const dmUnread = new Map<number, number>();
  for (const v of Object.values(state.chats)) if (v.chat.kind === "dm" && v.chat.peer) dmUnread.set(v.chat.peer.id, v.chat.unread);
  return Object.values(state.users)
    .map((u) => ({ ...u, dmUnread: dmUnread.get(u.id) ?? 0, me: u.id === state.me?.id }))
    .sort((a, b) => Number(b.online) - Number(a.online) || NICK_ORDER.compare(a.nick, b.nick));
}

export type HistoryEntry =
  | { kind: "message"; message: MessageDto; own: boolean; mention?: boolean }
  | { kind: "marker" }
  | { kind: "pending"; pending: Pending }
  | { kind: "local"; line: LocalLine };

// A chat's entries are remade only when its view, the pending messages or the viewer changed
// (not on a keystroke or a presence change), and each message's entry is made once per viewer:
// the mention test (a regular expression) runs once per message, not once per frame.
const entriesOf = new WeakMap<ChatView, { me: number | undefined; nick: string; pending: Pending[]; out: HistoryEntry[] }>();
const messageEntries = new WeakMap<MessageDto, { me: number | undefined; nick: string; entry: HistoryEntry }>();
let matcher: { nick: string; test: (text: string) => boolean } = { nick: "", test: mentionMatcher("") };

/** The active window of a chat in display order: messages, local lines, then unsent messages (do not mutate). */
export function historyEntries(state: ChatState, chatId: number): HistoryEntry[] {
  const v = state.chats[chatId];
  if (!v) return [];
  const me = state.me?.id;
  const nick = state.me?.nick ?? "";
  const known = entriesOf.get(v);
  if (known && known.me === me && known.nick === nick && known.pending === state.pending) return known.out;
  const out: HistoryEntry[] = [];
  let li = 0;
  const locals = v.locals;
  if (matcher.nick !== nick) matcher = { nick, test: mentionMatcher(nick) };
  const mentionsMe = matcher.test;
  let marker = v.newSince !== null && v.messages.some((m) => m.id > v.newSince! && m.senderId !== me);
  for (const m of v.messages) {
    while (li < locals.length && (locals[li]?.afterId ?? 0) < m.id) out.push({ kind: "local", line: locals[li++]! });
    if (marker && m.id > v.newSince!) {
      out.push({ kind: "marker" });
      marker = false;
    }
    const hit = messageEntries.get(m);
    if (hit && hit.me === me && hit.nick === nick) out.push(hit.entry);
    else {
      const own = m.senderId === me;
      const entry: HistoryEntry = { kind: "message", message: m, own, mention: !own && m.kind === "text" && mentionsMe(m.text) };
      messageEntries.set(m, { me, nick, entry });
      out.push(entry);
    }
  }
  // Local lines after the window's end belong at the bottom unless newer pages are missing.
  if (!v.hasNewer) while (li < locals.length) out.push({ kind: "local", line: locals[li++]! });
  if (!v.hasNewer) for (const p of state.pending) if (p.chatId === chatId) out.push({ kind: "pending", pending: p });
  entriesOf.set(v, { me, nick, pending: state.pending, out });
  return out;
}

/** The read marker to send for the active chat, when the user is looking at new messages. */
export function pendingRead(state: ChatState): { chatId: number; messageId: number } | null {
  const v = activeView(state);
  if (!v || state.screen !== "chat" || !v.following || v.hasNewer) return null;
  const newest = v.messages[v.messages.length - 1]?.id ?? 0;
  if (newest > v.chat.lastReadId || (v.chat.unread > 0 && newest > 0)) return { chatId: v.chat.id, messageId: newest };
  return null;
}

/** File messages in the active chat's window, oldest first. */
export function fileMessages(state: ChatState): MessageDto[] {
  const v = activeView(state);
  return v ? v.messages.filter((m) => m.kind === "file" && m.file) : [];
}

/** Transfers still running (what the cancel key acts on, newest last). */
export const runningTransfers = (state: ChatState) => state.transfers.filter((t) => t.state === "hashing" || t.state === "active" || t.state === "waiting");

/** Unread messages in rooms whose tab is closed (for a status line). */
export function hiddenUnread(state: ChatState): { rooms: number; unread: number } {
  let rooms = 0;
  let unread = 0;
  for (const id of state.hidden) {
    const n = state.chats[id]?.chat.unread ?? 0;
    if (n > 0) rooms++;
    unread += n;
  }
  return { rooms, unread };
}

/** Hidden chats, for a switcher (they can be brought back). */
export const hiddenChats = (state: ChatState): ChatView[] => state.hidden.flatMap((id) => (state.chats[id] ? [state.chats[id]] : []));
