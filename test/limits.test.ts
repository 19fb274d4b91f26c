// Limits that count the right thing: messages per account across sockets and reconnects,
// bursts queued instead of punished, handshakes per address, logins that cannot be starved,
// X-Forwarded-For read from the proxy's end, and the audit log.
import type { IncomingMessage } from "node:http";
import { Writable } from "node:stream";
import test, { type ExecutionContext } from "ava";
import { createClient } from "redis";
import { io as ioClient } from "socket.io-client";
import { resolveConfig } from "../server/config.js";
import { createLogger } from "../server/log.js";
import { startServer } from "../server/main.js";
import type { AuthResponse, ChatDto, MessageDto } from "../server/protocol/index.js";
import { clientAddress } from "../server/transport/io.js";
import {
  api, BACKENDS, connect, DATABASE_URL, freshPostgresDatabase, nick, REDIS_URL, register, sleep, startTestServer, TEST_LIMITS, uuid,
  type Backend, type Client, type TestServer,
} from "./helpers/harness.js";

const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? "OK" : r.error?.code);

/** A private room of the client's own, so its history holds only what the test sent. */
async function ownRoom(c: Client): Promise<number> {
  return (await c.ok<ChatDto>("room:create", { name: `lim${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`, private: true })).id;
}

async function stored(server: TestServer, c: Client, chatId: number): Promise<MessageDto[]> {
  const reader = await connect(server.url, c.auth);
  const page = await reader.ok<{ messages: MessageDto[] }>("history:fetch", { chatId, limit: 100 });
  reader.close();
  return page.messages.filter((m) => m.kind === "text").sort((a, b) => a.id - b.id);
}

/** Waits until `check` holds, polling; fails after `ms`. */
async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

for (const backend of BACKENDS as Backend[]) {
  const it = (title: string, fn: (t: ExecutionContext) => Promise<void>) => test.serial(`${backend}: ${title}`, fn);

  it("the message limit counts the account: ten sockets reconnecting whenever refused store no more than the limit", async (t) => {
    const server = await startTestServer(backend, { limits: { ...TEST_LIMITS, messages: { points: 10, windowSec: 60 }, messageQueue: { messages: 0, bytes: 0 } } });
    t.teardown(() => server.stop());
    const owner = await connect(server.url, await register(server.url, nick("pa")));
    const chatId = await ownRoom(owner);
    let refused = 0;
    // Three rounds of ten fresh sockets, each sending until refused, then reconnecting.
    for (let round = 0; round < 3; round++) {
      const sockets = await Promise.all(Array.from({ length: 10 }, () => connect(server.url, owner.auth)));
      await Promise.all(sockets.map(async (s, i) => {
        for (let n = 0; n < 5; n++) {
          const r = await s.request("message:send", { chatId, text: `r${round} s${i} n${n}`, clientId: uuid() });
          if (!r.ok) {
            t.is(code(r), "RATE_LIMITED");
            refused++;
            break;
          }
        }
      }));
      for (const s of sockets) s.close();
    }
    t.is((await stored(server, owner, chatId)).length, 10, "10 messages per window for the account, however many sockets");
    t.true(refused >= 20);
    owner.close();
  });

  it("a 60-message burst is queued, not refused: every ack is ok, all are stored in order, the socket stays", async (t) => {
    const server = await startTestServer(backend, { limits: { ...TEST_LIMITS, messages: { points: 20, windowSec: 2 }, messageQueue: { messages: 40, bytes: 256 * 1024 }, strikes: 3 } });
    t.teardown(() => server.stop());
    const c = await connect(server.url, await register(server.url, nick("bu")));
    const chatId = await ownRoom(c);
    const started = Date.now();
    const texts = Array.from({ length: 60 }, (_, i) => `paste line ${i}`);
    const acks = await Promise.all(texts.map((text) => c.request("message:send", { chatId, text, clientId: uuid() })));
    t.deepEqual(acks.map(code), texts.map(() => "OK"));
    t.true(Date.now() - started >= 3000, "the last 40 waited for two more windows (fake lag)");
    t.true(c.socket.connected, "not disconnected");
    t.is(c.received("notice", (n: { code?: string }) => n.code === "RATE_LIMITED").length, 0);
    const ids = acks.map((a) => (a.ok ? (a.data as MessageDto).id : 0));
    // The first 20 had points and ran at once (concurrently, as any sends do); the 40 queued
    // after them are stored one after another in the order they were sent.
    const queued = ids.slice(20);
    t.deepEqual(queued, [...queued].sort((a, b) => a - b), "queued messages stored in sending order");
    t.true(Math.min(...queued) > Math.max(...ids.slice(0, 20)));
    t.deepEqual((await stored(server, c, chatId)).map((m) => m.text).sort(), [...texts].sort());
    c.close();
  });

  it("past the queue a send is refused with a retry hint; a socket that keeps overflowing is disconnected and its queued sends dropped", async (t) => {
    const server = await startTestServer(backend, { limits: { ...TEST_LIMITS, messages: { points: 5, windowSec: 3 }, messageQueue: { messages: 5, bytes: 256 * 1024 }, strikes: 4 } });
    t.teardown(() => server.stop());
    const c = await connect(server.url, await register(server.url, nick("ov")));
    const chatId = await ownRoom(c);
    const send = (i: number) => c.request("message:send", { chatId, text: `m${i}`, clientId: uuid() }).catch(() => ({ ok: false as const, error: { code: "NO_ACK", message: "" } }));
    const first = Array.from({ length: 12 }, (_, i) => send(i));
    // 0-4 have points, 5-9 wait in the queue, 10 and 11 are refused at once.
    const early = await Promise.all(first.slice(0, 5).concat(first.slice(10)));
    t.deepEqual(early.map(code), ["OK", "OK", "OK", "OK", "OK", "RATE_LIMITED", "RATE_LIMITED"]);
    const refusal = early[5]!;
    t.regex(refusal.ok ? "" : refusal.error.message, /too fast \(5 are already waiting to be sent\); wait \d+ s\./);
    t.true(c.socket.connected, "two refusals are not abuse");
    const gone = new Promise((r) => c.socket.once("disconnect", r));
    void send(12);
    void send(13);
    await gone;
    t.truthy(c.received("notice", (n: { code?: string }) => n.code === "RATE_LIMITED").length, "told why before the disconnect");
    await sleep(3500);
    t.deepEqual((await stored(server, c, chatId)).map((m) => m.text).sort(), ["m0", "m1", "m2", "m3", "m4"], "the disconnected socket's queued sends were not stored");
  });

  it("40 concurrent wrong passwords for one account are hashed at most 10 times (the point is reserved before hashing)", async (t) => {
    const server = await startTestServer(backend);
    t.teardown(() => server.stop());
    const auth = await register(server.url, nick("cw"), "the-right-password");
    const before = server.hasher.stats().hashed;
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => api(server.url, "/api/v1/login", { nick: auth.user.nick, password: `guess-${i}` })));
    const statuses = results.map((r) => r.status).sort();
    t.is(statuses.filter((s) => s === 401).length, 10);
    t.is(statuses.filter((s) => s === 429).length, 30);
    t.is(server.hasher.stats().hashed - before, 10);
  });
}

(REDIS_URL && DATABASE_URL ? test.serial : test.skip)(`the message limit holds for an account across nodes that share Redis${REDIS_URL && DATABASE_URL ? "" : " (skipped: needs REDIS_URL and DATABASE_URL)"}`, async (t) => {
  const db = await freshPostgresDatabase();
  t.teardown(() => db.drop());
  const config = resolveConfig({ port: 0, host: "127.0.0.1", databaseUrl: db.url, redisUrl: REDIS_URL, scryptLogN: 10, limits: { ...TEST_LIMITS, messages: { points: 10, windowSec: 60 }, messageQueue: { messages: 0, bytes: 0 } } }, {});
  const a = await startServer(config, createLogger("silent"));
  t.teardown(() => a.close());
  const b = await startServer(config, createLogger("silent"));
  t.teardown(() => b.close());
  const auth = await register(a.url, nick("cl"));
  // Counters are keyed by user id, and a fresh database hands out the ids an earlier run used:
  // start this account's count from nothing.
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  await redis.del(`chat:message:${auth.user.id}`);
  await redis.quit();
  const onA = await connect(a.url, auth);
  const chatId = (await onA.ok<ChatDto>("room:create", { name: `cl${Date.now().toString(36)}`, private: true })).id;
  const onB = await connect(b.url, auth);
  let ok = 0;
  for (let i = 0; i < 15; i++) {
    for (const c of [onA, onB]) if ((await c.request("message:send", { chatId, text: `n${i}`, clientId: uuid() })).ok) ok++;
  }
  // Each node alone would allow 10; together they share the account's 10 (fewer only if
  // another process on this Redis happened to spend points under the same user id).
  t.true(ok <= 10, `${ok} stored across two nodes`);
  t.true(ok >= 1);
  onA.close();
  onB.close();
});

test.serial("handshakes are limited per client address (the proxy-appended one)", async (t) => {
  const server = await startTestServer("pglite", { trustProxy: true, limits: { ...TEST_LIMITS, handshakesPerAddress: { points: 3, windowSec: 60 } } });
  t.teardown(() => server.stop());
  const auth = await register(server.url);
  const attempt = (forwarded: string) =>
    new Promise<string>((resolve) => {
      const s = ioClient(server.url, { transports: ["websocket"], auth: { token: auth.token }, reconnection: false, forceNew: true, extraHeaders: { "x-forwarded-for": forwarded } });
      s.once("connect", () => (s.disconnect(), resolve("connected")));
      s.once("connect_error", (e: Error & { data?: { code: string; message: string } }) => (s.disconnect(), resolve(`${e.data?.code}: ${e.data?.message}`)));
    });
  const outcomes = [];
  for (let i = 0; i < 4; i++) outcomes.push(await attempt(`10.9.9.${i}, 198.51.100.20`));
  t.deepEqual(outcomes.slice(0, 3), ["connected", "connected", "connected"]);
  t.regex(outcomes[3]!, /^RATE_LIMITED: Too many connection attempts from your address; try again in \d+ s\.$/, "a new leftmost entry is not a new address");
  t.is(await attempt("198.51.100.21"), "connected", "another address has its own count");
});

test("clientAddress takes the entry the trusted proxy appended, counting hops from the right", (t) => {
  const req = (xff: string | undefined, peer = "10.0.0.1") => ({ headers: xff === undefined ? {} : { "x-forwarded-for": xff }, socket: { remoteAddress: peer } }) as unknown as IncomingMessage;
  t.is(clientAddress(req("6.6.6.6, 203.0.113.9"), true), "203.0.113.9", "the client wrote 6.6.6.6; nginx/HAProxy appended 203.0.113.9");
  t.is(clientAddress(req("203.0.113.9"), true), "203.0.113.9");
  t.is(clientAddress(req("6.6.6.6, 203.0.113.9, 10.1.1.1"), 2), "203.0.113.9", "two proxies: the outer one's entry");
  t.is(clientAddress(req("203.0.113.9"), 2), "203.0.113.9", "fewer entries than proxies: the farthest one");
  t.is(clientAddress(req("6.6.6.6"), false), "10.0.0.1", "not trusted: the TCP peer");
  t.is(clientAddress(req(undefined), true), "10.0.0.1");
  t.is(clientAddress(req(" , "), true), "10.0.0.1");
});

test.serial("with --trust-proxy a client cannot pick its own address by writing X-Forwarded-For", async (t) => {
  const server = await startTestServer("pglite", { trustProxy: true, limits: { ...TEST_LIMITS, registrationsPerAddress: { points: 2, windowSec: 60 } } });
  t.teardown(() => server.stop());
  const reg = (xff: string) => api(server.url, "/api/v1/register", { nick: nick("xf"), password: "password-1" }, { "x-forwarded-for": xff }).then((r) => r.status);
  // The proxy appends the real client 203.0.113.50; the client varies what it wrote itself.
  t.deepEqual([await reg("1.1.1.1, 203.0.113.50"), await reg("2.2.2.2, 203.0.113.50"), await reg("3.3.3.3, 203.0.113.50")], [201, 201, 429]);
  t.is(await reg("3.3.3.3, 203.0.113.51"), 201, "a different real client is not affected");
});

test.serial("logins cannot be starved: a flood of wrong logins from 100 addresses waits in a bounded queue, and abandoned ones are not hashed", async (t) => {
  const server = await startTestServer("pglite", { trustProxy: true, scryptLogN: 14, limits: { ...TEST_LIMITS, hashQueue: 8 } });
  t.teardown(() => server.stop());
  const victim = await register(server.url, nick("fl"), "flood-password");
  const legit = await register(server.url, nick("lg"), "legit-password");
  const stats = () => server.hasher.stats();

  // 100 wrong logins at once, each from its own address, then the owner of another account.
  const before = stats();
  const flood = Array.from({ length: 100 }, (_, i) => api<{ error: { code: string; message: string } }>(server.url, "/api/v1/login", { nick: victim.user.nick, password: `wrong-${i}` }, { "x-forwarded-for": `198.18.${i >> 8}.${i & 255}` }));
  await until(() => stats().hashed + stats().active + stats().queued + stats().refused - before.hashed - before.refused >= 100, "the flood to arrive");
  const hashedAtSend = stats().hashed;
  const own = await api<{ error?: { code: string; message: string } }>(server.url, "/api/v1/login", { nick: legit.user.nick, password: "legit-password" }, { "x-forwarded-for": "192.0.2.7" });
  const hashedMeanwhile = stats().hashed - hashedAtSend;
  // On an unbounded queue the owner waits behind every one of the flood's hashes; here behind
  // at most the 8 queued and the 4 running, or is told at once to come back.
  t.true(hashedMeanwhile <= 8 + 4 + 1, `the owner's login waited for ${hashedMeanwhile} hashes`);
  if (own.status !== 200) {
    t.is(own.status, 503);
    t.regex(own.body.error!.message, /busy checking other passwords; try again in \d+ s\./);
  }
  const answers = await Promise.all(flood);
  const busy = answers.filter((a) => a.status === 503);
  // Those that found the queue full were refused at once; the rest were hashed and refused as wrong.
  t.true(busy.length > 0);
  t.is(busy.length + answers.filter((a) => a.status === 401).length, 100);
  t.regex(busy[0]!.body.error.message, /The server is busy checking other passwords; try again in \d+ s\./);
  t.true(stats().peakQueued <= 8, "the queue never held more than its bound");
  t.is((await api(server.url, "/api/v1/login", { nick: legit.user.nick, password: "legit-password" })).status, 200);

  // Clients that hang up while queued: their passwords are never hashed.
  const start = stats();
  const n = 40;
  const controllers = Array.from({ length: n }, () => new AbortController());
  const abandoned = controllers.map((c, i) =>
    fetch(`${server.url}/api/v1/login`, { method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": `198.19.0.${i}` }, body: JSON.stringify({ nick: victim.user.nick, password: `gone-${i}` }), signal: c.signal }).catch(() => null),
  );
  const accounted = () => stats().active + stats().queued + (stats().hashed - start.hashed) + (stats().refused - start.refused);
  await until(() => accounted() >= n && stats().queued > 0, "the requests to queue");
  const queuedAtAbort = stats().queued;
  for (const c of controllers) c.abort();
  await Promise.all(abandoned);
  await until(() => stats().active === 0 && stats().queued === 0, "the hasher to go idle");
  const end = stats();
  const gone = end.abandoned - start.abandoned;
  const hashed = end.hashed - start.hashed;
  const refused = end.refused - start.refused;
  t.is(hashed + gone + refused, n, "every request was hashed, abandoned or refused");
  // Queued ones may still start in the moment before the server sees the hang-up; the rest leave.
  t.true(gone >= 1 && gone <= queuedAtAbort, `${gone} of the ${queuedAtAbort} queued at the hang-up were never hashed (${hashed} hashed, ${refused} refused)`);
});

test.serial("the audit log records logins, registrations, roles and every moderation action as greppable lines, without secrets", async (t) => {
  let out = "";
  const sink = new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } });
  // At warn level the audit lines are still written.
  const server = await startServer(resolveConfig({ port: 0, host: "127.0.0.1", dataDir: "memory://", scryptLogN: 10, limits: TEST_LIMITS, trustProxy: true }, {}), createLogger("warn", sink));
  t.teardown(() => server.close());
  const xff = { "x-forwarded-for": "203.0.113.77" };
  const adminNick = nick("au");
  await server.accounts.addUser({ nick: adminNick, password: "admin-password-secret", role: "admin" });
  const adminAuth = (await api<AuthResponse>(server.url, "/api/v1/login", { nick: adminNick, password: "admin-password-secret" }, xff)).body;
  const password = "victim-password-secret";
  const victim = (await api<{ token: string; user: { id: number; nick: string } }>(server.url, "/api/v1/register", { nick: nick("vi"), password }, xff)).body;
  await api(server.url, "/api/v1/login", { nick: victim.user.nick, password: "wrong-password-secret" }, xff);
  await server.accounts.setRole(victim.user.nick, "moderator");
  await server.accounts.setRole(victim.user.nick, "user");
  const admin = await connect(server.url, adminAuth);
  await admin.ok("admin:mute", { nick: victim.user.nick, durationSec: 60, reason: "cool off" });
  await admin.ok("admin:unmute", { nick: victim.user.nick });
  await admin.ok("admin:kick", { nick: victim.user.nick, reason: "calm down" });
  await admin.ok("admin:ban", { nick: victim.user.nick, reason: "spam" });
  await admin.ok("admin:unban", { nick: victim.user.nick });
  await admin.ok("admin:shutdown", { inSeconds: 0, reason: "audit test" });
  await server.closed;

  const audit = out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l["audit"] === true);
  const byEvent = (e: string) => audit.filter((l) => l["event"] === e);
  t.like(byEvent("user.added")[0], { nick: adminNick, role: "admin", msg: "audit user.added" });
  t.like(byEvent("login.ok")[0], { nick: adminNick, address: "203.0.113.77" });
  t.like(byEvent("register")[0], { nick: victim.user.nick, userId: victim.user.id, address: "203.0.113.77" });
  t.like(byEvent("login.failed")[0], { nick: victim.user.nick, address: "203.0.113.77", reason: "wrong password" });
  t.like(byEvent("role.changed")[0], { nick: victim.user.nick, from: "user", to: "moderator" });
  t.like(byEvent("role.changed")[1], { from: "moderator", to: "user" });
  for (const [event, extra] of [["mute", { reason: "cool off" }], ["unmute", {}], ["kick", { reason: "calm down" }], ["ban", { reason: "spam", until: null }], ["unban", {}]] as const) {
    t.like(byEvent(event)[0], { by: adminNick, nick: victim.user.nick, userId: victim.user.id, ...(extra as object) }, event);
  }
  t.like(byEvent("shutdown")[0], { by: adminNick, inSeconds: 0, reason: "audit test" });
  for (const secret of ["admin-password-secret", password, "wrong-password-secret", adminAuth.token, victim.token]) t.false(out.includes(secret), "no password or token in the log");
});
