// Opens the database: embedded PGlite in a data directory, or PostgreSQL from a URL, both
// through Prisma driver adapters, and applies pending migrations.
import { isMainThread } from "node:worker_threads";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import type { SqlDriverAdapterFactory, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaClient } from "./generated/client.js";
import { backfillNameSkeletons, type SkeletonBackfill } from "./backfill.js";
import { lockDataDir, makePrivateDir, restrictPermissions, type LockHolder } from "./data-dir.js";
import { PGliteWorker } from "./pglite-remote.js";
import { applyMigrations } from "./schema-engine.js";
import { createPgSql, type Sql } from "./sql.js";

export type Database = {
  prisma: PrismaClient;
  /** Raw statements on the same connections as `prisma` (the repositories' SQL seam, sql.ts). */
  sql: Sql;
  kind: "pglite" | "postgres";
  /** Where the data is, for the start-up line (no password). */
  location: string;
  /**
   * Connections the pool keeps open however long they stay idle (PostgreSQL: the pool's floor;
   * PGlite: its one connection): how many a warm-up at start should open (warmUp in repositories.ts).
   */
  warmConnections: number;
  /** Migrations applied by this open. */
  applied: string[];
  /** Name skeletons filled in for rows stored before they existed (with migrations only). */
  skeletons: SkeletonBackfill;
  /** Embedded database only: entries under the data directory that were readable by others and were fixed. */
  permissionsFixed?: number;
  close(): Promise<void>;
};

export type DatabaseOptions = {
  /** Called with each query's duration in milliseconds (metrics). */
  onQuery?: (ms: number) => void;
  databaseUrl?: string | undefined;
  /** PGlite data directory, or "memory://" for a throw-away database. */
  dataDir: string;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
  poolSize?: number;
  /** PostgreSQL: connections kept open when idle (default min(2, poolSize): a request and the once-a-second session read at the same time); the others close after 10 s idle. */
  poolMin?: number;
  /** Who opens an embedded data directory, for the lock file (e.g. "chat-server serve"). */
  command?: string;
  /** Told when a lock left by a process that no longer exists is taken over. */
  onStaleLock?: (holder: LockHolder | null) => void;
  /** Embedded database: a call unanswered after this long fails as unavailable (env CHAT_DB_TIMEOUT_MS, default 20 s). */
  callTimeoutMs?: number;
  /** Embedded database: told once when it stops answering or stops (a full disk, a crash). */
  onUnavailable?: (reason: string) => void;
  /** PostgreSQL: told when an idle pooled connection fails (the pool drops it and opens another when needed). */
  onIdleError?: (e: Error) => void;
};

/** How long a close waits for raw statements still running (the server drained its requests before). */
const SQL_CLOSE_GRACE_MS = 5000;

const NO_BACKFILL: SkeletonBackfill = { filled: 0, lookalikes: [] };

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable DATABASE_URL)";
  }
}

function makeClient(adapter: SqlDriverAdapterFactory, onQuery?: (ms: number) => void): PrismaClient {
  if (!onQuery) return new PrismaClient({ adapter });
  const client = new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] });
  client.$on("query", (e) => onQuery(e.duration));
  return client as unknown as PrismaClient;
}

/** One simple query with the whole script: PostgreSQL runs it as one implicit transaction. */
async function runScriptWhole(url: string, script: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(script);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  const migrate = opts.migrate ?? true;
  if (opts.databaseUrl) {
    const url = opts.databaseUrl;
    // A bounded connect timeout: while PostgreSQL is down, requests fail fast (UNAVAILABLE)
    // instead of waiting for it; the pool reconnects by itself when it is back.
    // A floor of connections that stay open when idle (pg closes an idle one after 10 s): the
    // first requests after a quiet spell would otherwise wait for a new connection, and a new
    // backend's first statements load its catalog caches (10 to 45 ms together, measured).
    const max = opts.poolSize ?? 10;
    const min = Math.min(max, opts.poolMin ?? 2);
    // One pool for Prisma's adapter and the raw statements (sql.ts): the floor, the limit and
    // the warm-up count every connection.
    const pool = new pg.Pool({ connectionString: url, max, min, connectionTimeoutMillis: 3000 });
    // Without a listener an idle connection's error (PostgreSQL restarted, the network cut)
    // would be an unhandled 'error' event; Prisma's own listener goes when it disconnects.
    pool.on("error", (e) => opts.onIdleError?.(e));
    const factory = new PrismaPg(pool);
    // Migrations get their own short-lived pool so the client's pool starts clean.
    const applied = migrate ? await applyMigrations(new PrismaPg({ connectionString: url, max: 1 }), (script) => runScriptWhole(url, script)) : [];
    const prisma = makeClient(factory, opts.onQuery);
    const sql = createPgSql(pool, pg.types, opts.onQuery);
    const fail = async (e: unknown) => {
      await prisma.$disconnect().catch(() => undefined);
      await pool.end().catch(() => undefined);
      throw e;
    };
    await prisma.$connect().catch(fail);
    const skeletons = migrate ? await backfillNameSkeletons(prisma).catch(fail) : NO_BACKFILL;
    return {
      prisma, sql, kind: "postgres", location: redactUrl(url), warmConnections: min, applied, skeletons,
      async close() {
        // Raw statements still running finish before their pool ends (as Prisma's own do).
        await sql.drain(SQL_CLOSE_GRACE_MS);
        await prisma.$disconnect().catch(() => undefined);
        await pool.end();
      },
    };
  }
  const memory = opts.dataDir === "memory://";
  let lock: Awaited<ReturnType<typeof lockDataDir>> | undefined;
  let permissionsFixed = 0;
  if (!memory) {
    // Whatever files PGlite or PostgreSQL create from now on are the owner's alone (umask is
    // per process and cannot be set from a worker thread).
    if (isMainThread) process.umask(0o077);
    await makePrivateDir(opts.dataDir);
    lock = await lockDataDir(opts.dataDir, opts.command ?? `chat-server ${process.argv.slice(2).join(" ")}`.trim(), opts.onStaleLock);
    // Files left readable by an earlier version (or copied in) are fixed before anything opens them.
    permissionsFixed = await restrictPermissions(opts.dataDir);
  }
  try {
    // PGlite runs in a worker thread: its queries (WebAssembly) and the conversion of their
    // results would otherwise block this thread, and every client with it.
    const worker = new PGliteWorker({
      dataDir: memory ? null : opts.dataDir,
      callTimeoutMs: opts.callTimeoutMs ?? (Number(process.env["CHAT_DB_TIMEOUT_MS"]) || 20_000),
      ...(opts.onUnavailable ? { onUnavailable: opts.onUnavailable } : {}),
    });
    try {
      await worker.ready;
    } catch (e) {
      await worker.close(0);
      throw e;
    }
    // PGlite unpacks a new cluster with the modes of its bundled copy (0666): fix those too.
    if (!memory) await restrictPermissions(opts.dataDir);
    // Migrations may legitimately take long on a big database: a generous watchdog.
    const applied = migrate ? await applyMigrations(worker.factory(10 * 60_000)).catch(async (e: unknown) => {
      await worker.close();
      throw e;
    }) : [];
    const prisma = makeClient(worker.factory(), opts.onQuery);
    const sql = worker.sql(opts.onQuery);
    const skeletons = migrate ? await backfillNameSkeletons(prisma).catch(async (e: unknown) => {
      await worker.close();
      throw e;
    }) : NO_BACKFILL;
    return {
      prisma,
      sql,
      kind: "pglite",
      warmConnections: 1,
      location: memory ? "in memory" : opts.dataDir,
      applied,
      skeletons,
      permissionsFixed,
      async close() {
        try {
          // Raw statements issued before the close are answered, not cut off with the worker
          // (the worker answers everything asked before its close as well).
          await sql.drain(SQL_CLOSE_GRACE_MS);
          await prisma.$disconnect().catch(() => undefined);
          await worker.close();
        } finally {
          await lock?.release();
        }
      },
    };
  } catch (e) {
    await lock?.release();
    throw e;
  }
}
