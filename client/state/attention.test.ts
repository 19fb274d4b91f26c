// Attention state: the bell decision, the "new messages" marker, mentions, closed room tabs.
import test from "ava";
import { chat, dm, msg, ready } from "../../tui/state/fixtures.js";
import type { ChatAction } from "./actions.js";
import { wantsAttention, type AttentionMode } from "./attention.js";
import { chatReducer, initialChatState } from "./reducer.js";
import { hiddenUnread, historyEntries, tabs } from "./selectors.js";
import type { ChatState } from "./types.js";

function loggedIn(): ChatState {
  let s = chatReducer(initialChatState("x"), { type: "session.ready", session: ready([chat(1, "general"), chat(2, "dev"), dm(3, { id: 2, nick: "bob" })]) });
  for (const id of [1, 2, 3]) s = chatReducer(s, { type: "history.loaded", page: { chatId: id, messages: [msg(id * 10, id, 2)], hasMore: false }, direction: "latest" });
  for (const id of [1, 2, 3]) s = chatReducer(s, { type: "read.local", chatId: id, messageId: id * 10 });
  return s;
}
const run = (s: ChatState, ...actions: ChatAction[]) => actions.reduce(chatReducer, s);

function rings(mode: AttentionMode, s: ChatState, a: ChatAction) {
  return wantsAttention(s, chatReducer(s, a), a, mode);
}

test("the bell: off never; mentions for a mention or a direct message; all for any message from someone else; never for your own or a duplicate", (t) => {
  const s = loggedIn();
  const plain: ChatAction = { type: "message.received", message: msg(100, 2, 2, "just chatting") };
  const mention: ChatAction = { type: "message.received", message: msg(101, 2, 2, "hey @alice, look") };
  const direct: ChatAction = { type: "message.received", message: msg(102, 3, 2, "psst") };
  const own: ChatAction = { type: "message.received", message: msg(103, 2, 1, "alice says alice") };
  t.deepEqual([plain, mention, direct, own].map((a) => rings("mentions", s, a)), [false, true, true, false]);
  t.deepEqual([plain, mention, direct, own].map((a) => rings("all", s, a)), [true, true, true, false]);
  t.deepEqual([plain, mention, direct, own].map((a) => rings("off", s, a)), [false, false, false, false]);
  const after = chatReducer(s, mention);
  t.false(rings("mentions", after, mention), "the same message again (after a reconnect) does not ring twice");
  t.false(rings("all", s, { type: "notice", level: "info", text: "alice", at: 0 }));
});

test("the new-messages marker sits after the last read message, stays while the chat is read, and goes when you leave or reply", (t) => {
  let s = run(loggedIn(), { type: "tab.goto", index: 0 });
  // #dev (not active) gets two messages: the marker goes after what was read (id 20).
  s = run(s, { type: "message.received", message: msg(21, 2, 2) }, { type: "message.received", message: msg(22, 2, 2) });
  t.is(s.chats[2]?.newSince, 20);
  s = run(s, { type: "tab.goto", index: 1 }, { type: "read.local", chatId: 2, messageId: 22 });
  t.deepEqual(historyEntries(s, 2).map((e) => (e.kind === "message" ? e.message.id : e.kind)), [20, "marker", 21, 22]);
  // Still there after the read marker moved (you are reading them now)...
  t.is(s.chats[2]?.newSince, 20);
  // ...gone once you switch away.
  s = run(s, { type: "tab.goto", index: 0 });
  t.is(s.chats[2]?.newSince, null);
  t.false(historyEntries(s, 2).some((e) => e.kind === "marker"));
  // A reply clears it too.
  s = run(s, { type: "message.received", message: msg(23, 2, 2) }, { type: "tab.goto", index: 1 });
  t.is(s.chats[2]?.newSince, 22);
  s = run(s, { type: "send.acked", clientId: "c1", message: msg(24, 2, 1, "ok") });
  t.is(s.chats[2]?.newSince, null);
  // Opening a chat with unread messages from the server marks them too.
  let fresh = chatReducer(initialChatState("x"), { type: "session.ready", session: ready([chat(1, "general"), chat(5, "ops", { lastReadId: 7, unread: 2, lastMessageId: 9 })]) });
  fresh = run(fresh, { type: "history.loaded", page: { chatId: 5, messages: [msg(9, 5, 2), msg(8, 5, 2), msg(7, 5, 2)], hasMore: false }, direction: "latest" });
  t.deepEqual(historyEntries(fresh, 5).map((e) => (e.kind === "message" ? e.message.id : e.kind)), [7, "marker", 8, 9]);
});

test("a mention is marked on its line; your own lines and others' plain lines are not", (t) => {
  const s = run(loggedIn(), { type: "message.received", message: msg(11, 1, 2, "alice: ping") }, { type: "message.received", message: msg(12, 1, 1, "alice here") });
  const flags = historyEntries(s, 1).flatMap((e) => (e.kind === "message" ? [[e.message.id, e.mention]] : []));
  t.deepEqual(flags, [[10, false], [11, true], [12, false]]);
});

test("closing a room's tab keeps it joined: its messages count in the status, and a mention brings the tab back", (t) => {
  let s = run(loggedIn(), { type: "tab.goto", index: 1 }, { type: "chat.hide", chatId: 2 });
  t.deepEqual(tabs(s).map((x) => x.label), ["#general", "bob"]);
  t.is(s.active, 1, "the tab to the left becomes active");
  s = run(s, { type: "message.received", message: msg(21, 2, 2, "plain") }, { type: "message.received", message: msg(22, 2, 2, "more") });
  t.deepEqual(hiddenUnread(s), { rooms: 1, unread: 2 });
  t.deepEqual(tabs(s).map((x) => x.label), ["#general", "bob"], "plain messages do not reopen it");
  s = run(s, { type: "message.received", message: msg(23, 2, 2, "@alice can you look?") });
  t.deepEqual(tabs(s).map((x) => x.label), ["#general", "bob", "#dev"]);
  t.like(tabs(s)[2], { unread: 3, mention: true, active: false });
  t.deepEqual(hiddenUnread(s), { rooms: 0, unread: 0 });
  // A reconnect keeps a hidden tab hidden.
  s = run(s, { type: "chat.hide", chatId: 2 }, { type: "session.ready", session: ready([chat(1, "general"), chat(2, "dev"), dm(3, { id: 2, nick: "bob" })]) });
  t.deepEqual(tabs(s).map((x) => x.label), ["#general", "bob"]);
  // Activating it (the quick switcher) brings it back.
  s = run(s, { type: "tab.activate", chatId: 2 });
  t.is(tabs(s).find((x) => x.active)?.label, "#dev");
});
