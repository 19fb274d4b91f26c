// Faults that must not hang the server: Redis absent at start or gone while running, stdout a
// broken pipe at shutdown, a client hanging up mid-request. Each server here is a child
// process, killed when the test ends.
import { execFileSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import type { AuthResponse, ChatDto } from "../server/protocol/index.js";
import { killTree, spawnTracked } from "./helpers/children.js";
import { REDIS_SERVER, startPrivateRedis } from "./helpers/redis.js";
import { api, connect, nick, register, sleep, uuid } from "./helpers/harness.js";
import { freePort, SERVER_CLI, spawnServer } from "./helpers/process.js";
import { PACKAGE_ROOT } from "../server/paths.js";

const withRedis = REDIS_SERVER ? test.serial : test.skip;

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "chat-faults-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A private redis-server the test may kill and start again on the same port. */
async function startRedis(t: ExecutionContext, port: number): Promise<ChildProcess> {
  const child = await startPrivateRedis(port);
  t.teardown(() => killTree(child));
  return child;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

async function readyz(url: string): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting until ${what}`);
}

test.serial("with Redis unreachable at start, serve exits within seconds with a sentence naming the URL, not its password", async (t) => {
  const dir = await tempDir(t);
  const port = await freePort(); // nothing listens there
  const child = spawnTracked(process.execPath, [SERVER_CLI, "serve", "--port", "0", "--data-dir", path.join(dir, "db")], {
    env: { ...process.env, DATABASE_URL: "", REDIS_URL: `redis://chat:s3cret-pw@127.0.0.1:${port}`, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.teardown(() => killTree(child));
  let output = "";
  let dbReadyAt = 0;
  const onData = (d: Buffer) => {
    output += d;
    if (!dbReadyAt && output.includes('"database ready"')) dbReadyAt = Date.now();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  // Opening the embedded database takes its own (machine-dependent) time; the bound is on Redis.
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve neither listened nor exited within 90 s:\n${output}`)), 90_000);
    child.on("exit", (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  t.not(code, 0, "exits with an error status");
  t.true(dbReadyAt > 0, output);
  t.true(Date.now() - dbReadyAt < 15_000, `gave up on Redis ${Date.now() - dbReadyAt} ms after the database was ready`);
  t.regex(output, new RegExp(`cannot reach Redis at redis://\\*\\*\\*@127\\.0\\.0\\.1:${port} \\(REDIS_URL / --redis-url\\) within 5 s: .*ECONNREFUSED`));
  t.regex(output, /Start Redis, fix the URL, or leave REDIS_URL unset/);
  t.false(output.includes("s3cret-pw"), "the password is not printed");
  t.false(output.includes("listening on"));
});

withRedis("Redis stopped while running: events, logins and new connections answer at once from the fallback, /readyz says so, and all recovers", async (t) => {
  t.timeout(3 * 60_000);
  const dir = await tempDir(t);
  const redisPort = await freePort();
  let redis = await startRedis(t, redisPort);
  const server = await spawnServer(["--port", "0", "--data-dir", path.join(dir, "db")], { REDIS_URL: `redis://127.0.0.1:${redisPort}`, LOG_LEVEL: "warn" });
  t.teardown(() => killTree(server.child));
  const { url } = server;

  const password = "correct horse";
  const name = nick("redis");
  const alice = await connect(url, await register(url, name, password));
  t.teardown(() => alice.close());
  const general = alice.ready.chats.find((c: ChatDto) => c.name === "general")!;
  t.truthy(general);
  await alice.ok("message:send", { chatId: general.id, text: "before the outage", clientId: uuid() });
  t.is((await readyz(url)).status, 200);
  // Logins and registrations hash a password (scrypt at production cost here): the bound is on
  // what Redis adds to that.
  const baseline = await timed(() => api<AuthResponse>(url, "/api/v1/login", { nick: name, password }));
  t.is(baseline.value.status, 200);

  killTree(redis);
  await waitFor("/readyz reports Redis down", async () => {
    const r = await readyz(url);
    return r.status === 503 && r.body.checks["redis"] !== "ok";
  });
  const down = await readyz(url);
  t.is(down.body.checks["database"], "ok");
  t.regex(down.body.checks["redis"]!, /unreachable since/);

  // Every kind of request on the path of a client: none waits for Redis.
  const bound = 2000;
  for (let i = 0; i < 5; i++) {
    const sent = await timed(() => alice.request("message:send", { chatId: general.id, text: `during the outage ${i}`, clientId: uuid() }));
    t.true(sent.value.ok, JSON.stringify(sent.value));
    t.true(sent.ms < bound, `message:send answered in ${Math.round(sent.ms)} ms`);
  }
  const delivered = await alice.next("message:new", (m: { text: string }) => m.text === "during the outage 4", 5000);
  t.truthy(delivered, "a message sent during the outage still reaches this node's members");
  for (const [event, payload] of [["ping:rtt", {}], ["users:list", {}], ["history:fetch", { chatId: general.id, limit: 10 }]] as const) {
    const r = await timed(() => alice.request(event, payload));
    t.true(r.value.ok, `${event}: ${JSON.stringify(r.value)}`);
    t.true(r.ms < bound, `${event} answered in ${Math.round(r.ms)} ms`);
  }
  const login = await timed(() => api<AuthResponse>(url, "/api/v1/login", { nick: name, password }));
  t.is(login.value.status, 200, JSON.stringify(login.value.body));
  t.true(login.ms < baseline.ms + bound, `login answered in ${Math.round(login.ms)} ms (${Math.round(baseline.ms)} ms with Redis)`);
  const bob = await timed(() => connect(url, login.value.body));
  t.teardown(() => bob.value.close());
  t.true(bob.ms < bound, `a new connection got its session in ${Math.round(bob.ms)} ms`);
  t.true(bob.value.ready.online.some((u) => u.nick === name), "presence falls back to this node's sockets");
  const registered = await timed(() => api(url, "/api/v1/register", { nick: nick("outage"), password }));
  t.is(registered.value.status, 201);
  t.true(registered.ms < baseline.ms + bound, `register answered in ${Math.round(registered.ms)} ms`);

  redis = await startRedis(t, redisPort);
  await waitFor("/readyz reports Redis back", async () => (await readyz(url)).status === 200, 60_000);
  t.is((await readyz(url)).body.checks["redis"], "ok");
  await alice.ok("message:send", { chatId: general.id, text: "after the outage", clientId: uuid() });
  await alice.next("message:new", (m: { text: string }) => m.text === "after the outage", 10_000);
  await waitFor("presence is counted in Redis again", async () => {
    const counts = execFileSync("redis-cli", ["-p", String(redisPort), "hgetall", "chat:presence:count"]).toString().trim().split("\n");
    return counts.includes(String(alice.user.id));
  });

  const out = server.output();
  t.is(out.split("redis unreachable").length - 1, 1, `the outage is logged once:\n${out}`);
  t.is(out.split('"redis is back"').length - 1, 1, "the recovery is logged once");
});

/** Resolves with the exit code, or rejects (the caller's teardown kills the child) after `ms`. */
function exitWithin(child: ChildProcess, ms: number, what: () => string): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still running ${ms / 1000} s later:\n${what()}`)), ms);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

test("the logger stops writing to a broken standard output instead of retrying at exit forever", async (t) => {
  const logModule = path.join(path.dirname(SERVER_CLI), "log.js");
  const script = `
    const { createLogger } = await import(${JSON.stringify(logModule)});
    const log = createLogger("info");
    await new Promise((r) => setTimeout(r, 300)); // by now the reader has gone
    for (let i = 0; i < 2000; i++) log.info({ i }, "a line nobody reads");
    process.exit(0);`;
  const child = spawnTracked(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  t.teardown(() => killTree(child));
  child.stdout!.destroy(); // the reading end closes: every write is EPIPE
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  t.is(await exitWithin(child, 20_000, () => stderr), 0);
  t.regex(stderr, /stopped logging to standard output: its reader went away \(EPIPE\)/);
  t.is(stderr.split("stopped logging").length - 1, 1, "said once");
});

test.serial("SIGTERM stops a server whose standard output is a broken pipe", async (t) => {
  const dir = await tempDir(t);
  const server = await spawnServer(["--port", "0", "--data-dir", path.join(dir, "db")], { LOG_LEVEL: "debug" });
  t.teardown(() => killTree(server.child));
  server.child.stdout!.destroy();
  const client = await connect(server.url, await register(server.url));
  t.teardown(() => client.close());
  await client.ok("ping:rtt", {}); // logs at debug level go to the broken pipe
  server.child.kill("SIGTERM");
  t.is(await exitWithin(server.child, 30_000, server.output), 0);
});

test.serial("SIGTERM drains and exits cleanly even when a connected client is frozen and never answers the close handshake", async (t) => {
  const dir = await tempDir(t);
  const server = await spawnServer(["--port", "0", "--data-dir", path.join(dir, "db"), "--drain-seconds", "3"], { LOG_LEVEL: "info" });
  t.teardown(() => killTree(server.child));
  const auth = await register(server.url);
  // The client lives in its own process so that it can be stopped dead (SIGSTOP), like a suspended laptop.
  const clientScript = `const { io } = require(${JSON.stringify(path.join(PACKAGE_ROOT, "node_modules", "socket.io-client"))});
    const s = io(${JSON.stringify(server.url)}, { transports: ["websocket"], auth: { token: ${JSON.stringify(auth.token)} } });
    s.on("session:ready", () => console.log("ready"));`;
  const frozen = spawnTracked(process.execPath, ["-e", clientScript], { stdio: ["ignore", "pipe", "ignore"] });
  t.teardown(() => killTree(frozen));
  await new Promise((r) => frozen.stdout!.once("data", r));
  process.kill(frozen.pid!, "SIGSTOP");
  server.child.kill("SIGTERM");
  // Its hard limit (drain + 5 s) would exit 1 without the "stopped" line; ws alone waits 30 s for the peer.
  t.is(await exitWithin(server.child, 30_000, server.output), 0);
  t.regex(server.output(), /chat-server stopped/);
});

test.serial("a client that hangs up mid-request is logged at debug level as gone, not as an unexpected error", async (t) => {
  const dir = await tempDir(t);
  const server = await spawnServer(["--port", "0", "--data-dir", path.join(dir, "db")], { LOG_LEVEL: "debug" });
  t.teardown(() => killTree(server.child));
  const { hostname, port } = new URL(server.url);
  for (const route of ["/api/v1/login", "/api/v1/register"]) {
    const socket = net.connect(Number(port), hostname);
    await new Promise((r) => socket.once("connect", r));
    socket.write(`POST ${route} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"nick":"half`);
    await sleep(200);
    socket.destroy();
  }
  await waitFor("both hang-ups are logged", async () => server.output().split('"client went away"').length - 1 >= 2, 15_000);
  const lines = server.output().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { level: number; msg: string; route?: string });
  const gone = lines.filter((l) => l.msg === "client went away");
  t.deepEqual(gone.map((l) => [l.level, l.route]), [[20, "POST /api/v1/login"], [20, "POST /api/v1/register"]]);
  t.deepEqual(lines.filter((l) => l.level >= 50), [], "nothing logged as an error");
});

withRedis("a Redis that stops answering (SIGSTOP) is detected within seconds; requests then answer from the fallback, and it recovers", async (t) => {
  t.timeout(3 * 60_000);
  const dir = await tempDir(t);
  const redisPort = await freePort();
  const redis = await startRedis(t, redisPort);
  const server = await spawnServer(["--port", "0", "--data-dir", path.join(dir, "db")], { REDIS_URL: `redis://127.0.0.1:${redisPort}`, LOG_LEVEL: "warn" });
  t.teardown(() => killTree(server.child));
  const alice = await connect(server.url, await register(server.url, nick("hung")));
  t.teardown(() => alice.close());
  const general = alice.ready.chats.find((c: ChatDto) => c.name === "general")!;

  process.kill(redis.pid!, "SIGSTOP"); // the connection stays open; nothing answers on it
  t.teardown(() => void (redis.exitCode === null && process.kill(redis.pid!, "SIGCONT")));
  // node-redis keeps no timeout on a command already written: without the watchdog this waits forever.
  const first = await timed(() => alice.request("message:send", { chatId: general.id, text: "as redis hangs", clientId: uuid() }));
  t.true(first.value.ok, JSON.stringify(first.value));
  t.true(first.ms < 6000, `the first send, while the hang is being detected, answered in ${Math.round(first.ms)} ms`);
  await waitFor("/readyz reports Redis not answering", async () => {
    const r = await readyz(server.url);
    return r.status === 503 && /not answering/.test(r.body.checks["redis"] ?? "");
  });
  for (let i = 0; i < 3; i++) {
    const sent = await timed(() => alice.request("message:send", { chatId: general.id, text: `while redis hangs ${i}`, clientId: uuid() }));
    t.true(sent.value.ok, JSON.stringify(sent.value));
    t.true(sent.ms < 2000, `message:send answered in ${Math.round(sent.ms)} ms`);
  }
  process.kill(redis.pid!, "SIGCONT");
  await waitFor("/readyz reports Redis back", async () => (await readyz(server.url)).status === 200, 60_000);
  t.is(server.output().split("redis unreachable").length - 1, 1, "logged once");
});
