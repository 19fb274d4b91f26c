// Benchmark plumbing: result rows, statistics, child processes (always killed), seeded servers.
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { resolveConfig } from "../../server/config.js";
import { openDatabase, type Database } from "../../server/db/client.js";
import { createServices } from "../../server/main.js";
import type { Notifier } from "../../server/services/ports.js";
import { freshPostgresDatabase } from "../../test/helpers/harness.js";
import { freePort, spawnServer, type ServerProcess } from "../../test/helpers/process.js";

export { freePort };
export const HERE = path.dirname(fileURLToPath(import.meta.url));
export { Histogram, now, percentile, sleep, stampedText } from "./common.js";

// ---- results --------------------------------------------------------------------------------

export type Target = { op: ">=" | "<="; value: number; text: string };
/** One figure of a benchmark, with its reference measured in the same run and its target. */
export type Row = {
  bench: string;
  metric: string;
  unit: string;
  value: number | null;
  /** Why there is no value (a prerequisite is missing). */
  skipped?: string;
  /** References measured in the same run: the ratio is value / reference. */
  refs?: { name: string; value: number | null; skipped?: string }[];
  target?: Target;
  note?: string;
};
export type BenchOutput = { rows: Row[]; details?: Record<string, unknown> };

export type Ctx = {
  quick: boolean;
  /** Run chat-server with --cpu-prof where a benchmark supports it (fan-out, throughput): profiled figures are slower. */
  profile: boolean;
  log: (msg: string) => void;
  /** A temporary directory removed at the end of the run. */
  tmp: () => Promise<string>;
};

/** value / reference: >1 means more than the reference (slower for times, more for rates). */
export function ratio(row: Row, ref: NonNullable<Row["refs"]>[number]): number | null {
  if (row.value === null || ref.value === null || ref.value === 0) return null;
  return row.value / ref.value;
}

/** How far a figure is from its target, as a ratio >= 1 when met (value/target for >=, target/value for <=). */
export function targetRatio(row: Row): number | null {
  if (!row.target || row.value === null) return null;
  if (row.target.op === ">=") return row.value / row.target.value;
  return row.value === 0 ? Infinity : row.target.value / row.value;
}

export function verdict(row: Row): string {
  if (row.value === null) return "skipped";
  const r = targetRatio(row);
  if (r === null) return "-";
  return r >= 1 ? "met" : "missed";
}

// ---- processes ------------------------------------------------------------------------------

const children = new Set<ChildProcess>();
/** Clean-ups (databases to drop, tmux servers to stop) for a run that ends before a benchmark does them itself. */
export const pendingDrops = new Set<() => Promise<void>>();

/** Registers a child so it is killed when the run ends, fails or is interrupted. */
export function track<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

export function killAll(): void {
  for (const c of children) {
    try {
      // A child started in a process group of its own (spawnTracked: chat-server, chromium) goes
      // with everything it started (chromium's renderers and GPU process).
      process.kill(-c.pid!, "SIGKILL");
    } catch {
      try {
        c.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  children.clear();
}

/** Stops a child gently (SIGTERM), then with SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Resident memory of a process in bytes, from /proc. */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** CPU time (user + system) a process has used, in ms. */
export function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks of 10 ms
}

/** CPU ms of each thread of a process, by thread name (main thread, libuv pool, V8, workers). */
export function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
      const key = tid === String(pid) ? "main" : name;
      out.set(key, (out.get(key) ?? 0) + ((Number(f[11]) + Number(f[12])) * 1000) / 100);
    } catch {
      // the thread ended
    }
  }
  return out;
}

export function machine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  return {
    nproc: os.availableParallelism(),
    cpu: model,
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
  };
}

/** The soft limit on open files of this process (children inherit it). */
export function fdLimit(): number {
  const m = /Max open files\s+(\d+)/.exec(readFileSync("/proc/self/limits", "utf8"));
  return m ? Number(m[1]) : 1024;
}

/**
 * Raises this process's open-files limit (soft and, as root, hard) as far as the kernel allows
 * (fs.nr_open), with prlimit(1) since Node has no setrlimit; the server and the workers it
 * spawns inherit it. Returns what the limit is afterwards.
 */
export function raiseFdLimit(): number {
  try {
    const max = Number(readFileSync("/proc/sys/fs/nr_open", "utf8").trim()) || 1_048_576;
    const hard = Number(/Max open files\s+\d+\s+(\d+)/.exec(readFileSync("/proc/self/limits", "utf8"))?.[1] ?? 0);
    for (const n of [max, hard]) {
      try {
        if (n > 0) execFileSync("prlimit", [`--pid=${process.pid}`, `--nofile=${n}:${n}`], { stdio: "ignore" });
        break;
      } catch {
        // not root: try the hard limit next
      }
    }
  } catch {
    // no prlimit or no /proc: keep the limit the shell gave
  }
  return fdLimit();
}

// ---- workers --------------------------------------------------------------------------------

/** A forked worker (scripts/bench/worker.ts) that hosts load-generating clients; call() is RPC over IPC. */
export type Worker = { child: ChildProcess; call<T = any>(cmd: string, args?: Record<string, unknown>): Promise<T>; close(): Promise<void> };

/** The longest any worker command may take (a 10,000-socket connect on two cores is the slowest). */
const CALL_TIMEOUT_MS = 180_000;

export function startWorker(name: string): Worker {
  const child = track(fork(path.join(HERE, "worker.js"), [name], { stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced" }));
  child.on("error", () => {}); // a closed IPC channel shows as a rejected call instead
  let seq = 0;
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  child.on("message", (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new Error(`worker ${name}: ${m.error}`));
  });
  child.once("exit", (code) => {
    for (const p of pending.values()) p.reject(new Error(`worker ${name} exited (${code})`));
    pending.clear();
  });
  return {
    child,
    call(cmd, args = {}) {
      const id = ++seq;
      if (!child.connected) return Promise.reject(new Error(`worker ${name} is gone`));
      return new Promise((resolve, reject) => {
        // Every command is bounded; one that never answers fails the benchmark, not the run.
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`worker ${name}: ${cmd} did not answer within ${CALL_TIMEOUT_MS / 1000} s`));
        }, CALL_TIMEOUT_MS);
        pending.set(id, {
          resolve: (v) => (clearTimeout(timer), resolve(v)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
        child.send({ id, cmd, args });
      });
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await this.call("exit").catch(() => undefined);
      await stopChild(child, 2000);
    },
  };
}

// ---- seeded chat servers --------------------------------------------------------------------

const offlineNotifier: Notifier = { toUser() {}, toChat() {}, toAll() {}, toPresence() {}, message() {}, subscribe() {}, unsubscribe() {}, endSession() {}, endUser() {} };

export type SeedUser = { id: number; nick: string; token: string };
export type Seed = {
  backend: "pglite" | "postgres";
  /** chat-server arguments selecting the database. */
  args: string[];
  users: SeedUser[];
  generalId: number;
  rooms: { id: number; members: number[] }[];
  drop(): Promise<void>;
};

/** The database a seed uses, opened in this process (the server must not be running). */
export function openSeedDatabase(seed: Seed): Promise<Database> {
  const i = seed.args.indexOf(seed.backend === "pglite" ? "--data-dir" : "--database-url");
  const where = seed.args[i + 1]!;
  // Migrated already by seedDatabase.
  return openDatabase(seed.backend === "pglite" ? { dataDir: where, migrate: false } : { dataDir: "", databaseUrl: where, migrate: false });
}

/**
 * A database with `users` accounts (each with a session token) and `rooms` rooms whose members
 * are consecutive users, created through the services (fast scrypt: nobody logs in with a
 * password), then closed so that a chat-server process can open it.
 */
export async function seedDatabase(ctx: Ctx, opts: { backend: "pglite" | "postgres"; users: number; roomSize?: number; rooms?: number }): Promise<Seed> {
  let args: string[];
  let drop: () => Promise<void>;
  let db: Database;
  if (opts.backend === "pglite") {
    const dir = path.join(await ctx.tmp(), "pgdata");
    db = await openDatabase({ dataDir: dir });
    args = ["--data-dir", dir];
    drop = async () => {};
  } else {
    const fresh = await freshPostgresDatabase();
    db = await openDatabase({ dataDir: "", databaseUrl: fresh.url });
    args = ["--database-url", fresh.url];
    const once = async () => {
      pendingDrops.delete(once);
      await fresh.drop();
    };
    pendingDrops.add(once);
    drop = once;
  }
  try {
    const config = resolveConfig({ scryptLogN: 10, dataDir: "memory://" }, {});
    const { accounts, chat } = createServices(db, config, offlineNotifier);
    const users: SeedUser[] = [];
    const tag = Math.random().toString(36).slice(2, 6);
    const batch = 16;
    for (let i = 0; i < opts.users; i += batch) {
      const made = await Promise.all(
        Array.from({ length: Math.min(batch, opts.users - i) }, (_, j) => accounts.register({ nick: `b${tag}${i + j}`, password: "bench-password" })),
      );
      users.push(...made.map((r) => ({ id: r.user.id, nick: r.user.nick, token: r.token })));
    }
    const rooms: Seed["rooms"] = [];
    for (let r = 0; r < (opts.rooms ?? 0); r++) {
      const members = Array.from({ length: opts.roomSize! }, (_, k) => r * opts.roomSize! + k);
      const owner = users[members[0]!]!;
      const dto = await chat.createRoom({ id: owner.id, nick: owner.nick, role: "user" }, { name: `room-${tag}-${r}` });
      for (const k of members.slice(1)) await chat.invite({ id: owner.id, nick: owner.nick, role: "user" }, dto.id, users[k]!.nick);
      rooms.push({ id: dto.id, members });
    }
    const general = (await chat.snapshot({ id: users[0]!.id, nick: users[0]!.nick, role: "user" })).chats.find((c) => c.name === "general")!.id;
    return { backend: opts.backend, args, users, generalId: general, rooms, drop };
  } finally {
    await db.close();
  }
}

export type ChatProcess = ServerProcess & { port: number; pid: number; stop(): Promise<void> };

/** chat-server as a child process on a seeded database (spawnServer), with bench limits from the environment. */
export async function startChatServer(seed: Seed, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<ChatProcess> {
  const port = await freePort();
  const limits = {
    messages: { points: 1_000_000, windowSec: 10 },
    events: { points: 1_000_000, windowSec: 10 },
    handshakesPerAddress: { points: 1_000_000, windowSec: 10 },
    hashQueue: 1_000_000,
    connectionsPerAccount: 100_000,
  };
  const server = await spawnServer(["--port", String(port), "--drain-seconds", "1", ...seed.args], {
    CHAT_RATE_LIMITS: JSON.stringify(limits),
    LOG_LEVEL: "error",
    HOST: "127.0.0.1", // loopback only, whatever the shell's HOST says
    ...env,
  }, nodeArgs);
  track(server.child);
  return Object.assign(server, { port, pid: server.child.pid!, stop: () => stopChild(server.child, 15_000) });
}

export async function makeTmp(): Promise<{ tmp: () => Promise<string>; cleanup: () => Promise<void> }> {
  const base = await mkdtemp(path.join(os.tmpdir(), "chat-bench-"));
  let n = 0;
  return {
    tmp: async () => {
      const { mkdir } = await import("node:fs/promises");
      const d = path.join(base, String(++n));
      await mkdir(d, { recursive: true });
      return d;
    },
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
}

/**
 * How a page of messages was loaded before the repository's one statement (Prisma `include`, one
 * query per relation): the same-run reference of the history and search benchmarks.
 */
export const PRISMA_INCLUDE = {
  sender: { select: { nick: true } },
  file: true,
  deletedBy: { select: { nick: true } },
  replyTo: { select: { id: true, text: true, deletedAt: true, sender: { select: { nick: true } } } },
  reactions: { select: { emoji: true, user: { select: { nick: true } } }, orderBy: { createdAt: "asc" } },
} as const;
