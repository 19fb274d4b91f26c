// Worker thread that owns the embedded PGlite database: PostgreSQL in WebAssembly runs here,
// off the server's event loop, behind the same pglite-prisma-adapter; the main thread's
// adapter (pglite-remote.ts) forwards every driver call over the port.
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import type { IsolationLevel, SqlDriverAdapter, SqlQuery, Transaction } from "@prisma/driver-adapter-utils";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { SQL_PARSERS, toSqlError } from "./sql.js";

export type WorkerRequest =
  | { id: number; op: "connect" | "connectShadow" }
  | { id: number; op: "query" | "execute"; target: number; query: SqlQuery }
  | { id: number; op: "script"; target: number; script: string }
  /** A raw statement (the repositories' SQL seam): rows as objects, values parsed as sql.ts says. */
  | { id: number; op: "sql"; text: string; params: unknown[] }
  | { id: number; op: "begin"; target: number; isolationLevel?: IsolationLevel }
  | { id: number; op: "commit" | "rollback" | "dispose"; target: number }
  | { id: number; op: "close" };

export type SerializedError =
  | { kind: "driver"; message: string; cause: unknown }
  | { kind: "error"; name: string; message: string; code?: string; stack?: string };

export type WorkerReply =
  | { type: "ready" }
  | { type: "fatal"; error: SerializedError }
  | { type: "reply"; id: number; ok: true; value: unknown }
  | { type: "reply"; id: number; ok: false; error: SerializedError };

const port = parentPort!;
const { dataDir } = workerData as { dataDir: string | null };

export function serializeError(e: unknown): SerializedError {
  const err = e as { name?: unknown; message?: unknown; cause?: unknown; code?: unknown; stack?: unknown };
  if (err?.name === "DriverAdapterError" && typeof err.cause === "object") {
    // The cause is a plain record ({ kind, originalCode, ... }): it clones as it is.
    return { kind: "driver", message: String(err.message), cause: JSON.parse(JSON.stringify(err.cause)) };
  }
  return {
    kind: "error",
    name: String(err?.name ?? "Error"),
    message: String(err?.message ?? e),
    ...(typeof err?.code === "string" ? { code: err.code } : {}),
    ...(typeof err?.stack === "string" ? { stack: err.stack } : {}),
  };
}

/** Byte arrays in a result move to the main thread instead of being copied. */
function transferables(value: unknown, out: ArrayBuffer[] = []): ArrayBuffer[] {
  if (value instanceof Uint8Array) {
    const buf = value.buffer;
    if (buf instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === buf.byteLength && !out.includes(buf)) out.push(buf);
  } else if (Array.isArray(value)) for (const v of value) transferables(v, out);
  return out;
}

let pglite: PGlite;
try {
  pglite = await PGlite.create(dataDir ?? undefined);
} catch (e) {
  port.postMessage({ type: "fatal", error: serializeError(e) } satisfies WorkerReply);
  throw e;
}
const factory = new PrismaPGlite(pglite);
const adapters = new Map<number, SqlDriverAdapter>();
const transactions = new Map<number, Transaction>();
let nextHandle = 1;

function queryable(target: number) {
  const q = adapters.get(target) ?? transactions.get(target);
  if (!q) throw new Error(`no open connection or transaction #${target} in the database worker`);
  return q;
}

async function handle(req: WorkerRequest): Promise<unknown> {
  switch (req.op) {
    case "connect":
    case "connectShadow": {
      const adapter = await (req.op === "connect" ? factory.connect() : factory.connectToShadowDb());
      const handle = nextHandle++;
      adapters.set(handle, adapter);
      return handle;
    }
    case "query":
      return queryable(req.target).queryRaw(req.query);
    case "execute":
      return queryable(req.target).executeRaw(req.query);
    case "script": {
      // The adapter starts exec without waiting for it (its errors would surface nowhere);
      // wait here, and convert errors the way its queries do.
      const adapter = adapters.get(req.target) as SqlDriverAdapter & { onError(e: unknown): never };
      try {
        await pglite.exec(req.script);
      } catch (e) {
        adapter.onError(e);
      }
      return undefined;
    }
    case "begin": {
      const adapter = adapters.get(req.target);
      if (!adapter) throw new Error(`no open connection #${req.target} in the database worker`);
      const tx = await adapter.startTransaction(req.isolationLevel);
      const handle = nextHandle++;
      transactions.set(handle, tx);
      return { handle, options: tx.options };
    }
    case "commit":
    case "rollback": {
      const tx = transactions.get(req.target);
      if (!tx) throw new Error(`no open transaction #${req.target} in the database worker`);
      transactions.delete(req.target);
      await (req.op === "commit" ? tx.commit() : tx.rollback());
      return undefined;
    }
    case "dispose": {
      const adapter = adapters.get(req.target);
      adapters.delete(req.target);
      await adapter?.dispose();
      return undefined;
    }
    case "sql": {
      try {
        return (await pglite.query(req.text, req.params, { parsers: SQL_PARSERS })).rows;
      } catch (e) {
        // Reduced here: PGlite's error carries the statement and its parameters, and its
        // message may quote a value; none of that leaves this thread.
        throw toSqlError(e);
      }
    }
    case "close":
      await pglite.close();
      return undefined;
  }
}

port.on("message", (req: WorkerRequest) => {
  handle(req).then(
    (value) => port.postMessage({ type: "reply", id: req.id, ok: true, value } satisfies WorkerReply, transferables(value instanceof Object && "rows" in value ? (value as { rows: unknown }).rows : undefined)),
    (e: unknown) => {
      port.postMessage({ type: "reply", id: req.id, ok: false, error: serializeError(e) } satisfies WorkerReply);
      // WebAssembly aborted (out of memory, a PANIC): this PGlite is unusable from now on.
      if (e instanceof Error && (e.name === "RuntimeError" || /Aborted\(/.test(e.message))) {
        port.postMessage({ type: "fatal", error: serializeError(e) } satisfies WorkerReply);
      }
    },
  );
});
port.postMessage({ type: "ready" } satisfies WorkerReply);
