// Builders for state tests: a logged-in state with chats and messages.
import type { ChatDto, MessageDto, SessionReady } from "../../server/protocol/index.js";
import { reducer, initialState } from "./reducer.js";
import type { ChatAction } from "./actions.js";
import type { State } from "./types.js";

export const chat = (id: number, name: string, extra: Partial<ChatDto> = {}): ChatDto => ({
  id, kind: "room", name, private: false, peer: null, open: true, lastReadId: 0, lastMessageId: 0, unread: 0, ...extra,
});
export const dm = (id: number, peer: { id: number; nick: string }, extra: Partial<ChatDto> = {}): ChatDto =>
  chat(id, peer.nick, { kind: "dm", private: true, peer: { ...peer, role: "user" }, ...extra });

let seq = 0;
export const msg = (id: number, chatId: number, senderId: number, text = `m${id}`, extra: Partial<MessageDto> = {}): MessageDto => ({
  id, chatId, kind: "text", sender: senderId === 1 ? "alice" : `u${senderId}`, senderId, text, clientId: `00000000-0000-4000-8000-${String(++seq).padStart(12, "0")}`,
  createdAt: "2026-11-21T10:00:00.000Z", ...extra,
});

export const ME = { id: 1, nick: "alice", role: "user" as const };

export function ready(chats: ChatDto[], online = [ME]): SessionReady {
  return { user: ME, online, chats, serverTime: "2026-11-21T10:00:00.000Z" };
}

/** Alice logged in with general (id 1), #dev (id 2) and a DM with bob (id 3). */
export function loggedIn(): State {
  let s = initialState("http://127.0.0.1:3000");
  s = reducer(s, { type: "session.ready", session: ready([chat(1, "general"), chat(2, "dev"), dm(3, { id: 2, nick: "bob" })], [ME, { id: 2, nick: "bob", role: "user" }]) });
  for (const id of [1, 2, 3]) s = reducer(s, { type: "history.loaded", page: { chatId: id, messages: [], hasMore: false }, direction: "latest" });
  return s;
}

export const run = (s: State, ...actions: Parameters<typeof reducer>[1][]): State => actions.reduce(reducer, s);

/** The chat actions that make loggedIn()'s chat state (for a client's store). */
export function loggedInActions(): ChatAction[] {
  return [
    { type: "session.ready", session: ready([chat(1, "general"), chat(2, "dev"), dm(3, { id: 2, nick: "bob" })], [ME, { id: 2, nick: "bob", role: "user" }]) },
    ...[1, 2, 3].map((id): ChatAction => ({ type: "history.loaded", page: { chatId: id, messages: [], hasMore: false }, direction: "latest" })),
  ];
}
