// Sessions hold on every live socket: a ban, kick or logout that lands while sockets are still
// connecting leaves none behind; a role change and an expiry reach sockets already open; the
// per-account connection cap admits exactly its number under concurrent handshakes.
import { spawn } from "node:child_process";
import test, { type ExecutionContext } from "ava";
import type { AuthResponse, MessageDto, SessionEnded } from "../server/protocol/index.js";
import {
  api, BACKENDS, connect, freshPostgresDatabase, handshakeOutcome, newUser, nick, perBackend, rawSocket, register, sleep, startTestServer, TEST_LIMITS, uuid,
  type Backend, type Client, type TestServer,
} from "./helpers/harness.js";
import { SERVER_CLI } from "./helpers/process.js";

/** How long after the ack a kick, ban, logout or role change may take to reach every socket (docs/protocol.md). */
const BOUND_MS = 2000;

const servers = perBackend(test);

async function staff(server: TestServer, role: "admin" | "moderator"): Promise<Client> {
  const name = nick(role.slice(0, 3));
  await server.accounts.addUser({ nick: name, password: "staff-password", role });
  const r = await api<AuthResponse>(server.url, "/api/v1/login", { nick: name, password: "staff-password" });
  return connect(server.url, r.body);
}

async function waitUntil(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
}

/** Texts of the messages a user has stored in a chat (read as the reader). */
async function storedTexts(reader: Client, chatId: number, senderId: number): Promise<string[]> {
  const page = await reader.ok<{ messages: MessageDto[] }>("history:fetch", { chatId, limit: 200 });
  return page.messages.filter((m) => m.senderId === senderId && m.kind === "text").map((m) => m.text);
}

/**
 * Opens `n` sockets with one token at once, lands `act` while they connect, and checks that
 * after the bound none is connected and nothing any of them sent after the ack was stored.
 */
async function raceSanction(t: ExecutionContext, server: TestServer, act: (admin: Client, victim: AuthResponse) => Promise<unknown>, rounds: number) {
  const admin = await staff(server, "admin");
  const general = admin.ready.chats.find((c) => c.name === "general")!.id;
  let survivors = 0;
  let stored = 0;
  for (let round = 0; round < rounds; round++) {
    const victim = await register(server.url, nick("vic"));
    const sockets = Array.from({ length: 9 }, () => rawSocket(server.url, { token: victim.token }));
    t.teardown(() => sockets.forEach((s) => s.close()));
    // Land the sanction at a different point of the handshakes each round.
    await sleep((round * 7) % 40);
    t.true((await act(admin, victim)) !== undefined);
    const acked = Date.now();
    // Every socket still connected after the ack tries to speak until the bound has passed.
    const sends: Promise<unknown>[] = [];
    let seq = 0;
    while (Date.now() - acked < BOUND_MS) {
      for (const s of sockets) {
        if (s.connected) sends.push(s.timeout(3000).emitWithAck("message:send", { chatId: general, text: `after-${round}-${seq++}`, clientId: uuid() }).catch(() => null));
      }
      await sleep(100);
    }
    const left = sockets.filter((s) => s.connected).length;
    survivors += left;
    t.is(left, 0, `round ${round}: no socket of the user is connected ${BOUND_MS} ms after the ack`);
    await Promise.all(sends);
    const texts = await storedTexts(admin, general, victim.user.id);
    stored += texts.length;
    t.deepEqual(texts, [], `round ${round}: nothing sent after the ack was stored`);
    for (const s of sockets) s.close();
  }
  t.log(`${rounds} rounds: ${survivors} sockets survived, ${stored} messages stored after the ack`);
  admin.close();
}

for (const backend of BACKENDS) {
  const srv = () => servers.get(backend as Backend)!;
  const it = (title: string, fn: (t: ExecutionContext) => Promise<void>) => test.serial(`${backend}: ${title}`, fn);

  it("a ban that lands while nine sockets of the user connect leaves none connected and nothing stored", async (t) => {
    t.timeout(120_000);
    await raceSanction(t, srv(), async (admin, victim) => {
      const r = await admin.request("admin:ban", { nick: victim.user.nick, reason: "race" });
      return r.ok ? r : undefined;
    }, 6);
  });

  it("a kick that lands while nine sockets of the user connect leaves none connected and nothing stored", async (t) => {
    t.timeout(120_000);
    await raceSanction(t, srv(), async (admin, victim) => {
      const r = await admin.request("admin:kick", { nick: victim.user.nick, reason: "race" });
      return r.ok ? r : undefined;
    }, 6);
  });

  it("a logout closes every socket of that session, also those still connecting, and no other session's", async (t) => {
    const auth = await register(srv().url, nick("out"));
    const other = await api<AuthResponse>(srv().url, "/api/v1/login", { nick: auth.user.nick, password: "correct horse" });
    const kept = await connect(srv().url, other.body);
    const open = await connect(srv().url, auth);
    const sockets = Array.from({ length: 6 }, () => rawSocket(srv().url, { token: auth.token }));
    t.teardown(() => [kept, open].forEach((c) => c.close()));
    t.teardown(() => sockets.forEach((s) => s.close()));
    const ended = open.next<SessionEnded>("session:ended");
    const res = await fetch(`${srv().url}/api/v1/logout`, { method: "POST", headers: { authorization: `Bearer ${auth.token}` } });
    t.is(res.status, 204);
    t.like(await ended, { code: "LOGGED_OUT" });
    t.true(await waitUntil(() => !open.socket.connected && sockets.every((s) => !s.connected), BOUND_MS), "every socket of the session is closed within the bound");
    await sleep(500);
    t.false(sockets.some((s) => s.connected), "none came back");
    t.true(kept.socket.connected, "the user's other session is untouched");
    t.true((await kept.request("ping:rtt", {})).ok);
  });

  it("a role change reaches open sockets: a demoted moderator cannot kick or mute, a promoted user can act", async (t) => {
    const mod = await staff(srv(), "moderator");
    const target = await newUser(srv(), "tgt");
    t.teardown(() => [mod, target].forEach((c) => c.close()));
    t.true((await mod.request("admin:mute", { nick: target.user.nick, durationSec: 60 })).ok, "a moderator can mute");
    t.true((await mod.request("admin:unmute", { nick: target.user.nick })).ok);
    await srv().accounts.setRole(mod.user.nick, "user");
    // Refused at once (moderation reads the actor's role when it acts) ...
    for (const event of ["admin:kick", "admin:mute", "admin:ban"] as const) {
      const r = await mod.request(event, { nick: target.user.nick });
      t.is(r.ok ? "OK" : r.error.code, "FORBIDDEN", `${event} after the demotion`);
    }
    t.true(target.socket.connected, "the target was not kicked");
    // ... and the socket learns its new role within the bound.
    t.like(await mod.next("notice", (n: { text: string }) => /role is now user/.test(n.text), BOUND_MS), { level: "info" });
    // A promotion to admin counts on the open socket too (admin:metrics checks the socket's role).
    const r0 = await target.request("admin:metrics", {});
    t.is(r0.ok ? "OK" : r0.error.code, "FORBIDDEN");
    await srv().accounts.setRole(target.user.nick, "admin");
    t.true(await waitUntil(async () => (await target.request("admin:metrics", {})).ok, BOUND_MS), "promoted to admin within the bound");
  });
}

// The operator's path: `chat-server user set-role` from another process, on the server's database.
test.serial("postgres: a moderator demoted with `chat-server user set-role` while connected gets FORBIDDEN", async (t) => {
  if (!BACKENDS.includes("postgres")) return t.pass("skipped: DATABASE_URL is not set");
  const db = await freshPostgresDatabase();
  const server = await startTestServer("postgres", { databaseUrl: db.url });
  t.teardown(async () => {
    await server.close();
    await db.drop();
  });
  const mod = await staff(server, "moderator");
  const target = await newUser(server, "tgt");
  t.teardown(() => [mod, target].forEach((c) => c.close()));
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [SERVER_CLI, "user", "set-role", mod.user.nick, "user", "--database-url", db.url], {
      env: { ...process.env, DATABASE_URL: "", LOG_LEVEL: "error" },
      stdio: "ignore",
    });
    t.teardown(() => void child.kill("SIGKILL"));
    child.on("exit", resolve);
  });
  t.is(code, 0);
  const r = await mod.request("admin:kick", { nick: target.user.nick });
  t.is(r.ok ? "OK" : r.error.code, "FORBIDDEN");
  t.true(target.socket.connected);
  t.like(await mod.next("notice", (n: { text: string }) => /role is now user/.test(n.text), BOUND_MS), { level: "info" });
});

for (const backend of BACKENDS) {
  test.serial(`${backend}: a socket whose session expires is closed with session:ended EXPIRED within the bound`, async (t) => {
    const ttl = 3000;
    const server = await startTestServer(backend, { sessionTtlMs: ttl });
    t.teardown(() => server.stop());
    const c = await newUser(server, "exp");
    t.teardown(() => c.close());
    const expiry = Date.parse(c.auth.expiresAt);
    t.true((await c.request("ping:rtt", {})).ok, "works while the session is valid");
    const ended = await c.next<SessionEnded>("session:ended", () => true, ttl + BOUND_MS + 5000);
    const late = Date.now() - expiry;
    t.log(`closed ${late} ms after the session expired`);
    t.is(ended.code, "EXPIRED");
    t.true(late <= BOUND_MS, `closed within the bound (${late} ms after expiry)`);
    t.true(await waitUntil(() => !c.socket.connected, 1000));
  });

  test.serial(`${backend}: 15 concurrent connections of one account with a cap of 10 admit exactly 10, and a closed one frees its place`, async (t) => {
    const server = await startTestServer(backend, { limits: { ...TEST_LIMITS, connectionsPerAccount: 10 } });
    t.teardown(() => server.stop());
    const auth = await register(server.url, nick("cap"));
    for (let round = 0; round < 3; round++) {
      const sockets = Array.from({ length: 15 }, () => rawSocket(server.url, { token: auth.token }));
      t.teardown(() => sockets.forEach((s) => s.close()));
      const outcomes = await Promise.all(sockets.map(handshakeOutcome));
      t.is(outcomes.filter((o) => o === "ready").length, 10, `round ${round}: ${outcomes.join(",")}`);
      t.is(outcomes.filter((o) => o === "RATE_LIMITED").length, 5);
      // A closed socket gives its place back.
      sockets.find((s) => s.connected)!.close();
      t.true(await waitUntil(() => server.io.of("/").sockets.size === 9, 5000), "the server saw the close");
      const again = rawSocket(server.url, { token: auth.token });
      t.teardown(() => again.close());
      t.is(await new Promise<string>((resolve) => {
        again.once("session:ready", () => resolve("ready"));
        again.once("connect_error", (e: Error & { data?: { code: string } }) => resolve(e.data?.code ?? e.message));
      }), "ready", "the freed place is taken");
      again.close();
      for (const s of sockets) s.close();
      await waitUntil(() => server.io.of("/").sockets.size === 0, 5000);
    }
  });
}

// The session epoch: every node reads one counter each second and re-reads its sessions only
// when it moved, so idle sockets cost no session reads. The triggers must move it for every write
// that can end or change a live session, whoever makes it, and for nothing else.
for (const backend of BACKENDS) {
  const srv = () => servers.get(backend as Backend)!;
  const epoch = async () => {
    const rows = await srv().db.prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT n FROM session_epoch WHERE id = 1`);
    return rows[0]!.n;
  };

  test.serial(`${backend}: the session epoch moves on revocation, expiry, deletion, a ban and a role or nick change, not on a new session, a mute or a message`, async (t) => {
    const sql = (q: string, ...args: unknown[]) => srv().db.prisma.$executeRawUnsafe(q, ...args);
    const c = await newUser(srv(), "epo");
    t.teardown(() => c.close());
    const uid = c.user.id;
    const moved = async (what: string, write: () => Promise<unknown>, expected: boolean) => {
      const before = await epoch();
      await write();
      const after = await epoch();
      t.is(after !== before, expected, `${what}: epoch ${before} -> ${after}`);
    };
    await moved("a new session (login)", () => api(srv().url, "/api/v1/login", { nick: c.user.nick, password: "correct horse" }), false);
    await moved("a message", () => c.ok("message:send", { chatId: c.ready.chats[0]!.id, text: "epoch", clientId: uuid() }), false);
    await moved("a mute", () => sql(`INSERT INTO sanctions (kind, user_id, reason) VALUES ('mute', $1, 'x')`, uid), false);
    await moved("a session revoked", () => sql(`UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND id = (SELECT min(id) FROM sessions WHERE user_id = $1)`, uid), true);
    await moved("an expiry moved", () => sql(`UPDATE sessions SET expires_at = expires_at - interval '1 second' WHERE user_id = $1`, uid), true);
    await moved("a role changed", () => srv().accounts.setRole(c.user.nick, "moderator"), true);
    await moved("a nick changed", () => sql(`UPDATE users SET nick = nick WHERE id = $1`, uid), true);
    await moved("a ban", () => sql(`INSERT INTO sanctions (kind, user_id, reason) VALUES ('ban', $1, 'x')`, uid), true);
    await moved("a session deleted", () => sql(`DELETE FROM sessions WHERE user_id = $1`, uid), true);
    const other = await register(srv().url, nick("epd"));
    await moved("a user deleted", () => sql(`DELETE FROM users WHERE id = $1`, other.user.id), true);
  });

  test.serial(`${backend}: writes made with plain SQL, which no broadcast announces, still close the sockets they end`, async (t) => {
    const sql = (q: string, ...args: unknown[]) => srv().db.prisma.$executeRawUnsafe(q, ...args);
    const cases: { name: string; write: (userId: number) => Promise<unknown>; code: SessionEnded["code"] }[] = [
      { name: "revoked", write: (id) => sql(`UPDATE sessions SET revoked_at = now() WHERE user_id = $1`, id), code: "REVOKED" },
      { name: "banned", write: (id) => sql(`INSERT INTO sanctions (kind, user_id, reason) VALUES ('ban', $1, 'by hand')`, id), code: "BANNED" },
      { name: "expired", write: (id) => sql(`UPDATE sessions SET expires_at = now() WHERE user_id = $1`, id), code: "EXPIRED" },
      { name: "user deleted", write: (id) => sql(`DELETE FROM users WHERE id = $1`, id), code: "REVOKED" },
    ];
    for (const k of cases) {
      const c = await newUser(srv(), "sql");
      t.teardown(() => c.close());
      // Several idle sweeps first: the epoch stands still, and the session stays good.
      await sleep(1500);
      t.true((await c.request("ping:rtt", {})).ok, `${k.name}: works before the write`);
      const ended = c.next<SessionEnded>("session:ended", () => true, 15_000);
      const at = Date.now();
      await k.write(c.user.id);
      t.is((await ended).code, k.code, k.name);
      t.log(`${k.name}: closed ${Date.now() - at} ms after the write`);
      t.true(await waitUntil(() => !c.socket.connected, 5000), `${k.name}: the socket is closed`);
    }
  });
}

test.serial("idle sockets cost one epoch read per second, not a read of every session; a moved epoch reads them all", async (t) => {
  const server = await startTestServer("pglite");
  t.teardown(() => server.stop());
  const clients = await Promise.all(Array.from({ length: 20 }, () => newUser(server, "idl")));
  t.teardown(() => clients.forEach((c) => c.close()));
  // The guard calls the service it was given; count what it asks for from here on.
  const accounts = server.accounts as { checkSessions(ids: number[]): Promise<unknown>; sessionEpoch(): Promise<bigint> };
  const realCheck = accounts.checkSessions.bind(accounts);
  const realEpoch = accounts.sessionEpoch.bind(accounts);
  const reads: number[][] = [];
  let epochs = 0;
  accounts.checkSessions = (ids) => (reads.push(ids), realCheck(ids));
  accounts.sessionEpoch = () => (epochs++, realEpoch());
  t.teardown(() => {
    accounts.checkSessions = realCheck;
    accounts.sessionEpoch = realEpoch;
  });
  const waitEpochs = async (n: number) => {
    const from = epochs;
    const deadline = Date.now() + 30_000;
    while (epochs < from + n) {
      if (Date.now() > deadline) throw new Error(`the guard read the session epoch ${epochs - from} times in 30 s, not ${n}`);
      await sleep(50);
    }
  };
  // The sweep after the counting began may be a full one (the first after the connects).
  await waitEpochs(2);
  reads.length = 0;
  await waitEpochs(4);
  t.deepEqual(reads, [], "four idle sweeps read no session");
  t.true(clients.every((c) => c.socket.connected));
  t.true((await clients[0]!.request("ping:rtt", {})).ok, "a request on an idle socket is still served");
  await server.db.prisma.$executeRawUnsafe(`UPDATE sessions SET revoked_at = now() WHERE user_id = $1`, clients[0]!.user.id);
  await clients[0]!.next<SessionEnded>("session:ended", () => true, 15_000);
  const read = new Set(reads.flat());
  t.true(read.size >= clients.length, `the moved epoch read all ${clients.length} sessions (${read.size})`);
});
