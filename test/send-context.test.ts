// What a send checks (membership, chat, mute) is kept per node and trusted only while the send
// epoch has not moved (prisma/migrations/0009_send_epoch): a mute, an unmute, a close or a leave
// made on one node, or written with plain SQL, holds for the very next message on every node.
import { execFileSync } from "node:child_process";
import test, { type ExecutionContext } from "ava";
import pg from "pg";
import type { AuthResponse, ChatDto, MessageDto, Result } from "../server/protocol/index.js";
import { api, BACKENDS, connect, DATABASE_URL, freshPostgresDatabase, nick, REDIS_URL, register, startTestServer, uuid, type Client } from "./helpers/harness.js";
import { freePort, spawnServer, SERVER_CLI, type ServerProcess } from "./helpers/process.js";
import { REDIS_SERVER, startPrivateRedis } from "./helpers/redis.js";

const LIMITS = JSON.stringify({
  messages: { points: 100000 }, events: { points: 100000 }, registrationsPerAddress: { points: 100000 }, loginsPerAddress: { points: 100000 }, handshakesPerAddress: { points: 100000 },
});

const send = (c: Client, chatId: number, text: string) => c.request("message:send", { chatId, text, clientId: uuid() }) as Promise<Result<MessageDto>>;

/** Sends twice (so the sender's node holds what it checked), expecting both to be stored. */
async function warm(t: ExecutionContext, c: Client, chatId: number, label: string) {
  for (let i = 0; i < 2; i++) {
    const r = await send(c, chatId, `${label} ${i}`);
    t.true(r.ok, `${label}: ${r.ok ? "" : r.error.code}`);
  }
}

/**
 * The moderator (`boss`) and the target's sending device (`her`) may be on different nodes;
 * `herOther` is another device of hers, where she closes and leaves the room.
 */
async function scenario(t: ExecutionContext, boss: Client, her: Client, herOther: Client, sql?: (q: string, params: unknown[]) => Promise<unknown>) {
  const room = await her.ok<ChatDto>("room:create", { name: `r${Math.random().toString(36).slice(2, 8)}` });
  await warm(t, her, room.id, "before the mute");

  t.true((await boss.request("admin:mute", { nick: her.user.nick, reason: "cache test" })).ok, "muted");
  const muted = await send(her, room.id, "while muted");
  t.false(muted.ok, "the first message after the mute is refused");
  t.is(muted.ok ? null : muted.error.code, "MUTED");
  const mutedOther = await send(herOther, room.id, "while muted, other device");
  t.is(mutedOther.ok ? null : mutedOther.error.code, "MUTED", "on her other device too");

  t.true((await boss.request("admin:unmute", { nick: her.user.nick })).ok, "unmuted");
  t.true((await send(her, room.id, "after the unmute")).ok, "the first message after the unmute is stored");
  await warm(t, her, room.id, "after the unmute");

  if (sql) {
    // Plain SQL: no broadcast, no service; only the triggers can tell the nodes.
    await sql(`INSERT INTO sanctions (kind, user_id, reason) VALUES ('mute', $1, 'by hand')`, [her.user.id]);
    const byHand = await send(her, room.id, "muted by hand");
    t.is(byHand.ok ? null : byHand.error.code, "MUTED", "a mute written with plain SQL holds for the next message");
    await sql(`UPDATE sanctions SET lifted_at = now() WHERE user_id = $1 AND lifted_at IS NULL`, [her.user.id]);
    t.true((await send(her, room.id, "lifted by hand")).ok, "and its lifting too");
    await warm(t, her, room.id, "after the hand-written mute");
  }

  // Closed on her other device: the next message reopens the room before it arrives.
  t.true((await herOther.request("chat:close", { chatId: room.id })).ok, "closed");
  const reopened = her.next<{ reason: string; chat: ChatDto }>("chat:updated", (u) => u.chat.id === room.id && u.reason === "opened", 10_000);
  t.true((await send(her, room.id, "after the close")).ok, "a message into a closed room is stored");
  t.like((await reopened).chat, { id: room.id, open: true }, "and reopens it: the close was seen");
  await warm(t, her, room.id, "after the reopen");

  t.true((await herOther.request("room:leave", { chatId: room.id })).ok, "left");
  const afterLeave = await send(her, room.id, "after the leave");
  t.is(afterLeave.ok ? null : afterLeave.error.code, "CHAT_NOT_FOUND", "the first message after the leave is refused");
}

function makeAdmin(databaseArgs: string[]): { nick: string; password: string } {
  const admin = { nick: nick("boss"), password: "admin-password" };
  execFileSync(process.execPath, [SERVER_CLI, "user", "add", admin.nick, "--role", "admin", ...databaseArgs], {
    input: `${admin.password}\n`, env: { ...process.env, DATABASE_URL: "", LOG_LEVEL: "error" },
  });
  return admin;
}

for (const backend of BACKENDS) {
  test.serial(`${backend}: one node: a mute, an unmute, a close and a leave hold for the very next message`, async (t) => {
    t.timeout(120_000);
    const server = await startTestServer(backend);
    t.teardown(() => server.stop());
    const bossNick = nick("boss");
    await server.accounts.addUser({ nick: bossNick, password: "staff-password", role: "admin" });
    const bossAuth = (await api<AuthResponse>(server.url, "/api/v1/login", { nick: bossNick, password: "staff-password" })).body;
    const herAuth = await register(server.url, nick("her"));
    const boss = await connect(server.url, bossAuth);
    const her = await connect(server.url, herAuth);
    const herOther = await connect(server.url, herAuth);
    t.teardown(() => [boss, her, herOther].forEach((c) => c.close()));
    await scenario(t, boss, her, herOther);
  });
}

const clusterReady = Boolean(REDIS_URL && DATABASE_URL && REDIS_SERVER);
(clusterReady ? test.serial : test.skip)("two nodes: a mute or unmute on node A, a close or leave on node A, a mute in plain SQL, each holds for the next message on node B", async (t) => {
  t.timeout(180_000);
  const db = await freshPostgresDatabase();
  const redisPort = await freePort();
  const redis = await startPrivateRedis(redisPort);
  const nodes: ServerProcess[] = [];
  const clients: Client[] = [];
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  t.teardown(async () => {
    for (const c of clients) c.close();
    for (const n of nodes) n.child.kill("SIGKILL");
    redis.kill("SIGKILL");
    await pool.end();
    await Promise.all(nodes.map((n) => n.exited));
    await db.drop().catch(() => undefined);
  });
  const ports = [await freePort(), await freePort()];
  for (const port of ports) {
    nodes.push(await spawnServer(["--port", String(port), "--database-url", db.url, "--redis-url", `redis://127.0.0.1:${redisPort}`], { CHAT_NODE_TTL_MS: "2000", CHAT_RATE_LIMITS: LIMITS }));
  }
  const [urlA, urlB] = ports.map((p) => `http://127.0.0.1:${p}`) as [string, string];
  const admin = makeAdmin(["--database-url", db.url]);
  const login = await api<AuthResponse>(urlA, "/api/v1/login", admin);
  t.is(login.status, 200);
  const herAuth = await register(urlB, nick("her"));
  const boss = await connect(urlA, login.body);
  const her = await connect(urlB, herAuth);
  const herOther = await connect(urlA, herAuth);
  clients.push(boss, her, herOther);
  const nodeOf = async (c: Client) => ((await c.ok<{ node: string }>("ping:rtt", {})).node);
  t.not(await nodeOf(boss), await nodeOf(her), "the moderator and her sending device are on different nodes");
  t.is(await nodeOf(boss), await nodeOf(herOther));
  await scenario(t, boss, her, herOther, (q, params) => pool.query(q, params));
});
