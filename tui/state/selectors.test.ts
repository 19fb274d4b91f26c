import test from "ava";
import { loggedIn, msg, run } from "./fixtures.js";
import { dmUnreadKey, fuzzyScore, historyEntries, pendingRead, sortedUsers, stepFileSelection, switcherCandidates, tabs } from "./selectors.js";

test("tabs show rooms with # and DMs by nick, with unread counts and the active one", (t) => {
  const s = run(loggedIn(), { type: "message.received", message: msg(5, 3, 2) });
  t.deepEqual(tabs(s).map((x) => [x.label, x.unread, x.active]), [["#general", 0, true], ["#dev", 0, false], ["bob", 1, false]]);
});

test("users: online first, then by nick, with each person's unread DMs", (t) => {
  let s = run(loggedIn(), { type: "users.loaded", users: [
    { id: 1, nick: "alice", role: "user", online: true },
    { id: 2, nick: "bob", role: "user", online: false },
    { id: 4, nick: "Zed", role: "user", online: true },
    { id: 5, nick: "amy", role: "user", online: false },
  ] });
  s = run(s, { type: "message.received", message: msg(9, 3, 2) });
  t.deepEqual(sortedUsers(s).map((u) => [u.nick, u.online, u.dmUnread]), [["alice", true, 0], ["Zed", true, 0], ["amy", false, 0], ["bob", false, 1]]);
  t.true(sortedUsers(s)[0]?.me);
});

test("the DM unread key changes with a direct message's unread count, not with a room's message", (t) => {
  const s0 = run(loggedIn(), { type: "message.received", message: msg(9, 3, 2) });
  const room = run(s0, { type: "message.received", message: msg(10, 2, 2) });
  t.is(dmUnreadKey(room), dmUnreadKey(s0), "a message in a room leaves the people list alone");
  const dm = run(s0, { type: "message.received", message: msg(11, 3, 2) });
  t.not(dmUnreadKey(dm), dmUnreadKey(s0), "a second unread DM redraws it");
});

test("history entries interleave local lines after the message they followed and end with unsent messages", (t) => {
  let s = run(loggedIn(), { type: "message.received", message: msg(10, 1, 2) });
  s = run(s, { type: "notice", level: "error", text: "oops", at: 0 }, { type: "message.received", message: msg(11, 1, 2) });
  s = run(s, { type: "send.queued", clientId: "c", chatId: 1, text: "later", online: false, at: 0 });
  t.deepEqual(historyEntries(s, 1).map((e) => e.kind === "message" ? e.message.id : e.kind === "local" ? e.line.text : e.kind === "pending" ? e.pending.text : "marker"), [10, "oops", 11, "later"]);
});

test("fuzzy matching prefers starts and runs of letters", (t) => {
  t.is(fuzzyScore("xyz", "general"), null);
  t.true((fuzzyScore("gen", "general") ?? 0) > (fuzzyScore("gnl", "general") ?? 0));
  t.true((fuzzyScore("dev", "dev") ?? 0) > (fuzzyScore("dev", "ops-devel") ?? 0));
  t.is(fuzzyScore("", "anything"), 0);
});

test("the quick switcher offers open chats, people without an open DM, and rooms not joined", (t) => {
  let s = run(loggedIn(), { type: "users.loaded", users: [
    { id: 1, nick: "alice", role: "user", online: true }, { id: 2, nick: "bob", role: "user", online: true }, { id: 6, nick: "dave", role: "user", online: false },
  ] }, { type: "rooms.loaded", rooms: [{ id: 2, name: "dev", members: 2, joined: true }, { id: 8, name: "design", members: 1, joined: false }] });
  s = run(s, { type: "overlay.switcher" });
  t.deepEqual(switcherCandidates(s).map((c) => c.label), ["#general", "#dev", "bob", "dave", "#design"]);
  s = run(s, { type: "switcher.query", query: "de" });
  t.deepEqual(switcherCandidates(s).map((c) => c.kind + ":" + c.label), ["chat:#dev", "room:#design", "user:dave"]);
  s = run(s, { type: "switcher.move", delta: 5 });
  t.is(s.overlay?.kind === "switcher" ? s.overlay.selected : -1, 2, "the selection stops at the last candidate");
});

test("a read marker is due for the active chat only when the newest message is on screen", (t) => {
  let s = run(loggedIn(), { type: "message.received", message: msg(10, 1, 2) });
  t.deepEqual(pendingRead(s), { chatId: 1, messageId: 10 });
  s = run(s, { type: "read.local", chatId: 1, messageId: 10 });
  t.is(pendingRead(s), null);
  s = run(s, { type: "message.received", message: msg(11, 1, 2) }, { type: "scroll.set", chatId: 1, anchor: { id: 10, line: 0 } });
  t.is(pendingRead(s), null, "not while scrolled up");
});

test("file selection starts at the newest file line of the active chat and moves among file lines only", (t) => {
  const file = (id: number) => ({ id, chatId: 1, name: `f${id}`, size: 1, sha256: "a".repeat(64), sender: "u2", senderId: 2, createdAt: "2026-11-21T10:00:00.000Z" });
  let s = loggedIn();
  s = run(
    s,
    { type: "tab.activate", chatId: 1 },
    // A page comes newest first, as the server sends it.
    { type: "history.loaded", page: { chatId: 1, messages: [msg(12, 1, 2, "f2", { kind: "file", file: file(2) }), msg(11, 1, 2), msg(10, 1, 2, "f1", { kind: "file", file: file(1) })], hasMore: false }, direction: "latest" },
  );
  t.is(stepFileSelection(s, 0)?.id, 12, "nothing selected: the newest file");
  s = run(s, { type: "file.select", chatId: 1, messageId: 12 });
  t.is(stepFileSelection(s, -1)?.id, 10, "older skips the text message");
  s = run(s, { type: "file.select", chatId: 1, messageId: 10 });
  t.is(stepFileSelection(s, -1)?.id, 10, "stays at the oldest");
  t.is(stepFileSelection(s, 1)?.id, 12);
  t.is(stepFileSelection(run(s, { type: "tab.activate", chatId: 2 }), 0), null, "no file lines in the other chat");
});
