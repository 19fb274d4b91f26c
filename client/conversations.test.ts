// Replies, edits, deletes, reactions, search, mentions and jumps in the client core, against the
// fake connection: what is sent (one clientId through retries) and what the state becomes.
import test from "ava";
import type { MessageDto } from "../server/protocol/index.js";
import { chat, ME, msg, ready } from "../tui/state/fixtures.js";
import { createClient } from "./client.js";
import { errResult, fakePorts, fakeServer, okResult, type Handlers } from "./fake.js";

const SERVER = "http://chat.test";

async function setup(log: MessageDto[], extra: Handlers = {}) {
  const server = fakeServer({
    "users:list": () => okResult({ users: [{ ...ME, online: true }] }),
    "history:fetch": (p) => {
      if (p.around !== undefined) {
        const i = log.findIndex((m) => m.id === p.around);
        const part = log.slice(Math.max(0, i - 2), i + 3);
        return okResult({ chatId: p.chatId, messages: [...part].reverse(), hasMore: i > 2, hasNewer: i + 3 < log.length });
      }
      return okResult({ chatId: p.chatId, messages: log.slice(-5).reverse(), hasMore: log.length > 5 });
    },
    "ping:rtt": () => okResult({ serverTime: "", node: "n1" }),
    "chat:read": (p) => okResult({ chatId: p.chatId, lastReadId: p.messageId, unread: 0 }),
    ...extra,
  });
  const ports = fakePorts(server);
  const client = createClient({ server: SERVER, ports });
  await client.login("login", "alice", "secret-password");
  server.online(ready([chat(1, "general"), chat(2, "dev")], [ME]));
  await ports.clock.advance(10);
  return { server, client, ports };
}

const log = Array.from({ length: 20 }, (_, i) => msg(i + 1, 1, i % 2 ? 1 : 2));

test("a reply carries replyTo; message:updated replaces the message and refreshes quotes of it", async (t) => {
  const { server, client, ports } = await setup(log, {
    "message:send": (p) => okResult(msg(21, 1, 1, p.text, { clientId: p.clientId, replyTo: p.replyTo ? { id: p.replyTo, sender: "u2", excerpt: "m20", deleted: false } : null })),
  });
  client.send(1, "agreed", 20);
  await ports.clock.advance(10);
  t.is(server.sent("message:send")[0]?.replyTo, 20);
  const view = () => client.getState().chats[1]!;
  t.is(view().messages.at(-1)?.replyTo?.id, 20);
  server.updated({ reason: "edited", message: { ...log[19]!, text: "m20 fixed", editedAt: "2026-11-21T10:01:00.000Z" } });
  t.is(view().messages.find((m) => m.id === 20)?.text, "m20 fixed");
  t.is(view().messages.find((m) => m.id === 21)?.replyTo?.excerpt, "m20 fixed");
  server.updated({ reason: "deleted", message: { ...log[19]!, text: "", deleted: { by: "u2", at: "2026-11-21T10:02:00.000Z" } } });
  t.truthy(view().messages.find((m) => m.id === 20)?.deleted);
  t.deepEqual(view().messages.find((m) => m.id === 21)?.replyTo, { id: 20, sender: "u2", excerpt: "", deleted: true });
  // An update of a message in no window changes nothing.
  const before = client.getState();
  server.updated({ reason: "edited", message: { ...msg(3, 1, 2), text: "x" } });
  t.is(client.getState().chats[1], before.chats[1]);
});

test("an edit keeps its clientId through a transient failure and the acknowledged text replaces the old one", async (t) => {
  let calls = 0;
  const { server, client, ports } = await setup(log, {
    "message:edit": (p) => (++calls === 1 ? errResult("RATE_LIMITED", "slow down") : okResult({ ...log[18]!, text: p.text, editedAt: "2026-11-21T10:01:00.000Z" })),
  });
  const done = client.edit(19, "better");
  await ports.clock.advance(2500);
  t.true(await done);
  const sent = server.sent("message:edit");
  t.is(sent.length, 2);
  t.is(sent[0]!.clientId, sent[1]!.clientId);
  t.is(client.getState().chats[1]!.messages.find((m) => m.id === 19)?.text, "better");
});

test("a refused delete is a notice in the chat, not retried; toggleReaction takes back one's own reaction", async (t) => {
  const { server, client, ports } = await setup(log, {
    "message:delete": () => errResult("FORBIDDEN", "Only the sender or a moderator can delete a message."),
    "message:react": (p) => okResult({ ...log[19]!, reactions: p.on ? [{ emoji: "👍", count: 1, nicks: ["alice"] }] : [] }),
  });
  t.false(await client.remove(20));
  t.is(server.sent("message:delete").length, 1);
  t.true(client.getState().chats[1]!.locals.some((l) => l.level === "error" && l.text.includes("Only the sender")));
  await client.toggleReaction(20, "👍");
  t.is(server.sent("message:react")[0]?.on, true);
  await client.toggleReaction(20, "👍");
  t.is(server.sent("message:react")[1]?.on, false);
  t.deepEqual(client.getState().chats[1]!.messages.find((m) => m.id === 20)?.reactions, []);
  await ports.clock.advance(10);
});

test("search pages with before; a stale answer is dropped; jumpTo loads the window around the message", async (t) => {
  const hit = (id: number) => ({ message: log[id - 1]!, chatName: "general", marks: [[0, 1]] as [number, number][] });
  const { server, client } = await setup(log, {
    "message:search": (p) => okResult(p.before ? { hits: [hit(3)], hasMore: false } : { hits: [hit(9), hit(5)], hasMore: true }),
    "mentions:list": () => okResult({ mentions: [{ message: log[1]!, chatName: "general", read: false }], hasMore: false, unread: 1 }),
  });
  await client.search("m");
  t.deepEqual(client.getState().search?.hits.map((h) => h.message.id), [9, 5]);
  await client.search("m", true);
  t.is(server.sent("message:search")[1]?.before, 5);
  t.deepEqual(client.getState().search?.hits.map((h) => h.message.id), [9, 5, 3]);
  client.dispatch({ type: "search.started", query: "other", append: false });
  client.dispatch({ type: "search.loaded", query: "m", page: { hits: [hit(1)], hasMore: false }, append: false });
  t.is(client.getState().search?.query, "other");
  t.deepEqual(client.getState().search?.hits, []);
  t.true(await client.jumpTo(1, 5));
  const s = client.getState();
  t.deepEqual(s.jump, { chatId: 1, messageId: 5 });
  t.deepEqual(s.chats[1]!.messages.map((m) => m.id), [3, 4, 5, 6, 7]);
  t.true(s.chats[1]!.hasNewer);
  t.false(s.chats[1]!.following);
  await client.loadMentions();
  t.is(client.getState().mentions?.unread, 1);
  t.is(client.getState().mentions?.items[0]?.message.id, 2);
});
