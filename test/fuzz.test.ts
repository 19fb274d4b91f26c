// Bad input: arbitrary payloads at every event (fast-check) and malformed engine.io/Socket.IO
// packets from published CVEs, sent over raw WebSockets. The server must stay up, answer with
// stable error codes, close at most the offending socket, and keep its memory bounded.
import net from "node:net";
import v8 from "node:v8";
import vm from "node:vm";
import test from "ava";
import fc from "fast-check";
import WebSocket from "ws";
import { CLIENT_EVENTS, ERROR_CODES, type MessageDto } from "../server/protocol/index.js";
import { newUser, register, sleep, startTestServer, uuid, type TestServer } from "./helpers/harness.js";

let server: TestServer;
test.before(async () => {
  server = await startTestServer("pglite");
});
test.after.always(() => server.stop());

const KNOWN_CODES = new Set<string>(ERROR_CODES);

// Retained heap, after a full collection: garbage not yet collected is not growth.
v8.setFlagsFromString("--expose_gc");
const gc = vm.runInNewContext("gc") as () => void;
const retainedHeap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/** The server still serves: a fresh user can send and read back a message. */
async function stillServing(t: { is: (a: unknown, b: unknown, m?: string) => void }) {
  const probe = await newUser(server, "probe");
  const chatId = probe.ready.chats[0]!.id;
  const m = await probe.ok<MessageDto>("message:send", { chatId, text: "still here", clientId: uuid() });
  t.is(m.text, "still here", "the server kept serving");
  probe.close();
}

test.serial("arbitrary payloads at every event get a Result with a known code and never close the socket", async (t) => {
  const c = await newUser(server, "fz");
  const emit = c.socket as unknown as { timeout(ms: number): { emitWithAck(e: string, ...a: unknown[]): Promise<unknown> } };
  let requests = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...CLIENT_EVENTS.filter((e) => e !== "admin:shutdown")), fc.anything({ maxDepth: 3, withBigInt: false }), async (event, payload) => {
      requests++;
      const r = (await emit.timeout(30_000).emitWithAck(event, payload)) as { ok: boolean; data?: unknown; error?: { code: string; message: string } };
      if (typeof r !== "object" || r === null || typeof r.ok !== "boolean") return false;
      if (!r.ok) return KNOWN_CODES.has(r.error?.code ?? "") && r.error?.code !== "INTERNAL" && typeof r.error?.message === "string" && r.error.message.length > 0;
      return true;
    }),
    { numRuns: 400, seed: 20261121 },
  );
  // Strings of any code units, NUL and lone surrogates included, in every string field.
  await fc.assert(
    fc.asyncProperty(fc.string({ unit: "binary", maxLength: 50 }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)), maxLength: 20 }), async (a, b) => {
      for (const [event, payload] of [
        ["message:send", { chatId: 1, text: a + b, clientId: uuid() }],
        ["dm:open", { nick: b || "x" }],
        ["room:join", { name: b || "x" }],
        ["room:create", { name: a || "x" }],
        ["admin:kick", { nick: b || "x", reason: a }],
      ] as const) {
        requests++;
        const r = (await emit.timeout(30_000).emitWithAck(event, payload)) as { ok: boolean; error?: { code: string } };
        if (!r.ok && (r.error?.code === "INTERNAL" || !KNOWN_CODES.has(r.error?.code ?? ""))) return false;
      }
      return true;
    }),
    { numRuns: 150, seed: 20261122 },
  );
  t.true(c.socket.connected, "no payload closed the socket");
  t.true(requests >= 400);
  // Hand-picked shapes that have broken validators elsewhere.
  const nasty: unknown[] = [
    { __proto__: { admin: true }, chatId: 1 },
    JSON.parse('{"__proto__":{"polluted":1},"chatId":1,"text":"x","clientId":"00000000-0000-4000-8000-000000000000"}'),
    { constructor: { prototype: { x: 1 } } },
    { chatId: 1, text: "x".repeat(60_000), clientId: uuid() },
    { chatId: Number.MAX_SAFE_INTEGER + 2 },
    { chatId: -0 },
    { chatId: NaN },
    new Array(5000).fill({ chatId: 1 }),
  ];
  for (const payload of nasty) {
    for (const event of ["message:send", "history:fetch", "room:create", "chat:read"]) {
      const r = (await emit.timeout(30_000).emitWithAck(event, payload)) as { ok: boolean; error?: { code: string } };
      t.true(r.ok || KNOWN_CODES.has(r.error?.code ?? ""), `${event}: ${JSON.stringify(r).slice(0, 80)}`);
    }
  }
  t.is(({} as Record<string, unknown>)["polluted"], undefined, "no prototype pollution");
  c.close();
  await stillServing(t);
});

test.serial("memory stays bounded under a stream of arbitrary payloads", async (t) => {
  // Payloads are sampled up front: fast-check's own runner keeps its runs, which would be
  // counted as the server's memory.
  const c = await newUser(server, "mem");
  c.events.push = () => 0; // the test client keeps nothing either
  const emit = c.socket as unknown as { timeout(ms: number): { emitWithAck(e: string, ...a: unknown[]): Promise<unknown> } };
  const chatId = c.ready.chats[0]!.id;
  const payloads = fc.sample(
    fc.oneof(
      fc.tuple(fc.constantFrom(...CLIENT_EVENTS.filter((e) => e !== "admin:shutdown")), fc.anything({ maxDepth: 3, withBigInt: false })),
      fc.tuple(fc.constant("message:send"), fc.string({ unit: "binary", maxLength: 200 }).map((text) => ({ chatId, text: `${text}.`, clientId: uuid() }))),
    ),
    { numRuns: 1700, seed: 7 },
  );
  for (const [event, payload] of payloads.slice(0, 500)) await emit.timeout(30_000).emitWithAck(event, payload);
  const before = retainedHeap();
  for (const [event, payload] of payloads.slice(500)) await emit.timeout(30_000).emitWithAck(event, payload);
  const grown = (retainedHeap() - before) / 1024 / 1024;
  t.log(`retained heap grew ${grown.toFixed(1)} MiB over 1,200 requests after warm-up`);
  t.true(grown < 16, `retained heap grew ${grown.toFixed(1)} MiB`);
  c.close();
});

/** A raw engine.io v4 WebSocket, authenticated at the Socket.IO layer. */
async function rawSocket(token: string): Promise<{ ws: WebSocket; received: string[]; closed: Promise<number> }> {
  const url = `${server.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`;
  const ws = new WebSocket(url);
  const received: string[] = [];
  const closed = new Promise<number>((r) => ws.on("close", (code) => r(code)));
  ws.on("error", () => undefined);
  ws.on("message", (data) => {
    const text = String(data);
    received.push(text);
    if (text === "2") ws.send("3"); // answer pings
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  ws.send(`40${JSON.stringify({ token })}`);
  const deadline = Date.now() + 5000;
  while (!received.some((m) => m.startsWith("42[\"session:ready\"")) && Date.now() < deadline) await sleep(20);
  return { ws, received, closed };
}

// Packets modelled on published advisories: socket.io-parser CVE-2020-36049 (attachment count
// resource exhaustion), CVE-2022-2421 (placeholder type confusion), CVE-2023-32695 (invalid
// placeholder crashes the decoder); socket.io CVE-2024-38355 (reserved event names); engine.io
// CVE-2022-41940 / CVE-2022-21676 (malformed packets throwing); plus garbage framing.
const CORPUS: (string | Buffer)[] = [
  '451-["message:send",{"_placeholder":true,"num":"__proto__"}]',
  '451-["message:send",{"_placeholder":true,"num":{}}]',
  '451-["message:send",{"_placeholder":true,"num":99}]',
  '459999999-["message:send",{}]',
  '42["error",{"message":"boom"}]',
  '42["connect"]',
  '42["disconnect"]',
  '42["newListener","x"]',
  '42["disconnecting"]',
  '42["__proto__"]',
  '42[',
  '42{"a":1}',
  '42"string"',
  "42[]",
  "42[1,2,3]",
  "42[null]",
  '42["message:send",' + "[".repeat(5000) + "]".repeat(5000) + "]",
  '43999["x"]',
  "44{}",
  "40",
  '40{"token":"forged"}',
  "41",
  "4",
  "49",
  "4x",
  "",
  "5",
  "6",
  "1",
  "0",
  "9999",
  "\u0000\u0001\u0002",
  Buffer.from([0xff, 0xfe, 0x00, 0x01]),
  Buffer.alloc(70_000, 0x41),
];

test.serial("malformed engine.io and Socket.IO packets from published CVEs close at most the offending socket", async (t) => {
  const auth = await register(server.url);
  const bystander = await newUser(server, "by");
  const chatId = bystander.ready.chats[0]!.id;
  let closedCount = 0;
  for (const packet of CORPUS) {
    const raw = await rawSocket(auth.token);
    t.true(raw.received.some((m) => m.startsWith('42["session:ready"')), "the raw socket completed the handshake");
    raw.ws.send(packet);
    const outcome = await Promise.race([raw.closed.then(() => "closed"), sleep(400).then(() => "open")]);
    if (outcome === "closed") closedCount++;
    else raw.ws.close();
    const m = await bystander.ok<MessageDto>("message:send", { chatId, text: `after ${JSON.stringify(String(packet).slice(0, 20))}`, clientId: uuid() });
    t.truthy(m.id, `the server still serves after ${JSON.stringify(String(packet).slice(0, 40))}`);
  }
  t.true(bystander.socket.connected, "other sockets were never closed");
  t.log(`${closedCount} of ${CORPUS.length} packets closed their own socket`);
  bystander.close();
  await stillServing(t);
});

test.serial("an HTTP request with thousands of headers (ws CVE-2024-37890) is refused without taking the server down", async (t) => {
  const { port } = server;
  const headers = Array.from({ length: 3000 }, (_, i) => `x-h${i}: ${i}`).join("\r\n");
  const reply = await new Promise<string>((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => {
      s.write(`GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n\r\n`);
    });
    let data = "";
    s.on("data", (d) => (data += d));
    s.on("close", () => resolve(data));
    s.on("error", () => resolve(data));
    setTimeout(() => (s.destroy(), resolve(data)), 3000);
  });
  t.regex(reply, /^HTTP\/1\.1 (431|400)/);
  await stillServing(t);
});
