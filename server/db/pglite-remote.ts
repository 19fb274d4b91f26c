// The main thread's side of the PGlite worker: a Prisma driver adapter factory whose calls
// run in the worker, with a watchdog, so a slow or stuck embedded database fails requests
// (UNAVAILABLE) instead of freezing the server's event loop or hanging them.
import { Worker } from "node:worker_threads";
import {
  DriverAdapterError,
  type ConnectionInfo,
  type IsolationLevel,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlResultSet,
  type Transaction,
  type TransactionOptions,
} from "@prisma/driver-adapter-utils";
import type { SerializedError, WorkerReply, WorkerRequest } from "./pglite-worker.js";
import { createSqlCounter, toSqlError, type Sql } from "./sql.js";

const ADAPTER_NAME = "pglite-prisma-adapter";

// Distributes Omit over the request union, so each op keeps its own fields.
type Request = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, "id"> : never) : never;

/** Errors the transport reports as UNAVAILABLE (see transport/errors.ts). */
export class EmbeddedDatabaseUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EmbeddedDatabaseUnavailable";
  }
}

function revive(e: SerializedError): Error {
  if (e.kind === "driver") return new DriverAdapterError(e.cause as ConstructorParameters<typeof DriverAdapterError>[0]);
  const err = new Error(e.message);
  err.name = e.name;
  if (e.code) (err as Error & { code?: string }).code = e.code;
  if (e.stack) err.stack = e.stack;
  return err;
}

export type PGliteWorkerOptions = {
  /** Data directory, or null for an in-memory database. */
  dataDir: string | null;
  /** A call that has no answer after this long fails (the watchdog); 0 turns it off. */
  callTimeoutMs: number;
  /** Told once when the database becomes unavailable (stuck or stopped). */
  onUnavailable?: (reason: string) => void;
};

export class PGliteWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer?: NodeJS.Timeout }>();
  private nextId = 1;
  /** Calls the watchdog gave up on: a transaction the worker opens after all is rolled back. */
  private readonly abandoned = new Map<number, Request["op"]>();
  /** Transactions whose end could not be delivered: rolled back once the worker answers again (else PGlite stays locked). */
  private readonly orphans = new Set<number>();
  /** Set while the worker is past a watchdog timeout (cleared by its next answer), or for good once it stopped. */
  private unavailable: string | null = null;
  private stopped = false;
  readonly ready: Promise<void>;
  private closing = false;

  constructor(private readonly opts: PGliteWorkerOptions) {
    this.worker = new Worker(new URL("./pglite-worker.js", import.meta.url), { workerData: { dataDir: opts.dataDir } });
    this.ready = new Promise<void>((resolve, reject) => {
      this.worker.on("message", (msg: WorkerReply) => {
        if (msg.type === "ready") resolve();
        else if (msg.type === "fatal") {
          reject(revive(msg.error));
          this.stop(`the embedded database stopped: ${msg.error.message.split("\n")[0]}`);
        } else this.settle(msg);
      });
      this.worker.on("error", (e) => {
        reject(e);
        this.stop(`the embedded database stopped: ${e.message.split("\n")[0]}`);
      });
      this.worker.on("exit", (code) => {
        reject(new Error(`the embedded database's worker exited (${code}) before it was ready`));
        this.stop(`the embedded database's worker exited (${code})`);
      });
    });
  }

  private settle(msg: Extract<WorkerReply, { type: "reply" }>) {
    const p = this.pending.get(msg.id);
    // Any answer means the worker is moving again.
    if (!this.stopped) {
      this.unavailable = null;
      for (const handle of this.orphans) this.worker.postMessage({ op: "rollback", target: handle, id: this.nextId++ });
      this.orphans.clear();
    }
    if (!p) {
      if (this.abandoned.get(msg.id) === "begin" && msg.ok) {
        const { handle } = msg.value as { handle: number };
        this.worker.postMessage({ op: "rollback", target: handle, id: this.nextId++ });
      }
      this.abandoned.delete(msg.id);
      return;
    }
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(revive(msg.error));
  }

  private stop(reason: string) {
    if (this.stopped) return;
    this.stopped = true;
    this.markUnavailable(reason);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new EmbeddedDatabaseUnavailable(reason));
    }
    this.pending.clear();
  }

  private markUnavailable(reason: string) {
    // A close the server asked for (shutdown) is not an outage to report.
    if (this.unavailable === null && !this.closing) this.opts.onUnavailable?.(reason);
    this.unavailable = reason;
  }

  call<T>(req: Request, timeoutMs = this.opts.callTimeoutMs): Promise<T> {
    if (this.unavailable !== null) return Promise.reject(new EmbeddedDatabaseUnavailable(this.unavailable));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const entry: { resolve(v: unknown): void; reject(e: Error): void; timer?: NodeJS.Timeout } = { resolve: resolve as (v: unknown) => void, reject };
      if (timeoutMs > 0) {
        entry.timer = setTimeout(() => {
          this.pending.delete(id);
          this.abandoned.set(id, req.op);
          const reason = `the embedded database did not answer within ${Math.round(timeoutMs / 1000)} s (is its disk full?)`;
          this.markUnavailable(reason);
          reject(new EmbeddedDatabaseUnavailable(reason));
        }, timeoutMs);
        entry.timer.unref();
      }
      this.pending.set(id, entry);
      // Arguments are copied, not transferred: Prisma may still hold (pooled) buffers.
      this.worker.postMessage({ ...req, id });
    });
  }

  /** Ends a transaction (rollback) as soon as the worker can be reached again. */
  rollbackLater(handle: number): void {
    this.orphans.add(handle);
  }

  /** Closes PGlite if it answers within graceMs, then ends the thread whatever state it is in. */
  async close(graceMs = 5000): Promise<void> {
    this.closing = true;
    if (!this.stopped && this.unavailable === null) await this.call({ op: "close" }, graceMs).catch(() => undefined);
    this.stop("the embedded database is closed");
    await this.worker.terminate();
  }

  /** The repositories' raw-SQL seam over this worker: statements run in the worker, off this thread. */
  sql(onQuery?: (ms: number) => void): Sql {
    const counter = createSqlCounter(onQuery);
    return {
      query: <T extends object>(text: string, params: readonly unknown[]) =>
        // The worker reduced a database error already; the watchdog's and the closed worker's
        // errors pass through toSqlError unchanged in meaning (their text names no value).
        counter.track(() => this.call<T[]>({ op: "sql", text, params: [...params] }).catch((e: unknown) => {
          throw e instanceof EmbeddedDatabaseUnavailable ? e : toSqlError(e);
        })),
      inFlight: counter.inFlight,
      drain: counter.drain,
    };
  }

  /** A Prisma adapter factory over this worker; timeoutMs overrides the watchdog (migrations). */
  factory(timeoutMs = this.opts.callTimeoutMs): SqlMigrationAwareDriverAdapterFactory {
    const connect = async (op: "connect" | "connectShadow") => new RemoteAdapter(this, await this.call<number>({ op }, timeoutMs), timeoutMs);
    return {
      provider: "postgres",
      adapterName: ADAPTER_NAME,
      connect: () => connect("connect"),
      connectToShadowDb: () => connect("connectShadow"),
    };
  }
}

class RemoteQueryable {
  readonly provider = "postgres" as const;
  readonly adapterName = ADAPTER_NAME;
  constructor(protected readonly worker: PGliteWorker, protected readonly handle: number, protected readonly timeoutMs: number) {}
  queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    return this.worker.call({ op: "query", target: this.handle, query }, this.timeoutMs);
  }
  executeRaw(query: SqlQuery): Promise<number> {
    return this.worker.call({ op: "execute", target: this.handle, query }, this.timeoutMs);
  }
}

class RemoteTransaction extends RemoteQueryable implements Transaction {
  constructor(worker: PGliteWorker, handle: number, timeoutMs: number, readonly options: TransactionOptions) {
    super(worker, handle, timeoutMs);
  }
  commit(): Promise<void> {
    return this.end("commit");
  }
  rollback(): Promise<void> {
    return this.end("rollback");
  }
  private end(op: "commit" | "rollback"): Promise<void> {
    return this.worker.call<void>({ op, target: this.handle }, this.timeoutMs).catch((e: unknown) => {
      // Undelivered, the transaction would hold PGlite's lock for good.
      if (e instanceof EmbeddedDatabaseUnavailable) this.worker.rollbackLater(this.handle);
      throw e;
    });
  }
}

class RemoteAdapter extends RemoteQueryable implements SqlDriverAdapter {
  executeScript(script: string): Promise<void> {
    return this.worker.call({ op: "script", target: this.handle, script }, this.timeoutMs);
  }
  async startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
    const { handle, options } = await this.worker.call<{ handle: number; options: TransactionOptions }>(
      { op: "begin", target: this.handle, ...(isolationLevel ? { isolationLevel } : {}) },
      this.timeoutMs,
    );
    return new RemoteTransaction(this.worker, handle, this.timeoutMs, options);
  }
  getConnectionInfo(): ConnectionInfo {
    // What pglite-prisma-adapter answers (it is the same adapter in the worker).
    return { supportsRelationJoins: true };
  }
  dispose(): Promise<void> {
    return this.worker.call({ op: "dispose", target: this.handle }, this.timeoutMs).then(() => undefined, () => undefined);
  }
}
