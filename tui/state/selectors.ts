// Pure views of the state for widgets and commands: the client core's chat selectors, and the
// ones that need the UI slice (switcher, file selection, scroll).
import type { MessageDto } from "../../server/protocol/index.js";
import { activeView, fileMessages, hiddenChats, sortedUsers, tabs } from "../../client/state/selectors.js";
import type { State, ScrollAnchor } from "./types.js";

export {
  activeView, dmUnreadKey, fileMessages, hiddenChats, hiddenUnread, historyEntries, onlineSummary, pendingRead, runningTransfers, sortedUsers, tabs,
  type HistoryEntry, type Tab, type UserRow,
} from "../../client/state/selectors.js";

/** Where a chat's history is scrolled to (null: following the newest line). */
export const scrollOf = (state: State, chatId: number): ScrollAnchor => state.scroll[chatId] ?? null;

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
  // Rooms whose tab was closed: choosing one brings its tab back.
  for (const v of hiddenChats(state)) all.push({ kind: "chat", chatId: v.chat.id, label: `#${v.chat.name}` });
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


/** When the active chat is scrolled up (or its newest page is not loaded): how many new messages are below. */
export function moreBelow(state: State): { unread: number } | null {
  const v = activeView(state);
  if (!v || (scrollOf(state, v.chat.id) === null && !v.hasNewer)) return null;
  return { unread: v.chat.unread };
}

/** The message selected in the active chat's history (still in its window), or null. */
export function selectedMessage(state: State) {
  const sel = state.selected;
  if (!sel || sel.chatId !== state.active) return null;
  return state.chats[sel.chatId]?.messages.find((m) => m.id === sel.messageId) ?? null;
}

/** Messages that can be selected in the active chat (text and files; joins and leaves are skipped). */
export function selectableMessages(state: State) {
  const v = state.active === null ? undefined : state.chats[state.active];
  return v ? v.messages.filter((m) => m.kind === "text" || m.kind === "file") : [];
}

/** The newest text message of one's own in the active chat (what /edit changes without a selection). */
export function lastOwnMessage(state: State) {
  const me = state.me?.id;
  return selectableMessages(state).filter((m) => m.senderId === me && m.kind === "text" && !m.deleted).at(-1) ?? null;
}

/** Rows of the results window: search hits or mentions, as one shape. */
export function resultRows(state: State): { chatId: number; chatName: string; message: MessageDto; marks: [number, number][]; read?: boolean }[] {
  if (state.overlay?.kind !== "results") return [];
  if (state.overlay.source === "search") return (state.search?.hits ?? []).map((h) => ({ chatId: h.message.chatId, chatName: h.chatName, message: h.message, marks: h.marks }));
  return (state.mentions?.items ?? []).map((m) => ({ chatId: m.message.chatId, chatName: m.chatName, message: m.message, marks: [], read: m.read }));
}
