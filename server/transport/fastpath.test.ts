// The broadcast fast path on a real Socket.IO server over loopback: every member gets every
// broadcast in order with direct emits and acks in between; compressed and polling sockets and a
// socket with packets queued in engine.io take engine.io's path and are not overtaken.
import { EventEmitter, once } from "node:events";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo, Socket as NetSocket } from "node:net";
import test, { type ExecutionContext } from "ava";
import { io as connect, type Socket as ClientSocket } from "socket.io-client";
import { createIo, fastPathOf, type ChatServer } from "./io.js";
import { broadcastFastPath, eligibleSocket, selfCheck, type EngineConn } from "./fastpath.js";


async function serve(t: ExecutionContext, opts: { transports?: ("websocket" | "polling")[]; broadcastFastPath?: boolean } = {}) {
  const http: HttpServer = createServer();
  const io: ChatServer = createIo(http, { allowedOrigins: [], ...opts });
  /** A broadcast to room "r" (the untyped event "n"). */
  const all = (x: unknown) => (io as unknown as { to(room: string): { emit(event: string, x: unknown): boolean } }).to("r").emit("n", x);
  io.on("connection", (socket) => void socket.join("r"));
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const clients: ClientSocket[] = [];
  t.teardown(async () => {
    for (const c of clients) c.close();
    await new Promise((r) => io.close(() => r(null)));
  });
  const join = async (o: { compress?: boolean; polling?: boolean } = {}) => {
    const c = connect(url, {
      transports: o.polling ? ["polling"] : ["websocket"], upgrade: false, reconnection: false, forceNew: true,
      ...(o.compress ? { query: { compress: "1" } } : {}),
    });
    clients.push(c);
    const got: unknown[] = [];
    c.on("n", (x: unknown) => got.push(x));
    await once(c as unknown as EventEmitter, "connect");
    // The server socket has joined "r" once a round trip has been answered.
    await c.timeout(5000).emitWithAck("sync");
    const server = io.of("/").sockets.get(c.id!)!;
    const direct = (x: unknown) => (server as unknown as { emit(event: string, x: unknown): void }).emit("n", x);
    return { c, got, server, direct };
  };
  io.on("connection", (socket) => socket.on("sync" as never, (ack: () => void) => ack()));
  const stats = () => fastPathOf(io)!.stats();
  return { io, all, join, stats };
}

const until = async (cond: () => boolean, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

test("the internals the fast path reads look as it expects (socket.io 4.8, engine.io 6.6, ws 8)", (t) => {
  t.is(selfCheck(), null);
});

test("a socket is eligible only when open, idle, uncompressed and on a writable websocket", (t) => {
  const raw = { destroyed: false, writable: true } as NetSocket;
  const make = () => ({
    readyState: "open", upgrading: false, writeBuffer: [] as unknown[],
    transport: { name: "websocket", writable: true, perMessageDeflate: null as unknown, socket: { readyState: 1, _sender: { _state: 0, _queue: [] as unknown[], _bufferedBytes: 0, _extensions: {} as Record<string, unknown>, _socket: raw } } },
  });
  t.is(eligibleSocket(make()), raw);
  const cases: [string, (c: ReturnType<typeof make>) => void][] = [
    ["engine.io socket closing", (c) => (c.readyState = "closing")],
    ["upgrading", (c) => (c.upgrading = true)],
    ["a packet queued in engine.io", (c) => c.writeBuffer.push({})],
    ["polling", (c) => (c.transport.name = "polling")],
    ["a write in flight (transport not writable)", (c) => (c.transport.writable = false)],
    ["permessage-deflate on the transport", (c) => (c.transport.perMessageDeflate = { threshold: 32 })],
    ["ws closing", (c) => (c.transport.socket.readyState = 2)],
    ["ws Sender deflating", (c) => (c.transport.socket._sender._state = 1)],
    ["ws Sender with queued frames", (c) => c.transport.socket._sender._queue.push([])],
    ["ws Sender with buffered bytes", (c) => (c.transport.socket._sender._bufferedBytes = 10)],
    ["permessage-deflate negotiated in ws", (c) => (c.transport.socket._sender._extensions["permessage-deflate"] = {})],
    ["TCP socket destroyed", (c) => (c.transport.socket._sender._socket = { destroyed: true, writable: false } as NetSocket)],
    ["an unknown shape (no writeBuffer)", (c) => delete (c as Partial<ReturnType<typeof make>>).writeBuffer],
  ];
  for (const [what, change] of cases) {
    const c = make();
    change(c);
    t.is(eligibleSocket(c as EngineConn), null, what);
  }
});

test("turned off, every broadcast takes engine.io's path", async (t) => {
  const s = await serve(t, { broadcastFastPath: false });
  t.truthy(fastPathOf(s.io)!.off);
  const a = await s.join();
  for (let i = 0; i < 5; i++) s.all(i);
  await until(() => a.got.length === 5, "5 broadcasts");
  t.deepEqual(a.got, [0, 1, 2, 3, 4]);
  t.deepEqual(s.stats(), { fast: 0, fallback: 0 });
  // The coalescer's cork is what the fast path writes under; attach is a no-op when off.
  const off = broadcastFastPath({ cork: () => t.fail() }, { enabled: false });
  class Client {
    conn = {};
    writeToEngine() {}
  }
  const client = new Client();
  off.attach(client);
  t.false(Object.prototype.hasOwnProperty.call(client, "writeToEngine"));
});

test("every member gets every broadcast in order, with direct emits and acks in between, in one turn and across turns", async (t) => {
  const s = await serve(t);
  t.is(fastPathOf(s.io)!.off, null);
  const members = await Promise.all([s.join(), s.join(), s.join(), s.join({ compress: true })]);
  t.true(String((members[3].server.conn.transport as unknown as { socket: { extensions: string } }).socket.extensions).includes("permessage-deflate"), "the compressed socket negotiated deflate");
  const [first] = members;
  // first asks for a run; the server broadcasts, emits to each socket directly in between and acks at the end.
  (first.server as unknown as EventEmitter).on("run", (ack: (x: string) => void) => {
    void (async () => {
      // Six turns of ten broadcasts, a direct emit to every socket after the sixth of each turn:
      // behind it a socket has a write in flight, and it takes engine.io's path (which keeps it busy)
      // until a turn passes with nothing for it.
      for (let i = 0; i < 60; i++) {
        s.all(i);
        if (i % 10 === 5) for (const m of members) m.direct(`d${i}`);
        if (i % 10 === 9) await new Promise((r) => setImmediate(r));
      }
      ack("done");
    })();
  });
  const before = s.stats();
  const acked = first.c.timeout(10_000).emitWithAck("run").then((x: string) => (first.got.push(`ack:${x}`), x));
  const expected: unknown[] = [];
  for (let i = 0; i < 60; i++) {
    expected.push(i);
    if (i % 10 === 5) expected.push(`d${i}`);
  }
  t.is(await acked, "done");
  for (const m of members) await until(() => m.got.length >= expected.length, "every delivery");
  t.deepEqual(first.got, [...expected, "ack:done"], "the ack comes after every broadcast sent before it");
  for (const m of members.slice(1)) t.deepEqual(m.got, expected);
  const after = s.stats();
  const fast = after.fast - before.fast;
  const fallback = after.fallback - before.fallback;
  t.is(fast + fallback, 4 * 60, "every delivery counted once");
  // At least the first six of the first turn for each plain socket (all were idle).
  t.true(fast >= 3 * 6, `the plain sockets took the fast path up to the direct emit (${fast})`);
  // The compressed socket's 60, plus the plain sockets' broadcasts behind a direct emit.
  t.true(fallback >= 60 + 3 * 4, `the compressed socket and sockets with a write in flight took engine.io's path (${fallback})`);
  t.log(`fast ${fast}, engine.io ${fallback}`);
});

test("a compressed socket and a polling socket get broadcasts through engine.io's path; a websocket in the same room the fast path", async (t) => {
  const s = await serve(t, { transports: ["polling", "websocket"] });
  const zipped = await s.join({ compress: true });
  const polling = await s.join({ polling: true });
  t.is(polling.server.conn.transport.name, "polling");
  const plain = await s.join();
  const before = s.stats();
  for (let i = 0; i < 5; i++) s.all(i);
  for (const m of [zipped, polling, plain]) await until(() => m.got.length === 5, "5 broadcasts");
  for (const m of [zipped, polling, plain]) t.deepEqual(m.got, [0, 1, 2, 3, 4]);
  const after = s.stats();
  t.is(after.fast - before.fast, 5, "the websocket's 5");
  t.is(after.fallback - before.fallback, 10, "the compressed and the polling socket's 5 each");
});

test("a socket with packets queued in engine.io is not overtaken by a broadcast", async (t) => {
  const s = await serve(t);
  const a = await s.join();
  const b = await s.join();
  const before = s.stats();
  // "a1" is written (the transport is busy until its write completes), "a2" waits in engine.io's writeBuffer.
  a.direct("a1");
  a.direct("a2");
  t.is((a.server.conn as unknown as EngineConn).writeBuffer?.length, 1, "a2 is queued in engine.io");
  s.all("all");
  t.deepEqual(s.stats(), { fast: before.fast + 1, fallback: before.fallback + 1 }, "b took the fast path, a engine.io's");
  await until(() => a.got.length === 3 && b.got.length === 1, "the deliveries");
  t.deepEqual(a.got, ["a1", "a2", "all"]);
  t.deepEqual(b.got, ["all"]);
  // Once a's writes completed, it is eligible again.
  await until(() => eligibleSocket(a.server.conn as unknown as EngineConn) !== null, "a idle");
  s.all("again");
  t.is(s.stats().fast, before.fast + 3);
  await until(() => a.got.length === 4, "again");
  t.is(a.got[3], "again");
});
