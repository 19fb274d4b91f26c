// Attacks on authorisation, moderation, rate limits, origins and shutdown, against a real
// server with real clients.
import { Writable } from "node:stream";
import test, { type ExecutionContext } from "ava";
import { resolveConfig } from "../server/config.js";
import { createLogger } from "../server/log.js";
import { startServer } from "../server/main.js";
import { io as ioClient } from "socket.io-client";
import type { ChatDto, MessageDto, ServerShutdown, SessionEnded } from "../server/protocol/index.js";
import {
  api, BACKENDS, connect, newUser, nick, perBackend, refusedHandshake, register, SKIPPED_BACKENDS, sleep, startTestServer, TEST_LIMITS, uuid,
  REDIS_URL,
  redisNamespace,
  type Backend, type Client, type TestServer,
} from "./helpers/harness.js";

const servers = perBackend(test);
for (const b of SKIPPED_BACKENDS) test.skip(`${b}: every security test (skipped: DATABASE_URL is not set)`, () => {});

async function staff(server: TestServer, role: "admin" | "moderator"): Promise<Client> {
  const name = nick(role.slice(0, 3));
  await server.accounts.addUser({ nick: name, password: "staff-password", role });
  const r = await api<{ token: string; user: { id: number; nick: string; role: "admin" } }>(server.url, "/api/v1/login", { nick: name, password: "staff-password" });
  return connect(server.url, { ...r.body, expiresAt: "" });
}

const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? "OK" : r.error?.code);

for (const backend of BACKENDS) {
  const srv = () => servers.get(backend as Backend)!;
  // Serial: several tests here start servers of their own, and an embedded database's start
  // blocks this process's event loop for a while, which would starve concurrent handshakes.
  const it = (title: string, fn: (t: ExecutionContext) => Promise<void>) => test.serial(`${backend}: ${title}`, fn);

  it("authorisation matrix: a third user reaches none of two others' chats and no admin command", async (t) => {
    const a = await newUser(srv(), "mxA");
    const b = await newUser(srv(), "mxB");
    const eve = await newUser(srv(), "eve");
    const dm = await a.ok<ChatDto>("dm:open", { nick: b.user.nick });
    const m = await a.ok<MessageDto>("message:send", { chatId: dm.id, text: "for bob only", clientId: uuid() });
    const secret = await a.ok<ChatDto>("room:create", { name: `sec${Date.now().toString(36)}`, private: true });
    await a.ok("room:invite", { chatId: secret.id, nick: b.user.nick });
    const missing = 2_000_000_001;
    const attempts: [string, (id: number) => unknown][] = [
      ["history:fetch", (id) => ({ chatId: id })],
      ["history:fetch", (id) => ({ chatId: id, after: 0 })],
      ["message:send", (id) => ({ chatId: id, text: "intrusion", clientId: uuid() })],
      ["chat:read", (id) => ({ chatId: id, messageId: m.id })],
      ["chat:close", (id) => ({ chatId: id })],
      ["room:leave", (id) => ({ chatId: id })],
      ["room:invite", (id) => ({ chatId: id, nick: eve.user.nick })],
    ];
    for (const [event, payload] of attempts) {
      for (const target of [dm.id, secret.id]) {
        const denied = await eve.request(event as never, payload(target));
        const absent = await eve.request(event as never, payload(missing));
        t.is(code(denied), "CHAT_NOT_FOUND", `${event} on chat ${target}`);
        t.is(denied.ok ? "" : denied.error.message.replace(String(target), "N"), absent.ok ? "" : absent.error.message.replace(String(missing), "N"), `${event}: indistinguishable from a missing chat`);
      }
    }
    t.is(code(await eve.request("room:join", { name: secret.name })), "ROOM_NOT_FOUND");
    t.false((await eve.ok("rooms:list", {})).rooms.some((r: { id: number }) => r.id === secret.id));
    for (const [event, payload] of [
      ["admin:kick", { nick: a.user.nick }],
      ["admin:ban", { nick: a.user.nick }],
      ["admin:unban", { nick: a.user.nick }],
      ["admin:mute", { nick: a.user.nick }],
      ["admin:unmute", { nick: a.user.nick }],
      ["admin:shutdown", { inSeconds: 0 }],
    ] as const) {
      t.is(code(await eve.request(event, payload)), "FORBIDDEN", event);
    }
    const page = await b.ok("history:fetch", { chatId: dm.id });
    t.deepEqual(page.messages.map((x: MessageDto) => x.text), ["for bob only"], "nothing eve tried reached the DM");
    t.is(eve.received("message:new", (x: MessageDto) => x.chatId === dm.id || x.chatId === secret.id).length, 0);
    for (const c of [a, b, eve]) c.close();
  });

  it("moderators act only on lower roles; nobody acts on themselves", async (t) => {
    const admin = await staff(srv(), "admin");
    const mod = await staff(srv(), "moderator");
    const user = await newUser(srv(), "plain");
    t.is(code(await mod.request("admin:kick", { nick: admin.user.nick })), "FORBIDDEN");
    t.is(code(await mod.request("admin:ban", { nick: nick("nobody") })), "USER_NOT_FOUND");
    t.is(code(await admin.request("admin:mute", { nick: admin.user.nick })), "FORBIDDEN");
    t.is(code(await mod.request("admin:shutdown", { inSeconds: 5 })), "FORBIDDEN", "shutdown is for admins only");
    t.is(code(await mod.request("admin:mute", { nick: user.user.nick, durationSec: 60 })), "OK");
    t.is(code(await admin.request("admin:mute", { nick: mod.user.nick })), "OK", "admins outrank moderators");
    for (const c of [admin, mod, user]) c.close();
  });

  it("a kick ends every session of the user with the reason; they can log in again", async (t) => {
    const admin = await staff(srv(), "admin");
    const auth = await register(srv().url, nick("kick"), "victim-password");
    const v1 = await connect(srv().url, auth);
    const v2 = await connect(srv().url, auth);
    const watcher = await newUser(srv(), "wat");
    const gone = Promise.all([v1, v2].map((c) => new Promise((r) => c.socket.once("disconnect", r))));
    t.deepEqual(await admin.ok("admin:kick", { nick: auth.user.nick, reason: "calm down" }), { nick: auth.user.nick });
    await gone;
    const ended = v1.received("session:ended")[0] as SessionEnded;
    t.like(ended, { code: "KICKED", reason: "calm down", by: admin.user.nick });
    t.regex((await watcher.next<{ text: string }>("notice", (n) => n.text.includes(auth.user.nick))).text, /was kicked by .*: calm down/);
    t.is((await refusedHandshake(srv().url, { token: auth.token })).data?.code, "SESSION_INVALID");
    t.is((await api(srv().url, "/api/v1/login", { nick: auth.user.nick, password: "victim-password" })).status, 200);
    admin.close();
    watcher.close();
  });

  it("a ban refuses logins with the reason until it expires or is lifted; a mute refuses sending", async (t) => {
    const admin = await staff(srv(), "admin");
    const auth = await register(srv().url, nick("ban"), "victim-password");
    const victim = await connect(srv().url, auth);
    const banned = await admin.ok("admin:ban", { nick: auth.user.nick, durationSec: 2, reason: "spam" });
    t.like(banned, { nick: auth.user.nick, kind: "ban", reason: "spam" });
    t.like(await victim.next<SessionEnded>("session:ended"), { code: "BANNED", reason: "spam" });
    const login = await api<{ error: { code: string; message: string } }>(srv().url, "/api/v1/login", { nick: auth.user.nick, password: "victim-password" });
    t.is(login.status, 403);
    t.is(login.body.error.code, "BANNED");
    t.regex(login.body.error.message, /banned until .* UTC: spam/);
    const wrong = await api<{ error: { code: string } }>(srv().url, "/api/v1/login", { nick: auth.user.nick, password: "not the password" });
    t.is(wrong.body.error.code, "INVALID_CREDENTIALS", "a ban is not revealed to someone without the password");
    await sleep(2200);
    t.is((await api(srv().url, "/api/v1/login", { nick: auth.user.nick, password: "victim-password" })).status, 200, "the ban expired");

    await admin.ok("admin:ban", { nick: auth.user.nick, reason: "again" });
    t.is((await api(srv().url, "/api/v1/login", { nick: auth.user.nick, password: "victim-password" })).status, 403);
    await admin.ok("admin:unban", { nick: auth.user.nick });
    const back = await api<{ token: string; user: { id: number; nick: string; role: "user" }; expiresAt: string }>(srv().url, "/api/v1/login", { nick: auth.user.nick, password: "victim-password" });
    t.is(back.status, 200);
    t.is(code(await admin.request("admin:unban", { nick: auth.user.nick })), "VALIDATION_FAILED", "unbanning someone not banned says so");

    const again = await connect(srv().url, back.body);
    const general = again.ready.chats[0]!.id;
    const beforeMute = { chatId: general, text: "said before the mute", clientId: uuid() };
    const original = await again.ok<MessageDto>("message:send", beforeMute);
    await admin.ok("admin:mute", { nick: auth.user.nick, reason: "cool off" });
    const resent = await again.ok<MessageDto>("message:send", beforeMute);
    t.is(resent.id, original.id, "a resend of a message stored before the mute still gets its original");
    t.regex((await again.next<{ text: string; code?: string }>("notice", (n) => n.code === "MUTED")).text, /muted you until lifted: cool off/);
    const muted = await again.request("message:send", { chatId: general, text: "let me speak", clientId: uuid() });
    t.is(code(muted), "MUTED");
    t.regex(muted.ok ? "" : muted.error.message, /You are muted until lifted: cool off; nothing was sent/);
    await admin.ok("admin:unmute", { nick: auth.user.nick });
    t.is(code(await again.request("message:send", { chatId: general, text: "thanks", clientId: uuid() })), "OK");
    admin.close();
    again.close();
  });

  it("the shutdown command is announced to everyone, drains requests in flight and closes the server", async (t) => {
    // The drain waits for the request held below (released by the test, not by a clock); its
    // own limit is far beyond what the steps in between take on a loaded machine.
    const own = await startTestServer(backend as Backend, { drainMs: 60_000 });
    t.teardown(() => own.stop());
    const admin = await staff(own, "admin");
    const user = await newUser(own, "sd");
    const general = user.ready.chats[0]!.id;
    await user.ok("message:send", { chatId: general, text: "before the shutdown", clientId: uuid() });
    // One request stays in flight across the deadline: history reads wait for `release` from now on.
    const history = own.chat.history.bind(own.chat);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let reads = 0;
    own.chat.history = async (u, input) => (reads++, await held, history(u, input));
    t.teardown(() => release());
    const slow = user.request("history:fetch", { chatId: general });
    // Registered before, connecting during the countdown (5 s: time enough for a handshake on a busy machine).
    const lateAuth = await register(own.url);
    const notice = await admin.ok<ServerShutdown>("admin:shutdown", { inSeconds: 5, reason: "maintenance" });
    t.like(notice, { inSeconds: 5, reason: "maintenance" });
    t.like(await user.next<ServerShutdown>("server:shutdown"), { inSeconds: 5, reason: "maintenance" });
    const late = await connect(own.url, lateAuth);
    t.like(await late.next<ServerShutdown>("server:shutdown"), { reason: "maintenance" }, "someone connecting during the countdown hears about it");
    t.true((late.received("server:shutdown")[0] as ServerShutdown).inSeconds <= 5);
    // Past the deadline the node drains: the held read is still running, so the socket is open,
    // and new work is refused. Before the deadline a send is still accepted, so ask until refused.
    let during = await user.request("message:send", { chatId: general, text: "during the countdown", clientId: uuid() });
    for (let i = 0; i < 300 && code(during) === "OK"; i++) {
      await sleep(100);
      during = await user.request("message:send", { chatId: general, text: "during the countdown", clientId: uuid() });
    }
    t.is(code(during), "UNAVAILABLE");
    t.is(reads, 1, "the history read is held, not finished");
    t.regex(during.ok ? "" : during.error.message, /shutting down/);
    const refused = await refusedHandshake(own.url, { token: user.auth.token }).catch((e: Error) => ({ message: e.message, data: { code: "NO_LISTENER" } }));
    t.true(["UNAVAILABLE", undefined].includes(refused.data?.code) || /ECONNREFUSED|websocket error/.test(refused.message), "no new connections while draining");
    release();
    const finished = await slow;
    t.true(finished.ok, "the request in flight got its answer before the sockets closed");
    t.true((finished.ok ? finished.data.messages : []).some((m: MessageDto) => m.text === "before the shutdown"));
    await own.closed;
    if (user.socket.connected) await new Promise((r) => user.socket.once("disconnect", r));
    t.false(user.socket.connected);
  });
}

test.serial("rate limits: messages per account with the queue off, then a disconnect for a socket that keeps going", async (t) => {
  const server = await startTestServer("pglite", { limits: { ...TEST_LIMITS, messages: { points: 5, windowSec: 60 }, messageQueue: { messages: 0, bytes: 0 }, strikes: 4 } });
  t.teardown(() => server.stop());
  const c = await newUser(server, "rl");
  const chatId = c.ready.chats[0]!.id;
  const results = [];
  for (let i = 0; i < 8; i++) results.push(await c.request("message:send", { chatId, text: `burst ${i}`, clientId: uuid() }));
  t.deepEqual(results.map(code), ["OK", "OK", "OK", "OK", "OK", "RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED"]);
  t.regex(results[5]!.ok ? "" : results[5]!.error.message, /too fast; wait \d+ s/);
  const gone = new Promise((r) => c.socket.once("disconnect", r));
  c.request("message:send", { chatId, text: "one more", clientId: uuid() }).catch(() => undefined);
  await gone;
  t.truthy(c.received("notice", (n: { code?: string }) => n.code === "RATE_LIMITED").length, "told before being disconnected");
  const page = await (await connect(server.url, c.auth)).ok("history:fetch", { chatId, limit: 20 });
  t.is(page.messages.filter((m: MessageDto) => m.text.startsWith("burst")).length, 5, "refused messages were not stored");
});

test.serial("rate limits: failed logins per account, registrations per address, connections per account", async (t) => {
  const server = await startTestServer("pglite", {
    limits: { ...TEST_LIMITS, loginFailuresPerAccount: { points: 3, windowSec: 60 }, registrationsPerAddress: { points: 3, windowSec: 60 }, connectionsPerAccount: 2 },
  });
  t.teardown(() => server.stop());
  const name = nick("lf");
  const auth = await register(server.url, name, "the-right-one");
  // A success resets the count, so the owner's own typos never add up.
  for (let i = 0; i < 2; i++) t.is((await api(server.url, "/api/v1/login", { nick: name, password: `typo-${i}` })).status, 401);
  t.is((await api(server.url, "/api/v1/login", { nick: name, password: "the-right-one" })).status, 200);
  for (let i = 0; i < 3; i++) t.is((await api(server.url, "/api/v1/login", { nick: name, password: `guess-${i}` })).status, 401);
  const locked = await api<{ error: { code: string; message: string } }>(server.url, "/api/v1/login", { nick: name, password: "the-right-one" });
  t.is(locked.status, 429);
  t.regex(locked.body.error.message, /Too many failed logins for this account from your address; try again in \d+ s/);
  await register(server.url);
  await register(server.url);
  const fourth = await api<{ error: { code: string } }>(server.url, "/api/v1/register", { nick: nick("r4"), password: "password-4" });
  t.is(fourth.status, 429);
  const c1 = await connect(server.url, auth);
  const c2 = await connect(server.url, auth);
  t.is((await refusedHandshake(server.url, { token: auth.token })).data?.code, "RATE_LIMITED");
  c1.close();
  c2.close();
});

test.serial("a browser Origin not on the allow-list cannot open a socket; an allowed one can", async (t) => {
  const server = await startTestServer("pglite", { allowedOrigins: ["https://chat.example.org"] });
  t.teardown(() => server.stop());
  const auth = await register(server.url);
  const attempt = (origin: string) =>
    new Promise<string>((resolve) => {
      const s = ioClient(server.url, { transports: ["websocket"], auth: { token: auth.token }, reconnection: false, forceNew: true, extraHeaders: { origin } });
      s.once("session:ready", () => (s.disconnect(), resolve("connected")));
      s.once("connect_error", () => (s.disconnect(), resolve("refused")));
    });
  t.is(await attempt("https://evil.example.com"), "refused");
  t.is(await attempt("https://chat.example.org"), "connected");
  t.is(await attempt("null"), "refused");
});

test.serial("logs are JSON lines with no passwords, tokens or message bodies, even when a query fails", async (t) => {
  let out = "";
  const sink = new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } });
  const server = await startServer(resolveConfig({ port: 0, host: "127.0.0.1", dataDir: "memory://", scryptLogN: 10, limits: TEST_LIMITS }, {}), createLogger("debug", sink));
  t.teardown(() => server.close());
  const password = "hunter2-very-secret";
  const auth = await register(server.url, nick("lg"), password);
  await api(server.url, "/api/v1/login", { nick: auth.user.nick, password: "wrong-" + password });
  const c = await connect(server.url, auth);
  const chatId = c.ready.chats[0]!.id;
  const body = "the body of a private message";
  await c.ok("message:send", { chatId, text: body, clientId: uuid() });
  // Make the database fail mid-request: Prisma's error text would carry the query's arguments.
  // Both insert paths fail: group commit's multi-row INSERT and the single insert it falls back to.
  const raw = server.db.prisma.$queryRawUnsafe.bind(server.db.prisma);
  (server.db.prisma as unknown as { $queryRawUnsafe: unknown }).$queryRawUnsafe = (sql: string, ...params: unknown[]) =>
    raw(sql, ...(sql.includes("INSERT INTO messages") ? params.map((p, i) => (i % 5 === 0 ? 999_999 : p)) : params));
  const original = server.db.prisma.message.create.bind(server.db.prisma.message);
  (server.db.prisma.message as unknown as { create: unknown }).create = (args: unknown) => original({ ...(args as object), data: { ...(args as { data: object }).data, chatId: 999_999 } } as never);
  const failed = await c.request("message:send", { chatId, text: `${body} #2`, clientId: uuid() });
  t.false(failed.ok);
  await server.shutdown({ inSeconds: 0, reason: 'multi\nline "quoted" reason' });
  const lines = out.trim().split("\n");
  t.true(lines.length >= 4);
  for (const line of lines) t.notThrows(() => JSON.parse(line), `one JSON object per line: ${line.slice(0, 80)}`);
  for (const secret of [password, auth.token, body]) t.false(out.includes(secret), `the log never contains ${secret.slice(0, 12)}…`);
  t.true(out.includes("unexpected error in handler"), "the failure itself was logged");
  t.true(out.includes('multi\\nline \\"quoted\\" reason'), "user-supplied text is escaped, not written raw");
});

(REDIS_URL ? test.serial : test.skip)(`rate limits hold across nodes that share Redis${REDIS_URL ? "" : " (skipped: REDIS_URL is not set)"}`, async (t) => {
  const limits = { ...TEST_LIMITS, registrationsPerAddress: { points: 3, windowSec: 30 } };
  const prefix = { redisUrl: REDIS_URL, redisPrefix: redisNamespace(), limits };
  const a = await startTestServer("pglite", prefix);
  t.teardown(() => a.stop());
  const b = await startTestServer("pglite", prefix);
  t.teardown(() => b.stop());
  // Both nodes count the same address in Redis: 3 registrations in all, wherever they land.
  const statuses: number[] = [];
  for (const srv of [a, b, a, b]) statuses.push((await api(srv.url, "/api/v1/register", { nick: nick("rd"), password: "password-1" })).status);
  t.deepEqual(statuses.slice(0, 3), [201, 201, 201]);
  t.is(statuses[3], 429);
});

test.serial("bans survive a restart of the server", async (t) => {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const os = await import("node:os");
  const path = await import("node:path");
  const dir = mkdtempSync(path.join(os.tmpdir(), "chat-ban-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = resolveConfig({ port: 0, host: "127.0.0.1", dataDir: path.join(dir, "db"), scryptLogN: 10, limits: TEST_LIMITS }, {});
  let server = await startServer(config, createLogger("silent"));
  await server.accounts.addUser({ nick: "keeper", password: "keeper-password", role: "admin" });
  const victim = await register(server.url, nick("bs"), "victim-password");
  const admin = await connect(server.url, (await api<never>(server.url, "/api/v1/login", { nick: "keeper", password: "keeper-password" })).body);
  await admin.ok("admin:ban", { nick: victim.user.nick, reason: "for good" });
  admin.close();
  await server.close();
  server = await startServer(config, createLogger("silent"));
  t.teardown(() => server.close());
  const login = await api<{ error: { code: string; message: string } }>(server.url, "/api/v1/login", { nick: victim.user.nick, password: "victim-password" });
  t.is(login.body.error.code, "BANNED");
  t.regex(login.body.error.message, /until lifted: for good/);
});
