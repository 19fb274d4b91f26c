// The client core against a fake connection: session resume, catch-up, outbox, read markers,
// transfers with fake ports. No terminal, no network, no file system.
import test from "ava";
import type { FileDto, HistoryPage, MessageDto } from "../server/protocol/index.js";
import { chat, ME, msg, ready } from "../tui/state/fixtures.js";
import { createClient } from "./client.js";
import { errResult, fakePorts, fakeServer, hashOf, memoryFiles, memorySessions, okResult, settle, type Handlers } from "./fake.js";
import { FILE_CHUNK_BYTES } from "../server/protocol/index.js";

const SERVER = "http://chat.test";
const SESSION = ready([chat(1, "general"), chat(2, "dev")], [ME]);

/** A server with a message log per chat that answers history:fetch like the real one. */
function historyServer(log: Record<number, MessageDto[]>, extra: Handlers = {}) {
  const page = (chatId: number, p: { before?: number; after?: number; limit?: number }): HistoryPage => {
    const all = log[chatId] ?? [];
    const limit = p.limit ?? 50;
    if (p.after !== undefined) {
      const newer = all.filter((m) => m.id > p.after!);
      return { chatId, messages: newer.slice(0, limit), hasMore: newer.length > limit };
    }
    const older = all.filter((m) => p.before === undefined || m.id < p.before);
    return { chatId, messages: older.slice(-limit).reverse(), hasMore: older.length > limit };
  };
  return fakeServer({
    "users:list": () => okResult({ users: [{ ...ME, online: true }] }),
    "history:fetch": (p) => okResult(page(p.chatId, p)),
    "ping:rtt": () => okResult({ serverTime: "", node: "n1" }),
    "chat:read": (p) => okResult({ chatId: p.chatId, lastReadId: p.messageId, unread: 0 }),
    ...extra,
  });
}

async function loggedIn(server: ReturnType<typeof fakeServer>, ports = fakePorts(server)) {
  const client = createClient({ server: SERVER, ports });
  await client.login("login", "alice", "secret-password");
  server.online(SESSION);
  await ports.clock.advance(10);
  return { client, ports };
}

test("a saved session is resumed with its token; a refused one is forgotten and the form comes back with the reason", async (t) => {
  const server = fakeServer({ "users:list": () => okResult({ users: [] }) });
  const sessions = memorySessions({ [SERVER]: { nick: "alice", token: "saved-token" } });
  const client = createClient({ server: SERVER, ports: fakePorts(server, { sessions }) });
  await client.start("ALICE");
  t.deepEqual(server.tokens, ["saved-token"]);
  t.is(client.getState().screen, "chat");
  server.events.authFailed("Your session has expired. Log in again.");
  await settle();
  t.is(client.getState().screen, "login");
  t.deepEqual(sessions.saved, {});
  // Someone else's saved session is not used.
  const other = fakeServer();
  const c2 = createClient({ server: SERVER, ports: fakePorts(other, { sessions: memorySessions({ [SERVER]: { nick: "bob", token: "t" } }) }) });
  await c2.start("alice");
  t.deepEqual(other.tokens, []);
});

test("logging in saves the session and connects with the new token", async (t) => {
  const server = historyServer({});
  const ports = fakePorts(server);
  const { client } = await loggedIn(server, ports);
  t.deepEqual(ports.sessions.saved[SERVER], { nick: "alice", token: "token-alice" });
  t.deepEqual(server.tokens, ["token-alice"]);
  t.is(client.getState().me?.nick, "alice");
  t.true(client.getState().chats[1]?.loaded, "the active chat's newest page was loaded");
});

test("catch-up after a reconnect fetches what was missed from the last message seen (with overlap), in order", async (t) => {
  const log: Record<number, MessageDto[]> = { 1: [], 2: [] };
  for (let id = 1; id <= 250; id++) log[1]!.push(msg(id, 1, 2));
  const server = historyServer(log);
  const { client, ports } = await loggedIn(server);
  t.is(client.getState().chats[1]?.messages.at(-1)?.id, 250);
  server.drop();
  // Missed while offline.
  for (let id = 251; id <= 260; id++) log[1]!.push(msg(id, 1, 2));
  const before = server.sent("history:fetch").length;
  server.online(SESSION);
  await ports.clock.advance(10);
  const fetches = server.sent("history:fetch").slice(before);
  t.deepEqual(fetches[0], { chatId: 1, after: 50, limit: 200 }, "from the last id seen (250) minus the 200-id overlap");
  const ids = client.getState().chats[1]!.messages.map((m) => m.id);
  t.deepEqual(ids.slice(-11), [250, 251, 252, 253, 254, 255, 256, 257, 258, 259, 260]);
  t.is(new Set(ids).size, ids.length, "no duplicates");
  // sync:required: the server's floor wins when it is lower.
  const n = server.sent("history:fetch").length;
  server.syncRequired(100);
  await ports.clock.advance(10);
  t.like(server.sent("history:fetch")[n], { chatId: 1, after: 0 });
});

test("the outbox: lines typed offline are sent after the catch-up, in order, once; a transient failure resends the same clientId", async (t) => {
  let failNext = 1;
  const stored: { clientId: string; text: string }[] = [];
  const server = historyServer(
    { 1: [], 2: [] },
    {
      "message:send": (p) => {
        if (p.text === "flaky" && failNext-- > 0) return errResult("UNAVAILABLE", "database away");
        if (p.text === "bad") return errResult("VALIDATION_FAILED", "A message cannot be empty.");
        if (!stored.some((s) => s.clientId === p.clientId)) stored.push({ clientId: p.clientId, text: p.text });
        return okResult(msg(100 + stored.findIndex((s) => s.clientId === p.clientId), p.chatId, 1, p.text, { clientId: p.clientId }));
      },
    },
  );
  const { client, ports } = await loggedIn(server);
  server.drop();
  client.send(1, "one");
  client.send(1, "two");
  t.deepEqual(client.getState().pending.map((p) => p.state), ["queued", "queued"]);
  t.is(server.sent("message:send").length, 0, "nothing is sent while offline");
  server.online(SESSION);
  await ports.clock.advance(10);
  t.deepEqual(stored.map((s) => s.text), ["one", "two"]);
  const firstSend = server.requests.findIndex((r) => r.event === "message:send");
  const lastFetch = server.requests.map((r) => r.event).lastIndexOf("history:fetch");
  t.true(lastFetch < firstSend, "the catch-up ran before the outbox was flushed");
  t.deepEqual(client.getState().pending, []);

  client.send(1, "flaky");
  await ports.clock.advance(10);
  t.is(client.getState().pending[0]?.state, "queued", "a transient error keeps the line queued");
  await ports.clock.advance(2500);
  const sends = server.sent("message:send").filter((p) => p.text === "flaky");
  t.is(sends.length, 2);
  t.is(sends[0]!.clientId, sends[1]!.clientId, "the resend carries the same clientId, so the server keeps one copy");
  t.is(stored.filter((s) => s.text === "flaky").length, 1);

  client.send(1, "bad");
  await ports.clock.advance(10);
  t.deepEqual(client.getState().pending, []);
  t.regex(client.getState().chats[1]!.locals.at(-1)!.text, /Not sent \(A message cannot be empty\.\): bad/);
});

test("read markers: sent a moment after new messages are in view, once, and not while the chat is scrolled up", async (t) => {
  const server = historyServer({ 1: [msg(1, 1, 2)], 2: [] });
  const { client, ports } = await loggedIn(server);
  await ports.clock.advance(300);
  t.deepEqual(server.sent("chat:read"), [{ chatId: 1, messageId: 1 }]);
  client.dispatch({ type: "view.following", chatId: 1, following: false });
  server.message(msg(2, 1, 2));
  await ports.clock.advance(300);
  t.is(server.sent("chat:read").length, 1, "scrolled up: not read");
  t.is(client.getState().chats[1]?.chat.unread, 1);
  client.dispatch({ type: "view.following", chatId: 1, following: true });
  await ports.clock.advance(100);
  t.is(server.sent("chat:read").length, 1, "not before the delay");
  await ports.clock.advance(200);
  t.deepEqual(server.sent("chat:read").at(-1), { chatId: 1, messageId: 2 });
  t.is(client.getState().chats[1]?.chat.unread, 0);
});

function fileServer(content: Uint8Array, opts: { corrupt?: boolean } = {}) {
  const received: Uint8Array[] = [];
  const file: FileDto = { id: 7, chatId: 1, name: "notes.bin", size: content.byteLength, sha256: hashOf(content), sender: "alice", senderId: 1, createdAt: "2026-12-02T00:00:00.000Z" };
  let have = 0;
  const server = historyServer(
    { 1: [], 2: [] },
    {
      "file:begin": (p) => okResult({ file: { ...file, name: p.name, size: p.size, sha256: p.sha256 }, received: have, chunkSize: FILE_CHUNK_BYTES, complete: false }),
      "file:chunk": (p) => {
        received.push(p.data as Uint8Array);
        have = p.offset + (p.data as Uint8Array).byteLength;
        return okResult({ fileId: p.fileId, received: have });
      },
      "file:complete": () => okResult({ file, message: msg(50, 1, 1, "", { kind: "file" }) }),
      "file:info": () => okResult(file),
      "file:read": (p) => {
        const data = content.slice(p.offset, p.offset + FILE_CHUNK_BYTES);
        if (opts.corrupt && p.offset === 0 && data.length) data[0] = data[0]! ^ 0xff;
        return okResult({ fileId: file.id, offset: p.offset, data, eof: p.offset + data.byteLength >= content.byteLength });
      },
      "file:cancel": (p) => okResult({ fileId: p.fileId }),
    },
  );
  return { server, received, file };
}

test("transfers through the ports: an upload sends every chunk in order; a download commits only bytes whose hash matches", async (t) => {
  const content = new Uint8Array(FILE_CHUNK_BYTES * 2 + 5).map((_, i) => i % 251);
  const { server, received } = fileServer(content);
  const files = memoryFiles({ "/home/a/notes.bin": content });
  const ports = fakePorts(server, { files: files.ports });
  const { client } = await loggedIn(server, ports);
  await client.sendFile(1, "/home/a/notes.bin");
  t.deepEqual(received.map((c) => c.byteLength), [FILE_CHUNK_BYTES, FILE_CHUNK_BYTES, 5]);
  t.regex(client.getState().chats[1]!.locals.at(-1)!.text, /Sent notes\.bin .* as file #7/);
  t.is(client.getState().transfers[0]?.state, "done");

  await client.download(7, "/tmp/in", 1);
  t.deepEqual(files.written["/tmp/in/notes.bin"], content);
  t.regex(client.getState().chats[1]!.locals.at(-1)!.text, /Saved notes\.bin .*SHA-256 checked/);

  const bad = fileServer(content, { corrupt: true });
  const badFiles = memoryFiles();
  const c2 = (await loggedIn(bad.server, fakePorts(bad.server, { files: badFiles.ports }))).client;
  await c2.download(7, "/tmp/in", 1);
  t.deepEqual(badFiles.written, {}, "nothing is committed");
  t.deepEqual(badFiles.discarded, ["/tmp/in/notes.bin"]);
  t.regex(c2.getState().chats[1]!.locals.at(-1)!.text, /failed: .*different SHA-256/);
});

test("a cancelled upload is cancelled on the server too, and a missing local file is explained", async (t) => {
  const content = new Uint8Array(FILE_CHUNK_BYTES * 3);
  const { server } = fileServer(content);
  const files = memoryFiles({ "/f.bin": content });
  const ports = fakePorts(server, { files: files.ports });
  const { client } = await loggedIn(server, ports);
  // Cancel when the first chunk goes out.
  const chunk = server.handlers["file:chunk"]!;
  server.handlers["file:chunk"] = (p) => {
    client.cancelTransfer();
    return chunk(p);
  };
  await client.sendFile(1, "/f.bin");
  t.is(server.sent("file:chunk").length, 1);
  t.deepEqual(server.sent("file:cancel"), [{ fileId: 7 }]);
  t.is(client.getState().transfers[0]?.state, "cancelled");
  await client.sendFile(1, "/missing.bin");
  t.regex(client.getState().chats[1]!.locals.at(-1)!.text, /Upload of missing\.bin failed: no such file/);
  t.false(client.cancelTransfer(), "nothing runs any more");
});

test("two clients in one process share nothing", async (t) => {
  const a = fakeServer({ "users:list": () => okResult({ users: [] }), "history:fetch": (p) => okResult({ chatId: p.chatId, messages: [], hasMore: false }) });
  const b = fakeServer({ "users:list": () => okResult({ users: [] }), "history:fetch": (p) => okResult({ chatId: p.chatId, messages: [], hasMore: false }) });
  const ca = (await loggedIn(a)).client;
  const cb = createClient({ server: SERVER, ports: fakePorts(b) });
  a.message(msg(5, 1, 2));
  t.is(ca.getState().chats[1]?.messages.length, 1);
  t.is(cb.getState().screen, "login");
  t.deepEqual(cb.getState().chats, {});
});
