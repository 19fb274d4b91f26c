// Opens the database: embedded PGlite in a data directory, or PostgreSQL from a URL, both
// through Prisma driver adapters, and applies pending migrations.
import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapterFactory, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "./generated/client.js";
import { backfillNameSkeletons, type SkeletonBackfill } from "./backfill.js";
import { applyMigrations } from "./schema-engine.js";

export type Database = {
  prisma: PrismaClient;
  kind: "pglite" | "postgres";
  /** Where the data is, for the start-up line (no password). */
  location: string;
  /** Migrations applied by this open. */
  applied: string[];
  /** Name skeletons filled in for rows stored before they existed (with migrations only). */
  skeletons: SkeletonBackfill;
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
};

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

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  const migrate = opts.migrate ?? true;
  if (opts.databaseUrl) {
    const url = opts.databaseUrl;
    // A bounded connect timeout: while PostgreSQL is down, requests fail fast (UNAVAILABLE)
    // instead of waiting for it; the pool reconnects by itself when it is back.
    const factory = new PrismaPg({ connectionString: url, max: opts.poolSize ?? 10, connectionTimeoutMillis: 3000 });
    // Migrations get their own short-lived pool so the client's pool starts clean.
    const applied = migrate ? await applyMigrations(new PrismaPg({ connectionString: url, max: 1 })) : [];
    const prisma = makeClient(factory, opts.onQuery);
    await prisma.$connect();
    const skeletons = migrate ? await backfillNameSkeletons(prisma) : NO_BACKFILL;
    return { prisma, kind: "postgres", location: redactUrl(url), applied, skeletons, close: () => prisma.$disconnect() };
  }
  const memory = opts.dataDir === "memory://";
  if (!memory) await mkdir(opts.dataDir, { recursive: true });
  const pglite = await PGlite.create(memory ? undefined : opts.dataDir);
  const factory: SqlMigrationAwareDriverAdapterFactory = new PrismaPGlite(pglite);
  const applied = migrate ? await applyMigrations(factory) : [];
  const prisma = makeClient(new PrismaPGlite(pglite), opts.onQuery);
  const skeletons = migrate ? await backfillNameSkeletons(prisma) : NO_BACKFILL;
  return {
    prisma,
    kind: "pglite",
    location: memory ? "in memory" : opts.dataDir,
    applied,
    skeletons,
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
