// The chat-server command line as an operator uses it: migrate, user add/set-role, serve,
// data surviving a restart of the embedded database, and the same migrations on PostgreSQL.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import pg from "pg";
import { io } from "socket.io-client";
import { api, DATABASE_URL, freshPostgresDatabase, uuid } from "./helpers/harness.js";
import { MIGRATIONS_DIR, PACKAGE_ROOT } from "../server/paths.js";
import { spawnTracked as spawn } from "./helpers/children.js";

const CLI = path.join(PACKAGE_ROOT, "dist", "server", "cli.js");

function run(args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, DATABASE_URL: "", LOG_LEVEL: "warn", ...opts.env } });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.stdin!.end(opts.stdin ?? "");
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `chat-server serve` and resolves once it prints its URL. */
function serve(args: string[]) {
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", ...args], { env: { ...process.env, DATABASE_URL: "", LOG_LEVEL: "warn" } });
  let stderr = "";
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (d) => {
      stderr += d;
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m?.[1]) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, url, exited, stderr: () => stderr };
}

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "chat-cli-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("--help lists the commands and the serve options", async (t) => {
  const r = await run(["--help"]);
  t.is(r.code, 0);
  for (const word of ["serve", "migrate", "user", "--port", "--host", "--data-dir", "--database-url"]) t.true(r.stdout.includes(word), word);
  const bad = await run(["frobnicate"]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /Unknown argument/);
});

test("migrate applies the migrations once, user add reads the password from stdin, set-role changes it", async (t) => {
  const dir = path.join(await tempDir(t), "db");
  const first = await run(["migrate", "--data-dir", dir]);
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /applied: 0001_init/);
  const second = await run(["migrate", "--data-dir", dir]);
  t.regex(second.stdout, /up to date/);
  const add = await run(["user", "add", "Админ", "--role", "admin", "--data-dir", dir], { stdin: "very secret\n" });
  t.is(add.code, 0, add.stderr);
  t.regex(add.stdout, /created Админ \(id \d+, role admin\)/);
  const dup = await run(["user", "add", "админ", "--data-dir", dir], { stdin: "very secret\n" });
  t.is(dup.code, 2);
  t.regex(dup.stderr, /taken/);
  const weak = await run(["user", "add", "weakling", "--data-dir", dir], { stdin: "short\n" });
  t.is(weak.code, 2);
  t.regex(weak.stderr, /at least 8/);
  const role = await run(["user", "set-role", "админ", "moderator", "--data-dir", dir]);
  t.is(role.code, 0, role.stderr);
  t.regex(role.stdout, /Админ is now moderator/);
  const missing = await run(["user", "set-role", "nobody-here", "user", "--data-dir", dir]);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /no user/);
});

test("serve keeps accounts and messages in its data directory across a restart and exits 0 on SIGTERM", async (t) => {
  const dir = path.join(await tempDir(t), "db");
  const add = await run(["user", "add", "keeper", "--data-dir", dir], { stdin: "keeper-password\n" });
  t.is(add.code, 0, add.stderr);

  const first = serve(["--data-dir", dir]);
  const url = await first.url;
  t.regex(first.stderr(), new RegExp(`embedded database in ${dir.replace(/[/\\]/g, ".")}`));
  const login = await api<any>(url, "/api/v1/login", { nick: "keeper", password: "keeper-password" });
  t.is(login.status, 200);
  const socket = io(url, { transports: ["websocket"], auth: { token: login.body.token }, reconnection: false });
  const ready: any = await new Promise((r) => socket.once("session:ready", r));
  const clientId = uuid();
  const ack: any = await socket.emitWithAck("message:send", { chatId: ready.chats[0].id, text: "survives restarts", clientId });
  t.true(ack.ok);
  socket.disconnect();
  first.child.kill("SIGTERM");
  t.is(await first.exited, 0);

  const second = serve(["--data-dir", dir]);
  const url2 = await second.url;
  const again = await api<any>(url2, "/api/v1/login", { nick: "keeper", password: "keeper-password" });
  t.is(again.status, 200);
  const s2 = io(url2, { transports: ["websocket"], auth: { token: login.body.token }, reconnection: false });
  const ready2: any = await new Promise((r) => s2.once("session:ready", r));
  const page: any = await s2.emitWithAck("history:fetch", { chatId: ready2.chats[0].id });
  t.true(page.data.messages.some((m: any) => m.clientId === clientId && m.id === ack.data.id));
  s2.disconnect();
  second.child.kill("SIGINT");
  t.is(await second.exited, 0);
});

const pgTest = DATABASE_URL ? test : test.skip;
pgTest(`migrate on PostgreSQL records the migrations in _prisma_migrations${DATABASE_URL ? "" : " (skipped: DATABASE_URL is not set)"}`, async (t) => {
  const db = await freshPostgresDatabase();
  t.teardown(() => db.drop());
  const r = await run(["migrate", "--database-url", db.url]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /applied: 0001_init/);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  t.teardown(() => client.end());
  const rows = await client.query("SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name");
  const folders = (await readdir(MIGRATIONS_DIR, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  t.deepEqual(rows.rows.map((x) => x.migration_name), folders);
  t.truthy(rows.rows[0].finished_at);
  const general = await client.query("SELECT name FROM chats WHERE name_key = 'general'");
  t.is(general.rowCount, 1);
  t.regex((await run(["migrate", "--database-url", db.url])).stdout, /up to date/);
});
