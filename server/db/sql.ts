// The raw-SQL seam under the repositories: statements that are SQL already (the history page)
// go to the driver without Prisma's query engine in between (PostgreSQL: the pool Prisma's
// adapter uses; PGlite: the database worker), with the same row values on both backends.
import type pg from "pg";

/**
 * Runs one parameterised statement and returns its rows as objects keyed by column name.
 * Values: int8 as bigint, int4 as number, timestamptz (and timestamp, read as UTC) as Date,
 * arrays as arrays, NULL as null — what Prisma's $queryRaw gives for the same columns.
 */
export interface Sql {
  query<T extends object>(text: string, params: readonly unknown[]): Promise<T[]>;
  /** Queries issued and not settled yet. */
  inFlight(): number;
  /** Resolves once every query issued so far has settled, or after `timeoutMs`; how many were still running. */
  drain(timeoutMs: number): Promise<number>;
}

/** A raw query's failure, reduced to what can be logged: no statement text, parameters or row values. */
export class SqlError extends Error {
  /** The SQLSTATE, when the database answered with one. */
  readonly code?: string;
  constructor(message: string, code?: string) {
    super(message);
    this.name = "SqlError";
    if (code !== undefined) this.code = code;
  }
}

const SQLSTATE = /^[0-9A-Z]{5}$/;
/**
 * SQLSTATE classes whose messages describe the server or the connection, never a value: 08
 * connection, 53 insufficient resources, 57 operator intervention (shutting down), 58 system.
 * Their text is kept so that the transport can tell "unavailable" from a bug.
 */
const SAFE_CLASSES = new Set(["08", "53", "57", "58"]);

/**
 * pg's and PGlite's errors carry the statement, its parameters and often a value in the
 * message itself (`invalid input syntax for type uuid: "..."`, a key's value in `detail`).
 * Kept: the SQLSTATE and, for errors without one (a connection refused, a closed database,
 * a timeout), the first line of the message, which names no value.
 */
export function toSqlError(e: unknown): SqlError {
  if (e instanceof SqlError) return e;
  const err = e as { code?: unknown; message?: unknown; name?: unknown; severity?: unknown } | null;
  const code = typeof err?.code === "string" ? err.code : undefined;
  const firstLine = String(err?.message ?? e).split("\n").find((l) => l.trim()) ?? "";
  // The database's answer (pg's and PGlite's DatabaseError have a severity), not a socket's errno.
  if (code !== undefined && SQLSTATE.test(code) && typeof err?.severity === "string") {
    if (SAFE_CLASSES.has(code.slice(0, 2))) return new SqlError(`raw query failed (SQLSTATE ${code}): ${firstLine.slice(0, 200)}`, code);
    return new SqlError(`raw query failed (SQLSTATE ${code})`, code);
  }
  // No SQLSTATE: the driver's own errors (ECONNREFUSED, "Connection terminated", "PGlite is
  // closed", the worker's watchdog); they quote no statement or value.
  const out = new SqlError(firstLine.slice(0, 200), code);
  if (typeof err?.name === "string" && err.name !== "Error") out.name = err.name;
  return out;
}

const INT8 = 20;
const TIMESTAMP = 1114;
/** Parsers both backends apply to text-format values, over their defaults. */
export const SQL_PARSERS: Record<number, (value: string) => unknown> = {
  [INT8]: (v) => BigInt(v),
  // Without a zone the value is UTC (as Prisma reads it), not the process's local time.
  [TIMESTAMP]: (v) => new Date(`${v.replace(" ", "T")}Z`),
};

/** Counts queries in flight so that a shutdown can wait for them (Database.close); times each for `onQuery` (ms). */
export function createSqlCounter(onQuery?: (ms: number) => void) {
  let running = 0;
  let waiters: (() => void)[] = [];
  return {
    inFlight: () => running,
    async track<T>(p: () => Promise<T>): Promise<T> {
      running++;
      const t0 = onQuery ? performance.now() : 0;
      try {
        return await p();
      } finally {
        onQuery?.(performance.now() - t0);
        if (--running === 0) {
          const w = waiters;
          waiters = [];
          for (const resolve of w) resolve();
        }
      }
    },
    drain(timeoutMs: number): Promise<number> {
      if (running === 0) return Promise.resolve(0);
      return new Promise<number>((resolve) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== done);
          resolve(running);
        }, timeoutMs);
        timer.unref();
        const done = () => {
          clearTimeout(timer);
          resolve(0);
        };
        waiters.push(done);
      });
    },
  };
}

/** PostgreSQL: statements on `pool`, the one Prisma's adapter uses (no second pool). */
export function createPgSql(pool: pg.Pool, pgTypes: typeof pg.types, onQuery?: (ms: number) => void): Sql {
  const counter = createSqlCounter(onQuery);
  const types = {
    getTypeParser: ((oid: number, format?: "text" | "binary") =>
      (format ?? "text") === "text" && SQL_PARSERS[oid] ? SQL_PARSERS[oid] : pgTypes.getTypeParser(oid, format as "text")) as typeof pgTypes.getTypeParser,
  };
  return {
    query: <T extends object>(text: string, params: readonly unknown[]) =>
      counter.track(async () => {
        try {
          return (await pool.query<T & pg.QueryResultRow>({ text, values: params as unknown[], types })).rows;
        } catch (e) {
          throw toSqlError(e);
        }
      }),
    inFlight: counter.inFlight,
    drain: counter.drain,
  };
}

/**
 * The same seam through Prisma's `$queryRawUnsafe` (which gives the same values): for callers
 * that hold only a PrismaClient, and the reference the raw paths are tested against.
 */
export function prismaSql(prisma: { $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> }): Sql {
  const counter = createSqlCounter();
  return {
    query: <T extends object>(text: string, params: readonly unknown[]) => counter.track(() => prisma.$queryRawUnsafe<T[]>(text, ...params)),
    inFlight: counter.inFlight,
    drain: counter.drain,
  };
}
