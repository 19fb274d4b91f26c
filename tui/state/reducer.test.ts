import test from "ava";
import { chat, dm, loggedIn, ME, msg, ready, run } from "./fixtures.js";
import { initialState, mentions, reducer } from "./reducer.js";
import { WINDOW_MAX } from "./types.js";

test("session.ready opens the chats with general first and marks who is online", (t) => {
  const s = loggedIn();
  t.is(s.screen, "chat");
  t.deepEqual(s.order, [1, 2, 3]);
  t.is(s.active, 1);
  t.true(s.users[2]?.online);
  t.is(s.conn.status, "online");
});

test("a second session.ready keeps the tab order, drops chats closed elsewhere and adds new ones", (t) => {
  let s = run(loggedIn(), { type: "tab.goto", index: 2 });
  s = reducer(s, { type: "session.ready", session: ready([chat(1, "general"), dm(3, { id: 2, nick: "bob" }), chat(9, "new")]) });
  t.deepEqual(s.order, [1, 3, 9]);
  t.is(s.active, 3, "the active chat survives a reconnect");
  t.false(s.users[2]?.online, "bob is not in the new online list");
});

test("messages from others in a background chat count as unread; in the active chat at the bottom they do not", (t) => {
  let s = loggedIn();
  s = run(s, { type: "message.received", message: msg(10, 2, 2) }, { type: "message.received", message: msg(11, 2, 2) }, { type: "message.received", message: msg(12, 1, 2) });
  t.is(s.chats[2]?.chat.unread, 2);
  t.is(s.chats[1]?.chat.unread, 0);
  t.deepEqual(s.chats[2]?.messages.map((m) => m.id), [10, 11]);
});

test("own messages and join lines are never unread; duplicates are ignored", (t) => {
  let s = loggedIn();
  const own = msg(10, 2, ME.id);
  s = run(s, { type: "message.received", message: own }, { type: "message.received", message: own }, { type: "message.received", message: msg(11, 2, 2, "", { kind: "join" }) });
  t.is(s.chats[2]?.chat.unread, 0);
  t.is(s.chats[2]?.messages.length, 2);
});

test("a file shared by someone else counts as unread, and its name never counts as a mention", (t) => {
  let s = loggedIn();
  const file = { id: 7, chatId: 2, name: "alice.txt", size: 3, sha256: "a".repeat(64), sender: "u2", senderId: 2, createdAt: "2026-11-21T10:00:00.000Z" };
  s = run(s, { type: "message.received", message: msg(10, 2, 2, "alice.txt", { kind: "file", file }) });
  t.is(s.chats[2]?.chat.unread, 1);
  t.false(s.chats[2]?.mention);
});

test("a message the server already counted (the one that reopened a DM) is not counted twice", (t) => {
  let s = loggedIn();
  s = reducer(s, { type: "chat.updated", update: { reason: "opened", chat: dm(7, { id: 5, nick: "carol" }, { unread: 1, lastMessageId: 40 }) } });
  s = reducer(s, { type: "message.received", message: msg(40, 7, 5) });
  t.is(s.chats[7]?.chat.unread, 1);
});

test("out-of-order arrivals are kept sorted by id", (t) => {
  const s = run(loggedIn(), { type: "message.received", message: msg(12, 1, 2) }, { type: "message.received", message: msg(10, 1, 2) }, { type: "message.received", message: msg(11, 1, 2) });
  t.deepEqual(s.chats[1]?.messages.map((m) => m.id), [10, 11, 12]);
});

test("a mention of my nick marks the tab; reading clears it", (t) => {
  let s = reducer(loggedIn(), { type: "message.received", message: msg(10, 2, 2, "hey @Alice look") });
  t.true(s.chats[2]?.mention);
  s = reducer(s, { type: "read.local", chatId: 2, messageId: 10 });
  t.false(s.chats[2]?.mention);
  t.is(s.chats[2]?.chat.unread, 0);
  t.true(mentions("alice: hi", "alice"));
  t.false(mentions("malice aforethought", "alice"));
  t.true(mentions("привет, Юля!", "юля"));
});

test("the window holds at most WINDOW_MAX messages, trimming the far end", (t) => {
  let s = loggedIn();
  for (let i = 1; i <= WINDOW_MAX + 50; i++) s = reducer(s, { type: "message.received", message: msg(i, 1, 2) });
  t.is(s.chats[1]?.messages.length, WINDOW_MAX);
  t.is(s.chats[1]?.messages[0]?.id, 51);
  t.true(s.chats[1]?.hasOlder);
  // Paging older history while scrolled up trims the newest end instead.
  s = reducer(s, { type: "scroll.set", chatId: 1, anchor: { id: 60, line: 0 } });
  const older = Array.from({ length: 50 }, (_, i) => msg(50 - i, 1, 2));
  s = reducer(s, { type: "history.loaded", page: { chatId: 1, messages: older, hasMore: false }, direction: "older" });
  t.is(s.chats[1]?.messages.length, WINDOW_MAX);
  t.is(s.chats[1]?.messages[0]?.id, 1);
  t.true(s.chats[1]?.hasNewer);
  t.false(s.chats[1]?.hasOlder);
  // While the newest end is missing, live messages wait for the return to the bottom.
  s = reducer(s, { type: "message.received", message: msg(999, 1, 2) });
  t.false(s.chats[1]?.messages.some((m) => m.id === 999));
  s = reducer(s, { type: "history.loaded", page: { chatId: 1, messages: [msg(999, 1, 2), msg(998, 1, 2)], hasMore: true }, direction: "latest" });
  t.deepEqual(s.chats[1]?.messages.map((m) => m.id), [998, 999]);
  t.false(s.chats[1]?.hasNewer);
  t.is(s.scroll[1], undefined);
});

test("a message that arrives while the first history page is on its way is kept when the page lands", (t) => {
  let s = loggedIn();
  s = reducer(s, { type: "message.received", message: msg(50, 1, 2) });
  s = reducer(s, { type: "history.loaded", page: { chatId: 1, messages: [msg(49, 1, 2), msg(48, 1, 2)], hasMore: false }, direction: "latest" });
  t.deepEqual(s.chats[1]?.messages.map((m) => m.id), [48, 49, 50]);
  // One that is in the page as well is not shown twice.
  s = reducer(s, { type: "history.loaded", page: { chatId: 1, messages: [msg(50, 1, 2), msg(49, 1, 2)], hasMore: true }, direction: "latest" });
  t.deepEqual(s.chats[1]?.messages.map((m) => m.id), [49, 50]);
});

test("the outbox: queued, acked (replaced by the stored message), failed (explained in the chat)", (t) => {
  let s = reducer(loggedIn(), { type: "send.queued", clientId: "c1", chatId: 2, text: "hello", online: false, at: 0 });
  t.is(s.pending[0]?.state, "queued");
  s = reducer(s, { type: "send.sending", clientId: "c1" });
  t.is(s.pending[0]?.state, "sending");
  s = reducer(s, { type: "send.retry", clientId: "c1" });
  t.is(s.pending[0]?.state, "queued");
  s = reducer(s, { type: "send.acked", clientId: "c1", message: msg(20, 2, ME.id, "hello", { clientId: "c1" }) });
  t.is(s.pending.length, 0);
  t.is(s.chats[2]?.messages.at(-1)?.text, "hello");
  s = run(s, { type: "send.queued", clientId: "c2", chatId: 2, text: "x".repeat(100), online: true, at: 0 }, { type: "send.failed", clientId: "c2", error: "too long", at: 0 });
  t.is(s.pending.length, 0);
  t.regex(s.chats[2]?.locals.at(-1)?.text ?? "", /^Not sent \(too long\): x{57}\.\.\.$/);
});

test("an echo of my own message removes it from the outbox even before the ack", (t) => {
  let s = reducer(loggedIn(), { type: "send.queued", clientId: "c1", chatId: 2, text: "hi", online: true, at: 0 });
  s = reducer(s, { type: "message.received", message: msg(30, 2, ME.id, "hi", { clientId: "c1" }) });
  t.is(s.pending.length, 0);
});

test("tabs: goto, step wraps around, next unread, close moves to the neighbour", (t) => {
  let s = loggedIn();
  t.is(run(s, { type: "tab.goto", index: 2 }).active, 3);
  t.is(run(s, { type: "tab.goto", index: 8 }).active, 1, "a missing tab changes nothing");
  t.is(run(s, { type: "tab.step", delta: -1 }).active, 3);
  t.is(run(s, { type: "tab.step", delta: 1 }, { type: "tab.step", delta: 1 }, { type: "tab.step", delta: 1 }).active, 1);
  s = reducer(s, { type: "message.received", message: msg(10, 3, 2) });
  t.is(reducer(s, { type: "tab.nextUnread" }).active, 3);
  s = run(s, { type: "tab.goto", index: 1 }, { type: "chat.updated", update: { reason: "left", chat: chat(2, "dev") } });
  t.deepEqual(s.order, [1, 3]);
  t.is(s.active, 1);
});

test("focus cycles input -> users -> history and back", (t) => {
  const s = loggedIn();
  t.is(run(s, { type: "focus.cycle", delta: 1 }).focus, "users");
  t.is(run(s, { type: "focus.cycle", delta: 1 }, { type: "focus.cycle", delta: 1 }).focus, "history");
  t.is(run(s, { type: "focus.cycle", delta: -1 }).focus, "history");
});

test("the composer edits by character, keeps emoji whole and recalls what was sent", (t) => {
  let s = run(loggedIn(), { type: "composer.insert", text: "hi 😀" }, { type: "composer.backspace" });
  t.is(s.composer.text, "hi ");
  s = run(s, { type: "composer.insert", text: "there" }, { type: "composer.move", to: "wordLeft" }, { type: "composer.insert", text: "you " });
  t.is(s.composer.text, "hi you there");
  s = run(s, { type: "composer.submit" }, { type: "composer.insert", text: "second" }, { type: "composer.submit" }, { type: "composer.insert", text: "draft" });
  t.is(s.composer.text, "draft");
  s = reducer(s, { type: "composer.recall", delta: -1 });
  t.is(s.composer.text, "second");
  s = reducer(s, { type: "composer.recall", delta: -1 });
  t.is(s.composer.text, "hi you there");
  s = run(s, { type: "composer.recall", delta: 1 }, { type: "composer.recall", delta: 1 });
  t.is(s.composer.text, "draft", "going past the newest restores the draft");
  s = run(s, { type: "composer.move", to: "home" }, { type: "composer.killAfter" });
  t.is(s.composer.text, "");
  t.is(run(s, { type: "composer.insert", text: "a\nb" }).composer.text, "a b", "a pasted line break becomes a space");
});

test("completion replaces the word and cycles through candidates", (t) => {
  let s = run(loggedIn(), { type: "composer.insert", text: "hi bo" });
  s = reducer(s, { type: "composer.complete", candidates: ["bob ", "bonnie "], start: 3, prefix: "bo" });
  t.is(s.composer.text, "hi bob ");
  s = reducer(s, { type: "composer.completeNext" });
  t.is(s.composer.text, "hi bonnie ");
  s = reducer(s, { type: "composer.completeNext" });
  t.is(s.composer.text, "hi bob ");
  t.is(reducer(s, { type: "composer.insert", text: "x" }).composer.completion, null);
});

test("logging out returns to the form with the nick kept and the reason shown", (t) => {
  const s = reducer(loggedIn(), { type: "logged.out", error: "session expired" });
  t.is(s.screen, "login");
  t.is(s.login.nick, "alice");
  t.is(s.login.error, "session expired");
  t.deepEqual(s.order, []);
  t.is(initialState("x").screen, "login");
});

test("a notice with no chat open is kept (bounded) for the screen to show", (t) => {
  let s = initialState("x");
  for (let i = 0; i < 60; i++) s = reducer(s, { type: "notice", level: "info", text: `n${i}`, at: i });
  t.is(s.notices.length, 50);
  t.is(s.notices.at(-1)?.text, "n59");
});
