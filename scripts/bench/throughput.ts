// Benchmark 2, persisted throughput: acknowledged messages per second (and ack latency) with
// many concurrent senders, on PGlite and on PostgreSQL, with group commit on and off; the
// reference is raw multi-row INSERTs into the same table of the same database.
import { randomUUID } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { Histogram, now, seedDatabase, startChatServer, startWorker, type BenchOutput, type Ctx, type Row, type Seed } from "./lib.js";
import { byPackage, topFrames } from "./profile.js";

/** Open loop at half the closed loop's rate: what the ack latency is when the node is not saturated. */
type HalfLoad = { offeredPerSec: number; ackedPerSec: number; p50: number; p99: number; errors: number };
type Run = { ackedPerSec: number; p50: number; p99: number; errors: number; firstError: string | null; queriesPerMessage: number; halfLoad: HalfLoad; profile?: unknown };

async function dbQueries(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [...text.matchAll(/^chat_db_query_seconds_count(?:\{[^}]*\})? (\d+(?:\.\d+)?)/gm)].reduce((s, m) => s + Number(m[1]), 0);
}

/** Closed loop: every sender keeps `window` sends unacknowledged, each into its own room. */
async function runServer(ctx: Ctx, seed: Seed, opts: { groupCommit: boolean; senders: number; window: number; durationMs: number; profile: boolean }): Promise<Run> {
  const profDir = opts.profile ? await ctx.tmp() : null;
  const server = await startChatServer(seed, { CHAT_GROUP_COMMIT: opts.groupCommit ? "1" : "0" }, profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : []);
  const w = startWorker("throughput");
  try {
    const c = await w.call("connect", { target: { kind: "sio", url: server.url }, specs: seed.users.slice(0, opts.senders).map((u) => ({ token: u.token })), listen: false });
    if (c.failed) throw new Error(`senders failed to connect: ${c.firstError}`);
    const chatIds = seed.rooms.map((r) => r.id);
    await w.call("blast", { durationMs: Math.min(1000, opts.durationMs / 3), senders: opts.senders, window: opts.window, chatIds }); // warm-up
    const q0 = await dbQueries(server.url);
    const r = await w.call("blast", { durationMs: opts.durationMs, senders: opts.senders, window: opts.window, chatIds });
    const q1 = await dbQueries(server.url);
    const h = new Histogram().merge(r.ackHist);
    // The same senders at half the rate just measured, at a steady pace (not closed loop).
    const offered = Math.max(1, Math.round(r.acked / (r.elapsedMs / 1000) / 2));
    const o = await w.call("send", { rate: offered, durationMs: opts.durationMs, senders: opts.senders, chatIds });
    const oh = new Histogram().merge(o.ackHist);
    const halfLoad: HalfLoad = { offeredPerSec: offered, ackedPerSec: o.acked / (o.elapsedMs / 1000), p50: oh.pct(50), p99: oh.pct(99), errors: o.errors };
    await w.close();
    await server.stop();
    const profile = profDir ? { top: await topFrames(profDir), byPackage: await byPackage(profDir) } : undefined;
    return { ackedPerSec: r.acked / (r.elapsedMs / 1000), p50: h.pct(50), p99: h.pct(99), errors: r.errors, firstError: r.firstError, queriesPerMessage: (q1 - q0) / Math.max(1, r.acked), halfLoad, ...(profile ? { profile } : {}) };
  } finally {
    await w.close();
    await server.stop();
  }
}

const ROWS_PER_INSERT = 100;

function insertSql(chatId: number, senderId: number, n: number): { sql: string; params: unknown[] } {
  const values: string[] = [];
  const params: unknown[] = [];
  for (let i = 0; i < n; i++) {
    values.push(`($${i * 3 + 1}::int, $${i * 3 + 2}::int, 'text', $${i * 3 + 3}::text, '${randomUUID()}')`);
    params.push(chatId, senderId, "the quick brown fox jumps over the lazy dog 0123456789");
  }
  return { sql: `INSERT INTO messages (chat_id, sender_id, kind, text, client_id) VALUES ${values.join(", ")}`, params };
}

/** Raw multi-row INSERTs (100 rows each) for `durationMs`: rows per second. PostgreSQL through `pg` (10 connections). */
async function rawPostgres(url: string, seed: Seed, durationMs: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  let rows = 0;
  const end = now() + durationMs;
  const t0 = now();
  try {
    await Promise.all(
      Array.from({ length: 10 }, async (_, k) => {
        while (now() < end) {
          const { sql, params } = insertSql(seed.rooms[k % seed.rooms.length]!.id, seed.users[k % seed.users.length]!.id, ROWS_PER_INSERT);
          await pool.query(sql, params);
          rows += ROWS_PER_INSERT;
        }
      }),
    );
  } finally {
    await pool.end();
  }
  return rows / ((now() - t0) / 1000);
}

/** The same on the PGlite data directory, through PGlite's own query API (it has one connection). */
async function rawPglite(dir: string, seed: Seed, durationMs: number): Promise<number> {
  const db = await PGlite.create(dir);
  let rows = 0;
  const t0 = now();
  try {
    while (now() - t0 < durationMs) {
      const { sql, params } = insertSql(seed.rooms[0]!.id, seed.users[0]!.id, ROWS_PER_INSERT);
      await db.query(sql, params);
      rows += ROWS_PER_INSERT;
    }
  } finally {
    await db.close();
  }
  return rows / ((now() - t0) / 1000);
}

export async function throughput(ctx: Ctx): Promise<BenchOutput> {
  const q = ctx.quick;
  const senders = q ? 20 : 100;
  const durationMs = q ? 800 : 6000;
  const window = 2;
  const rows: Row[] = [];
  const details: Record<string, unknown> = { senders, window, durationMs, rowsPerInsert: ROWS_PER_INSERT };
  for (const backend of ["pglite", "postgres"] as const) {
    if (backend === "postgres" && !process.env["DATABASE_URL"]) {
      const skipped = "skipped: DATABASE_URL is not set";
      rows.push({ bench: "throughput", metric: "postgres: acked msg/s", unit: "/s", value: null, skipped, target: { op: ">=", value: 20_000, text: ">= 20k acked msg/s on PostgreSQL" } });
      rows.push({ bench: "throughput", metric: "postgres: ack p99", unit: "ms", value: null, skipped, target: { op: "<=", value: 10, text: "ack p99 <= 10 ms" } });
      continue;
    }
    ctx.log(`throughput ${backend}: seeding ${senders} senders`);
    const seed = await seedDatabase(ctx, { backend, users: senders, rooms: senders, roomSize: 1 });
    try {
      ctx.log(`throughput ${backend}: group commit off`);
      const before = await runServer(ctx, seed, { groupCommit: false, senders, window, durationMs, profile: ctx.profile });
      ctx.log(`throughput ${backend}: group commit on`);
      const after = await runServer(ctx, seed, { groupCommit: true, senders, window, durationMs, profile: ctx.profile });
      ctx.log(`throughput ${backend}: raw multi-row INSERTs`);
      const where = seed.args[1]!;
      const raw = backend === "postgres" ? await rawPostgres(where, seed, q ? 500 : 4000) : await rawPglite(where, seed, q ? 500 : 4000);
      details[backend] = { groupCommitOff: before, groupCommitOn: after, rawInsertRowsPerSec: raw };
      const pgTarget = backend === "postgres";
      const refs = [{ name: "raw INSERT rows/s", value: raw }];
      rows.push(
        {
          bench: "throughput", metric: `${backend}: acked msg/s`, unit: "/s", value: after.ackedPerSec, refs,
          ...(pgTarget ? { target: { op: ">=" as const, value: 20_000, text: ">= 20k acked msg/s on PostgreSQL" } } : {}),
          note: `group commit; without: ${before.ackedPerSec.toFixed(0)}/s; ${after.queriesPerMessage.toFixed(2)} queries/msg (without: ${before.queriesPerMessage.toFixed(2)})${after.errors ? `; ${after.errors} errors: ${after.firstError}` : ""}`,
        },
        {
          bench: "throughput", metric: `${backend}: ack p99`, unit: "ms", value: after.p99,
          refs: [{ name: "no group commit", value: before.p99 }],
          ...(pgTarget ? { target: { op: "<=" as const, value: 10, text: "ack p99 <= 10 ms" } } : {}),
          note: `${senders * window} sends in flight; p50 ${after.p50.toFixed(1)} ms (without group commit ${before.p50.toFixed(1)} ms)`,
        },
        {
          bench: "throughput", metric: `${backend}: ack p99 at half load`, unit: "ms", value: after.halfLoad.p99,
          refs: [{ name: "no group commit", value: before.halfLoad.p99 }],
          ...(pgTarget ? { target: { op: "<=" as const, value: 10, text: "ack p99 <= 10 ms at half the load" } } : {}),
          note: `open loop, ${after.halfLoad.offeredPerSec} msg/s offered (half the closed loop's rate), ${after.halfLoad.ackedPerSec.toFixed(0)}/s acked; p50 ${after.halfLoad.p50.toFixed(1)} ms${after.halfLoad.errors ? `; ${after.halfLoad.errors} errors` : ""}`,
        },
        { bench: "throughput", metric: `${backend}: acked msg/s without group commit`, unit: "/s", value: before.ackedPerSec, refs },
      );
    } finally {
      await seed.drop();
    }
  }
  return { rows, details };
}
