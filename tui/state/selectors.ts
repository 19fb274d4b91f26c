// Pure views of the state for widgets and commands.
import type { MessageDto, UserWithPresence } from "../../server/protocol/index.js";
import type { ChatView, LocalLine, Pending, State } from "./types.js";

export type Tab = { chatId: number; label: string; kind: "room" | "dm"; unread: number; mention: boolean; active: boolean; index: number };

export function tabs(state: State): Tab[] {
  return state.order.flatMap((id, index) => {
    const v = state.chats[id];
    if (!v) return [];
    const label = v.chat.kind === "room" ? `#${v.chat.name}` : v.chat.name;
    return [{ chatId: id, label, kind: v.chat.kind, unread: v.chat.unread, mention: v.mention, active: id === state.active, index }];
  });
}

export const activeView = (state: State): ChatView | null => (state.active !== null ? (state.chats[state.active] ?? null) : null);

export type UserRow = UserWithPresence & { dmUnread: number; me: boolean };

/** Online first, then by nick; with the unread count of each person's direct messages. */
export function sortedUsers(state: State): UserRow[] {
  const dmUnread = new Map<number, number>();
  for (const v of Object.values(state.chats)) if (v.chat.kind === "dm" && v.chat.peer) dmUnread.set(v.chat.peer.id, v.chat.unread);
  return Object.values(state.users)
    .map((u) => ({ ...u, dmUnread: dmUnread.get(u.id) ?? 0, me: u.id === state.me?.id }))
    .sort((a, b) => Number(b.online) - Number(a.online) || a.nick.localeCompare(b.nick, undefined, { sensitivity: "base" }));
}

export type HistoryEntry =
  | { kind: "message"; message: MessageDto; own: boolean }
  | { kind: "pending"; pending: Pending }
  | { kind: "local"; line: LocalLine };

/** The active window of a chat in display order: messages, local lines, then unsent messages. */
export function historyEntries(state: State, chatId: number): HistoryEntry[] {
  const v = state.chats[chatId];
  if (!v) return [];
  const me = state.me?.id;
  const out: HistoryEntry[] = [];
  let li = 0;
  const locals = v.locals;
  for (const m of v.messages) {
    while (li < locals.length && (locals[li]?.afterId ?? 0) < m.id) out.push({ kind: "local", line: locals[li++]! });
    out.push({ kind: "message", message: m, own: m.senderId === me });
  }
  // Local lines after the window's end belong at the bottom unless newer pages are missing.
  if (!v.hasNewer) while (li < locals.length) out.push({ kind: "local", line: locals[li++]! });
  if (!v.hasNewer) for (const p of state.pending) if (p.chatId === chatId) out.push({ kind: "pending", pending: p });
  return out;
}

/** Subsequence match score: higher is better, null when the query does not match. */
export function fuzzyScore(query: string, text: string): number | null {
  const q = query.toLowerCase();
  const s = text.toLowerCase();
  if (!q) return 0;
  let score = 0;
  let from = 0;
  let prev = -2;
  for (const ch of q) {
    const at = s.indexOf(ch, from);
    if (at < 0) return null;
    score += at === prev + 1 ? 3 : 1; // consecutive letters count more
    if (at === 0) score += 2; // so does a match at the start
    prev = at;
    from = at + ch.length;
  }
  return score - s.length * 0.01;
}

export type Candidate =
  | { kind: "chat"; chatId: number; label: string }
  | { kind: "user"; nick: string; label: string; online: boolean }
  | { kind: "room"; name: string; label: string };

/** Quick-switcher entries: open chats, people (opens a DM), public rooms (joins). */
export function switcherCandidates(state: State): Candidate[] {
  if (state.overlay?.kind !== "switcher") return [];
  const query = state.overlay.query.trim().replace(/^[#@]/, "");
  const openDmPeers = new Set<number>();
  const all: Candidate[] = [];
  for (const t of tabs(state)) {
    const v = state.chats[t.chatId];
    if (v?.chat.peer) openDmPeers.add(v.chat.peer.id);
    all.push({ kind: "chat", chatId: t.chatId, label: t.label });
  }
  const joined = new Set(Object.values(state.chats).filter((v) => v.chat.kind === "room").map((v) => v.chat.name.toLowerCase()));
  for (const u of sortedUsers(state)) if (!u.me && !openDmPeers.has(u.id)) all.push({ kind: "user", nick: u.nick, label: u.nick, online: u.online });
  for (const r of state.rooms) if (!joined.has(r.name.toLowerCase())) all.push({ kind: "room", name: r.name, label: `#${r.name}` });
  const scored = all.flatMap((c) => {
    const s = fuzzyScore(query, c.label.replace(/^#/, ""));
    return s === null ? [] : [{ c, s }];
  });
  // A stable sort keeps the natural order (open chats, people, rooms) among equal scores.
  if (query) scored.sort((a, b) => b.s - a.s);
  return scored.slice(0, 50).map((x) => x.c);
}

/** The read marker to send for the active chat, when the user is looking at new messages. */
export function pendingRead(state: State): { chatId: number; messageId: number } | null {
  const v = activeView(state);
  if (!v || state.screen !== "chat" || v.scroll !== null || v.hasNewer) return null;
  const newest = v.messages[v.messages.length - 1]?.id ?? 0;
  if (newest > v.chat.lastReadId || (v.chat.unread > 0 && newest > 0)) return { chatId: v.chat.id, messageId: newest };
  return null;
}

/** File messages in the active chat's window, oldest first. */
export function fileMessages(state: State): MessageDto[] {
  const v = activeView(state);
  return v ? v.messages.filter((m) => m.kind === "file" && m.file) : [];
}

/** The selected file message of the active chat, if it is still in the window. */
export function selectedFileMessage(state: State): MessageDto | null {
  const sel = state.selectedFile;
  if (!sel || sel.chatId !== state.active) return null;
  return fileMessages(state).find((m) => m.id === sel.messageId) ?? null;
}

/** The file message `delta` steps from the selection (-1: older); from the newest when none is selected. */
export function stepFileSelection(state: State, delta: number): MessageDto | null {
  const files = fileMessages(state);
  if (!files.length) return null;
  const current = selectedFileMessage(state);
  if (!current) return files[files.length - 1] ?? null;
  const i = files.findIndex((m) => m.id === current.id);
  return files[Math.max(0, Math.min(files.length - 1, i + delta))] ?? null;
}

/** Transfers still running (what the cancel key acts on, newest last). */
export const runningTransfers = (state: State) => state.transfers.filter((t) => t.state === "hashing" || t.state === "active" || t.state === "waiting");
