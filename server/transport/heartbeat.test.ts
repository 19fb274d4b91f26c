// The heartbeat wheel on a real Socket.IO server over loopback, with short intervals: raw
// engine.io clients that answer pings stay, one that stops is closed for a ping timeout, another
// packet moves the deadline once, socket.io-client (plain and compressed) sees the same
// protocol, and the whole server's heartbeat is one timer that goes when its sockets do.
import { once } from "node:events";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import test, { type ExecutionContext } from "ava";
import { io as connect, type Socket as ClientSocket } from "socket.io-client";
import WebSocket from "ws";
import { createIo, heartbeatOf, type ChatServer } from "./io.js";
import { checkSocketPrototype, selfCheck } from "./heartbeat.js";
import { createRequire } from "node:module";

const INTERVAL = 200;
const TIMEOUT = 300;

type ServerConn = { id: string; readyState: string; pingIntervalTimer: unknown; on(e: "close", fn: (reason: string) => void): void };

async function serve(t: ExecutionContext, opts: { heartbeatWheel?: boolean; pingIntervalMs?: number; pingTimeoutMs?: number } = {}) {
  const http: HttpServer = createServer();
  const io: ChatServer = createIo(http, { allowedOrigins: [], pingIntervalMs: INTERVAL, pingTimeoutMs: TIMEOUT, ...opts });
  /** Why engine.io closed each connection, by its id, and when. */
  const closed = new Map<string, { reason: string; at: number }>();
  const conns = new Map<string, ServerConn>();
  io.engine.on("connection", (conn: ServerConn) => {
    conns.set(conn.id, conn);
    conn.on("close", (reason) => closed.set(conn.id, { reason, at: performance.now() }));
  });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const port = (http.address() as AddressInfo).port;
  const clients: { close(): void }[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const c of clients) c.close();
    await new Promise((r) => io.close(() => r(null)));
  };
  t.teardown(stop);
  return { io, http, port, closed, conns, clients, stop, wheel: heartbeatOf(io)! };
}

/** A raw engine.io (protocol 4) client: the wire as it is, pings seen and answered by `answer`. */
async function rawClient(port: number, clients: { close(): void }[], opts: { answer?: (n: number) => boolean; query?: string; deflate?: boolean } = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket${opts.query ?? ""}`, { perMessageDeflate: opts.deflate ?? false });
  clients.push(ws);
  const pings: number[] = [];
  let answered = 0;
  let sid = "";
  const waiters: (() => void)[] = [];
  const closedAt = new Promise<number>((resolve) => ws.once("close", () => resolve(performance.now())));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once("error", reject);
    ws.on("message", (data, binary) => {
      const text = binary ? "" : String(data);
      if (text.startsWith("0")) {
        sid = (JSON.parse(text.slice(1)) as { sid: string }).sid;
        // Into Socket.IO's main namespace, as its clients do (else Socket.IO's connect timeout runs).
        ws.send("40");
      } else if (text.startsWith("40")) {
        resolve();
      } else if (text === "2") {
        pings.push(performance.now());
        if (opts.answer?.(pings.length) ?? true) {
          ws.send("3");
          answered++;
        }
      }
      for (const w of waiters.splice(0)) w();
    });
  });
  await opened;
  /** Resolves once `cond` holds (checked on every frame received), or fails after 20 s. */
  const until = (what: string, cond: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 20_000);
      const check = () => {
        if (cond()) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  return { ws, sid, pings, answered: () => answered, closedAt, until };
}

/** Waits for `cond`, polling (for server-side state that no frame announces), at most 20 s. */
async function eventually(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

test("the engine.io heartbeat the wheel stands in for is the installed one, and the ping frame is ws's", (t) => {
  const { off, frame } = selfCheck();
  t.is(off, null);
  t.deepEqual([...frame!], [0x81, 0x01, 0x32], "one unmasked text frame holding engine.io's ping packet \"2\"");
});

test("an engine.io whose heartbeat methods differ is refused, and the server keeps engine.io's own heartbeat", (t) => {
  const here = createRequire(import.meta.url);
  const fromSio = createRequire(here.resolve("socket.io"));
  const proto = (fromSio("engine.io") as { Socket: { prototype: Record<string, unknown> } }).Socket.prototype;
  const copy: Record<string, unknown> = {};
  for (const name of ["onOpen", "schedulePing", "resetPingTimeout", "onPacket", "onClose"]) copy[name] = proto[name];
  t.is(checkSocketPrototype(copy), null, "the installed methods pass");
  t.regex(checkSocketPrototype({ ...copy, onPacket: function onPacket() {} }) ?? "", /Socket\.onPacket is not the one/);
  const { schedulePing: _, ...missing } = copy;
  t.regex(checkSocketPrototype(missing) ?? "", /has no schedulePing/);
});

test("a client that answers stays open; one that stops answering is closed for a ping timeout, a timeout after its unanswered ping", async (t) => {
  const s = await serve(t);
  t.is(s.wheel.off, null);
  const live = await rawClient(s.port, s.clients);
  const dead = await rawClient(s.port, s.clients, { answer: (n) => n <= 2 });
  const deadClosed = await dead.closedAt;
  t.is(s.closed.get(dead.sid)?.reason, "ping timeout");
  t.is(dead.pings.length, 3, "two pings answered, the third not");
  // The deadline is a timeout after the server sent the ping, which was before the client saw it.
  t.true(deadClosed - dead.pings[2]! >= TIMEOUT - s.wheel.slotMs, `closed ${Math.round(deadClosed - dead.pings[2]!)} ms after the unanswered ping`);
  // The live one answers past the dead one's whole interval + timeout, and more.
  const seen = live.pings.length;
  await live.until("five more pings", () => live.pings.length >= seen + 5);
  t.is(live.ws.readyState, WebSocket.OPEN);
  t.false(s.closed.has(live.sid), "never closed");
  t.is(live.answered(), live.pings.length);
  // engine.io's schedule: the next ping an interval after the pong, never sooner.
  for (let i = 1; i < live.pings.length; i++) t.true(live.pings[i]! - live.pings[i - 1]! >= INTERVAL - 1, `ping ${i} came ${Math.round(live.pings[i]! - live.pings[i - 1]!)} ms after the one before`);
  const stats = s.wheel.stats();
  t.true(stats.pings >= live.pings.length + dead.pings.length, "every ping was the shared frame");
  t.is(stats.fallbackPings, 0);
  t.is(stats.timeouts, 1);
});

test("another packet while a pong is awaited moves the deadline a timeout later, once", async (t) => {
  const s = await serve(t);
  let sentAt = 0;
  const client = await rawClient(s.port, s.clients, { answer: () => false });
  // Halfway through the timeout after the first ping, a noop packet instead of the pong; then another one later.
  await client.until("the first ping", () => client.pings.length >= 1);
  await new Promise((r) => setTimeout(r, TIMEOUT / 2));
  client.ws.send("6");
  sentAt = performance.now();
  setTimeout(() => client.ws.readyState === WebSocket.OPEN && client.ws.send("6"), TIMEOUT / 2).unref();
  const closedAt = await client.closedAt;
  t.is(s.closed.get(client.sid)?.reason, "ping timeout");
  t.true(closedAt - sentAt >= TIMEOUT - s.wheel.slotMs, `closed ${Math.round(closedAt - sentAt)} ms after the noop (the deadline moved to a timeout after it)`);
  t.is(client.pings.length, 1, "no second ping while the first is unanswered");
});

// Serial: ava runs serial tests before the others, so no other test's timers are counted.
test.serial("the whole server's heartbeat is one timer, off once its sockets are gone (and engine.io's is one per socket)", async (t) => {
  const N = 30;
  for (const wheelOn of [true, false]) {
    const s = await serve(t, { heartbeatWheel: wheelOn, pingIntervalMs: 60_000, pingTimeoutMs: 60_000 });
    const before = timeouts();
    const clients = await Promise.all(Array.from({ length: N }, () => rawClient(s.port, s.clients)));
    const grown = timeouts() - before;
    if (wheelOn) {
      // Not one per socket (the wheel's own is unref'd and not counted; a stray timer or two of Node's may be).
      t.true(grown < N / 3, `${grown} more timers for ${N} sockets`);
      t.is(s.wheel.size(), N);
      t.true(s.wheel.running());
      for (const c of clients) t.is(typeof (s.conns.get(c.sid)!.pingIntervalTimer as { hasRef?: unknown }).hasRef, "undefined", "no engine.io Timeout on the socket");
    } else {
      t.true(grown >= N, `engine.io: ${grown} more timers for ${N} sockets`);
      t.regex(s.wheel.off ?? "", /CHAT_HEARTBEAT_WHEEL=0/);
      t.is(s.wheel.size(), 0);
    }
    for (const c of clients) c.ws.close();
    await eventually("every socket closed on the server", () => clients.every((c) => s.closed.has(c.sid)));
    t.is(s.wheel.size(), 0);
    t.false(s.wheel.running(), "the wheel's timer is cleared");
    await s.stop();
    await eventually("the timers gone", () => timeouts() <= before);
  }
});

test("socket.io-client sees the same heartbeat, plain and compressed (engine.io's sendPacket), and io.close takes every socket off the wheel", async (t) => {
  // socket.io-client gives up on a server whose next ping is later than interval + timeout after
  // the last: a long timeout keeps a busy machine's pauses from closing it from the client side.
  const s = await serve(t, { pingTimeoutMs: 5000 });
  const url = `http://127.0.0.1:${s.port}`;
  const join = async (compress: boolean) => {
    const c: ClientSocket = connect(url, { transports: ["websocket"], reconnection: false, forceNew: true, ...(compress ? { query: { compress: "1" } } : {}) });
    s.clients.push(c);
    await once(c as never, "connect");
    let pings = 0;
    c.io.engine.on("ping", () => pings++);
    return { c, pings: () => pings };
  };
  const plain = await join(false);
  const compressed = await join(true);
  await eventually("five pings on each", () => plain.pings() >= 5 && compressed.pings() >= 5);
  t.true(plain.c.connected && compressed.c.connected);
  const stats = s.wheel.stats();
  t.true(stats.pings >= 5, "the plain socket's pings are the shared frame");
  t.true(stats.fallbackPings >= 5, "the compressed socket's go through engine.io");
  t.is(stats.timeouts, 0);
  t.is(s.wheel.size(), 2);
  await s.stop();
  t.is(s.wheel.size(), 0);
  t.false(s.wheel.running());
});
