// Protocol 2's compact message frame end to end: a v2 socket gets `m` decoded to the DTO a v1
// socket gets as message:new, in one room with both; the acknowledged sending socket gets no
// copy (its other devices do); opt-in compression; and the same across two nodes via Redis.
import test, { type ExecutionContext } from "ava";
import WebSocket from "ws";
import { io as connectSocket } from "socket.io-client";
import { COMPACT_MESSAGE, decodeMessage, type AuthResponse, type CompactMessage, type MessageDto, type SessionReady } from "../server/protocol/index.js";
import { Client, DATABASE_URL, freshPostgresDatabase, nick, REDIS_URL, redisNamespace, register, startTestServer, uuid, type TestServer } from "./helpers/harness.js";

async function join(t: ExecutionContext, url: string, auth: AuthResponse, protocol: 1 | 2, query?: Record<string, string>): Promise<Client> {
  const socket = connectSocket(url, { transports: ["websocket"], auth: protocol === 2 ? { token: auth.token, protocol } : { token: auth.token }, reconnection: false, forceNew: true, ...(query ? { query } : {}) });
  const client = new Client(socket, auth);
  t.teardown(() => client.close());
  client.ready = await new Promise<SessionReady>((resolve, reject) => {
    socket.once("session:ready", resolve);
    socket.once("connect_error", reject);
    setTimeout(() => reject(new Error("no session:ready within 20 s")), 20_000);
  });
  return client;
}

const general = (c: Client) => c.ready.chats.find((ch) => ch.name === "general")!.id;
const compactOf = (c: Client, id: number) => c.next<CompactMessage>(COMPACT_MESSAGE, (f) => f[0] === id, 10_000);
const fullOf = (c: Client, id: number) => c.next<MessageDto>("message:new", (m) => m.id === id, 10_000);

let srv: TestServer;
test.before(async () => {
  srv = await startTestServer("pglite");
});
test.after.always(async () => srv?.stop());

test.serial("a mixed room: v1 sockets get message:new, v2 sockets the compact frame decoding to the same message; the sending v2 socket only its ack", async (t) => {
  const [alice, bob, carol] = await Promise.all([register(srv.url, nick("wa")), register(srv.url, nick("wb")), register(srv.url, nick("wc"))]);
  const a1 = await join(t, srv.url, alice, 2);
  const a2 = await join(t, srv.url, alice, 2);
  const a3 = await join(t, srv.url, alice, 1);
  const b2 = await join(t, srv.url, bob, 2);
  const c1 = await join(t, srv.url, carol, 1);
  const chatId = general(a1);

  const text = "hello everyone, the release notes are in the wiki; see you at 3";
  const sent = await a1.ok<MessageDto>("message:send", { chatId, text, clientId: uuid() });
  const v1 = await fullOf(c1, sent.id);
  t.deepEqual(sent, v1, "the ack carries the message as protocol 1 delivers it");
  const frame = await compactOf(b2, sent.id);
  t.is(frame.length, 6, "a plain text message has no extras");
  t.deepEqual(decodeMessage(frame), { ...v1, clientId: "" }, "decoded: message:new's DTO without the clientId");
  t.deepEqual(await compactOf(a2, sent.id), frame, "the sender's other v2 device gets its copy");
  t.deepEqual(await fullOf(a3, sent.id), v1, "the sender's v1 device gets message:new as before");

  // A reply (an extra field) from a v1 sender: v2 gets it with the seventh element.
  const reply = await c1.ok<MessageDto>("message:send", { chatId, text: "thanks", clientId: uuid(), replyTo: sent.id });
  const replyFrame = await compactOf(b2, reply.id);
  t.is(replyFrame.length, 7);
  t.deepEqual(decodeMessage(replyFrame), { ...(await fullOf(a3, reply.id)), clientId: "" });
  t.truthy(decodeMessage(replyFrame)!.replyTo);
  // a1 gets later messages in order on its socket: had its own copy been sent, it would be here by now.
  await compactOf(a1, reply.id);
  t.is(a1.received(COMPACT_MESSAGE, (f: CompactMessage) => f[0] === sent.id).length, 0, "no copy to the socket that has the ack");
  t.deepEqual(await fullOf(c1, reply.id), reply, "a v1 sender still gets its own copy");

  for (const v2 of [a1, a2, b2]) t.is(v2.received("message:new").length, 0, "v2 sockets get no message:new");
  for (const v1c of [a3, c1]) t.is(v1c.received(COMPACT_MESSAGE).length, 0, "v1 sockets get no compact frames");
});

test.serial("direct messages reach both people's devices in their protocol; an unacknowledged send still gets its copy", async (t) => {
  const [alice, bob] = await Promise.all([register(srv.url, nick("wd")), register(srv.url, nick("we"))]);
  const a2 = await join(t, srv.url, alice, 2);
  const b1 = await join(t, srv.url, bob, 1);
  const b2 = await join(t, srv.url, bob, 2);
  const dm = await a2.ok<{ id: number }>("dm:open", { nick: bob.user.nick });
  const m = await a2.ok<MessageDto>("message:send", { chatId: dm.id, text: "psst", clientId: uuid() });
  t.deepEqual(decodeMessage(await compactOf(b2, m.id)), { ...(await fullOf(b1, m.id)), clientId: "" });
  // Without an ack callback nothing answers the socket: it gets the frame like everyone else.
  (a2.socket as unknown as { emit(e: string, p: unknown): void }).emit("message:send", { chatId: dm.id, text: "no ack", clientId: uuid() });
  const unacked = await a2.next<CompactMessage>(COMPACT_MESSAGE, (f) => f[4] === "no ack", 10_000);
  t.is(decodeMessage(unacked)!.text, "no ack");
});

test.serial("compression is negotiated only for a handshake URL with compress=1, and a compressed v2 socket decodes as any other", async (t) => {
  const extensions = (query: string) =>
    new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`${srv.url.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket${query}`, { perMessageDeflate: true });
      ws.once("open", () => {
        resolve(ws.extensions);
        ws.terminate();
      });
      ws.once("error", reject);
    });
  t.regex(await extensions("&compress=1"), /permessage-deflate/);
  t.is(await extensions(""), "", "an offer without compress=1 is not taken up (browsers offer it by default)");

  const [alice, bob] = await Promise.all([register(srv.url, nick("wf")), register(srv.url, nick("wg"))]);
  const a = await join(t, srv.url, alice, 2);
  const b = await join(t, srv.url, bob, 2, { compress: "1" });
  const plain = await join(t, srv.url, bob, 1);
  const m = await a.ok<MessageDto>("message:send", { chatId: general(a), text: "squeezed ".repeat(20), clientId: uuid() });
  t.deepEqual(decodeMessage(await compactOf(b, m.id)), { ...(await fullOf(plain, m.id)), clientId: "" });
});

const clusterReady = Boolean(REDIS_URL && DATABASE_URL);
(clusterReady ? test.serial : test.skip)(`two nodes via Redis: each node sends v1 and v2 frames to its own sockets${clusterReady ? "" : " (skipped: REDIS_URL or DATABASE_URL not set)"}`, async (t) => {
  const db = await freshPostgresDatabase();
  t.teardown(() => db.drop());
  const shared = { databaseUrl: db.url, redisUrl: REDIS_URL, redisPrefix: redisNamespace() };
  const n1 = await startTestServer("pglite", shared);
  t.teardown(() => n1.stop());
  const n2 = await startTestServer("pglite", shared);
  t.teardown(() => n2.stop());
  const [alice, bob, carol] = [await register(n1.url, nick("wh")), await register(n2.url, nick("wi")), await register(n2.url, nick("wj"))];
  const a = await join(t, n1.url, alice, 2);
  const aOther = await join(t, n2.url, alice, 2);
  const b2 = await join(t, n2.url, bob, 2);
  const c1 = await join(t, n2.url, carol, 1);
  const c1here = await join(t, n1.url, carol, 1);
  const m = await a.ok<MessageDto>("message:send", { chatId: general(a), text: "across nodes", clientId: uuid() });
  const v1 = await fullOf(c1, m.id);
  t.deepEqual(v1, m);
  t.deepEqual(await fullOf(c1here, m.id), m);
  t.deepEqual(decodeMessage(await compactOf(b2, m.id)), { ...m, clientId: "" });
  t.deepEqual(decodeMessage(await compactOf(aOther, m.id)), { ...m, clientId: "" }, "the sender's device on the other node gets its copy");
  const back = await b2.ok<MessageDto>("message:send", { chatId: general(a), text: "and back", clientId: uuid() });
  await compactOf(a, back.id);
  t.is(a.received(COMPACT_MESSAGE, (f: CompactMessage) => f[0] === m.id).length, 0, "no copy to the sending socket");
  for (const v2 of [a, aOther, b2]) t.is(v2.received("message:new").length, 0);
  for (const v1c of [c1, c1here]) t.is(v1c.received(COMPACT_MESSAGE).length, 0);
});
