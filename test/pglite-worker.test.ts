// The embedded database runs in a worker thread: a long query does not stall the server's
// event loop, driver errors keep their PostgreSQL meaning, and a full disk fails requests
// with UNAVAILABLE (and /readyz) instead of hanging them, while SIGTERM still stops the server.
import { spawn, execFileSync } from "node:child_process";
import { mkdtemp, open, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { randomBytes } from "node:crypto";
import { openDatabase } from "../server/db/client.js";
import { FILE_CHUNK_BYTES } from "../server/protocol/index.js";
import { api, connect, register, startTestServer } from "./helpers/harness.js";
import { freePort, SERVER_CLI } from "./helpers/process.js";

test.serial("a long query on the embedded database leaves the event loop free", async (t) => {
  const db = await openDatabase({ dataDir: "memory://", migrate: false });
  t.teardown(() => db.close());
  // The longest pause between timer ticks while the query runs.
  let maxGap = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 10);
  t.teardown(() => clearInterval(ticker));
  let rows = 2_000_000;
  let took = 0;
  // Big enough to take a while on this machine, whatever its speed.
  for (; took < 400 && rows <= 64_000_000; rows *= 2) {
    maxGap = 0;
    last = performance.now();
    const started = performance.now();
    const r = await db.prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM generate_series(1, ${rows})`);
    took = performance.now() - started;
    t.is(Number(r[0]!.n), rows);
  }
  t.true(took >= 400, `the query took only ${took} ms`);
  // In-thread PGlite would block the loop for the whole query.
  t.true(maxGap < took / 2, `the event loop paused ${Math.round(maxGap)} ms during a ${Math.round(took)} ms query`);
});

test.serial("closing the embedded database is not reported as an outage", async (t) => {
  const outages: string[] = [];
  const db = await openDatabase({ dataDir: "memory://", migrate: false, onUnavailable: (reason) => outages.push(reason) });
  const r = await db.prisma.$queryRawUnsafe<{ one: number }[]>("SELECT 1 AS one");
  t.is(r[0]!.one, 1);
  await db.close();
  t.deepEqual(outages, [], "a shutdown logs no 'embedded database unavailable'");
});

test.serial("unique violations through the worker still surface as Prisma's P2002, and transactions roll back", async (t) => {
  const server = await startTestServer("pglite");
  t.teardown(() => server.stop());
  const prisma = server.db.prisma;
  await prisma.$executeRawUnsafe("CREATE TABLE t_worker (k text PRIMARY KEY, b bytea)");
  const bytes = Buffer.alloc(300_000, 7);
  await prisma.$executeRawUnsafe("INSERT INTO t_worker VALUES ($1, $2)", "a", bytes);
  const back = await prisma.$queryRawUnsafe<{ b: Uint8Array }[]>("SELECT b FROM t_worker WHERE k = 'a'");
  t.is(back[0]!.b.length, bytes.length);
  t.true(Buffer.from(back[0]!.b).equals(bytes));
  // A unique violation keeps its PostgreSQL code through the worker: Prisma's P2002, which
  // the repositories turn into "taken".
  const dup = await t.throwsAsync(() => prisma.$executeRawUnsafe("INSERT INTO t_worker VALUES ('a', NULL)"));
  t.regex(String((dup as { message?: string }).message), /23505|unique/i);
  await register(server.url, "twin");
  const again = await api<any>(server.url, "/api/v1/register", { nick: "twin", password: "correct horse" });
  t.is(again.status, 409, JSON.stringify(again.body));
  t.regex(again.body.error.message, /taken/);
  await t.throwsAsync(() =>
    prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe("INSERT INTO t_worker VALUES ('b', NULL)");
      throw new Error("changed my mind");
    }),
  );
  const left = await prisma.$queryRawUnsafe<{ n: bigint }[]>("SELECT count(*) AS n FROM t_worker");
  t.is(Number(left[0]!.n), 1);
});

const root = process.getuid?.() === 0;
(root ? test.serial : test.skip)(`disk full: uploads fail with UNAVAILABLE and a log line, and SIGTERM stops the server${root ? "" : " (skipped: mounting a small tmpfs needs root)"}`, async (t) => {
  const base = await mkdtemp(path.join(os.tmpdir(), "chat-full-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", base]);
  t.teardown(async () => {
    execFileSync("umount", ["-l", base]);
    await rm(base, { recursive: true, force: true });
  });
  const dir = path.join(base, "db");
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER_CLI, "serve", "--data-dir", dir, "--port", String(port), "--drain-seconds", "2"], {
    env: { ...process.env, DATABASE_URL: "", REDIS_URL: "", LOG_LEVEL: "warn", CHAT_DB_TIMEOUT_MS: "3000" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.teardown(() => {
    child.kill("SIGKILL");
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.on("exit", r));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${output}`)), 60_000);
    child.stderr.on("data", () => {
      const m = /listening on (http\S+)/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  const client = await connect(url, await register(url));
  t.teardown(() => client.close());
  const chatId = client.ready.chats[0]!.id;
  t.true((await client.request("message:send", { chatId, text: "before", clientId: crypto.randomUUID() })).ok);

  // Fill the file system to the last byte.
  const filler = await open(path.join(base, "filler"), "w");
  const block = Buffer.alloc(1 << 20, 1);
  try {
    for (;;) await filler.write(block);
  } catch (e) {
    t.is((e as NodeJS.ErrnoException).code, "ENOSPC");
  }
  for (let n = 1024; n >= 1; n = Math.floor(n / 2)) await filler.write(block.subarray(0, n)).catch(() => undefined);
  await filler.close();

  // An upload's chunks need new pages and WAL: every one is answered, and none claims success
  // for long once the disk is full (free pages inside the database may take a few).
  const size = 24 * 1024 * 1024;
  const begun = await client.request("file:begin", { chatId, name: "big.bin", size, sha256: "0".repeat(64), clientId: crypto.randomUUID() });
  const fileId = begun.ok ? begun.data.file.id : 0;
  const codes: string[] = [begun.ok ? "ok" : begun.error.code];
  for (let offset = 0; offset < size && !codes.includes("UNAVAILABLE"); offset += FILE_CHUNK_BYTES) {
    const r = await client.request("file:chunk", { fileId, offset, data: randomBytes(FILE_CHUNK_BYTES) }).catch(() => ({ ok: false, error: { code: "NO_ANSWER" } }) as const);
    codes.push(r.ok ? "ok" : r.error.code);
  }
  const summary = codes.filter((c, i) => c !== codes[i - 1]).join(",");
  t.true(codes.includes("UNAVAILABLE"), summary);
  t.false(codes.includes("NO_ANSWER") || codes.includes("INTERNAL"), summary);
  t.regex(output, /database unavailable/);

  child.kill("SIGTERM");
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("still running 40 s after SIGTERM"), 40_000))]);
  t.is(code, 0, output.slice(-2000));
});

test.serial("a database call that does not answer in time fails with UNAVAILABLE, /readyz says so, and shutdown still finishes", async (t) => {
  // The watchdog is read when the database opens; this file's tests run one at a time.
  process.env["CHAT_DB_TIMEOUT_MS"] = "1500";
  t.teardown(() => void delete process.env["CHAT_DB_TIMEOUT_MS"]);
  const server = await startTestServer("pglite");
  let stopped = false;
  t.teardown(() => (stopped ? undefined : server.stop()));
  const client = await connect(server.url, await register(server.url));
  t.teardown(() => client.close());
  const chatId = client.ready.chats[0]!.id;
  // A query that would run for hours stands for a database that stopped answering (as PGlite
  // does after a failed WAL write on a full disk: it spins and never returns).
  const endless = server.db.prisma.$queryRawUnsafe("SELECT count(*) FROM generate_series(1, 1000000000000)");
  const failed = await t.throwsAsync(endless);
  t.regex(String(failed?.message), /did not answer within 2 s/);
  const send = await client.request("message:send", { chatId, text: "while stuck", clientId: crypto.randomUUID() });
  t.false(send.ok);
  t.is(send.ok ? "" : send.error.code, "UNAVAILABLE");
  const ready = await fetch(`${server.url}/readyz`);
  t.is(ready.status, 503);
  t.regex(JSON.stringify(await ready.json()), /did not answer/);
  // The worker is still spinning: closing must not wait for it.
  const closing = server.stop().then(() => "stopped");
  t.is(await Promise.race([closing, new Promise((r) => setTimeout(() => r("close hung"), 30_000))]), "stopped");
  stopped = true;
});
