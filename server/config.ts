// Server configuration: defaults, environment and command-line values resolved in one place.
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FileLimits } from "./services/files.js";

export type Config = {
  host: string;
  port: number;
  /** PostgreSQL connection string; when absent the embedded PGlite database is used. */
  databaseUrl: string | undefined;
  /** Data directory of the embedded database; undefined with databaseUrl, "memory://" for tests. */
  dataDir: string;
  sessionTtlMs: number;
  /** log2 of scrypt's N; 17 in production. Tests lower it to keep hashing fast. */
  scryptLogN: number;
  logLevel: string;
  /** Redis for shared rate limits (and, in a cluster, the Socket.IO adapter). */
  redisUrl: string | undefined;
  /**
   * Prefix of every Redis key and stream this deployment uses (env CHAT_REDIS_PREFIX), so
   * deployments sharing one Redis stay apart; every node of one cluster must use the same.
   */
  redisPrefix: string;
  /** Browser origins allowed to open a socket; requests without an Origin (native clients) always are. */
  allowedOrigins: string[];
  /**
   * Honour X-Forwarded-For from reverse proxies when counting per-address limits: true (or 1)
   * trusts the one proxy in front of the server, n trusts n proxies in a chain; the address used
   * is the one the outermost trusted proxy appended (n-th entry from the right).
   */
  trustProxy: boolean | number;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** How long a shutdown waits for handlers in flight before closing anyway. */
  drainMs: number;
  /** Cluster: a node whose heartbeat is this old is taken for dead and its users offline. */
  nodeTtlMs: number;
  /** Protocol >= 2 presence: above this many online users only the count is sent (CHAT_PRESENCE_THRESHOLD). */
  presenceThreshold: number;
  /** Protocol >= 2 presence: changes are coalesced into one batch per this many ms (CHAT_PRESENCE_TICK_MS). */
  presenceTickMs: number;
  /**
   * How often each node re-checks the sessions of its sockets in the database (revocation,
   * expiry, ban, role); a request is served only on a session checked within 1.5 times this.
   */
  sessionCheckMs: number;
  /**
   * Heartbeat: each socket is pinged this often when idle (CHAT_PING_INTERVAL_MS) and dropped
   * when the answer takes longer than pingTimeoutMs (CHAT_PING_TIMEOUT_MS). Every ping wakes
   * the server once per socket, so at 10,000 idle sockets the interval is most of the idle CPU.
   */
  pingIntervalMs: number;
  pingTimeoutMs: number;
  limits: LimitConfig;
  files: FileLimits;
  /** Concurrent message appends share one INSERT (on by default; CHAT_GROUP_COMMIT=0 turns it off, for benchmarks). */
  groupCommit: boolean;
  /** Room broadcasts as one pre-encoded frame below engine.io (on by default; CHAT_BROADCAST_FASTPATH=0 turns it off, for benchmarks). */
  broadcastFastPath: boolean;
  /** Every socket's heartbeat on one timer wheel (on by default; CHAT_HEARTBEAT_WHEEL=0 leaves engine.io's two timers per socket). */
  heartbeatWheel: boolean;
  /**
   * Each node keeps what a send checks (membership, chat, mute) and reads the send epoch instead
   * (one read for the sends that arrive together); on by default, CHAT_SEND_CACHE=0 reads it all
   * on every send (for benchmarks).
   */
  sendCache: boolean;
  /**
   * Group INSERTs in flight at once, each for its own share of the chats (a chat's messages go
   * through one, so its ids follow the order of the appends). CHAT_COMMIT_LANES; default 4 on
   * PostgreSQL, always 1 on PGlite (one connection).
   */
  commitLanes: number;
  /**
   * The secret chat-sshd proves itself with on POST /api/v1/gateway/key-login (env
   * CHAT_GATEWAY_SECRET, or the file CHAT_GATEWAY_SECRET_FILE); unset: no gateway may log in.
   */
  gatewaySecret: string | undefined;
  /** Serve the browser client at `/` (on by default; --no-web or CHAT_WEB=0 turns it off). */
  web: boolean;
  /** Where the built browser client is (default: dist/web beside the server). */
  webDir: string | undefined;
};

/** Rate limits: points per window; a socket that keeps hitting them is disconnected. */
export type LimitConfig = {
  /** message:send per account (all its sockets, every node sharing Redis). */
  messages: { points: number; windowSec: number };
  /**
   * Sends over `messages` wait in a queue per account (and node) of at most this many messages
   * and bytes, released as points come back; only past it are they refused.
   */
  messageQueue: { messages: number; bytes: number };
  /** Every other event, per account. */
  events: { points: number; windowSec: number };
  /** file:chunk and file:read events (64 KiB each), per account. */
  fileChunks: { points: number; windowSec: number };
  /** Socket.IO handshakes per client address. */
  handshakesPerAddress: { points: number; windowSec: number };
  /** Password hashes waiting for one of the hashing slots; a login or registration past it is refused as busy. */
  hashQueue: number;
  loginFailuresPerAccount: { points: number; windowSec: number };
  loginsPerAddress: { points: number; windowSec: number };
  registrationsPerAddress: { points: number; windowSec: number };
  connectionsPerAccount: number;
  /** Refusals within one events window after which the socket is disconnected. */
  strikes: number;
};

export const DEFAULT_LIMITS: LimitConfig = {
  messages: { points: 30, windowSec: 10 },
  // One window's worth: every queued message is released when the window ends (at most 10 s).
  messageQueue: { messages: 30, bytes: 256 * 1024 },
  events: { points: 120, windowSec: 10 },
  // 200 chunks a second: 12.5 MiB/s per account.
  fileChunks: { points: 2000, windowSec: 10 },
  handshakesPerAddress: { points: 120, windowSec: 60 },
  // Behind 4 hashing slots: at N=2^17 the last in the queue waits about 2 s.
  hashQueue: 32,
  loginFailuresPerAccount: { points: 10, windowSec: 15 * 60 },
  loginsPerAddress: { points: 60, windowSec: 15 * 60 },
  registrationsPerAddress: { points: 10, windowSec: 3600 },
  connectionsPerAccount: 10,
  strikes: 20,
};

const MiB = 1024 * 1024;
export const DEFAULT_FILE_LIMITS: FileLimits = {
  maxFileBytes: 25 * MiB,
  quotaBytesPerUser: 1024 * MiB,
  maxTransfersPerUser: 3,
  uploadIdleMs: 3600 * 1000,
};

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1000, kib: 1024, m: MiB, mb: 1e6, mib: MiB, g: 1024 * MiB, gb: 1e9, gib: 1024 * MiB };
/** "25MiB", "500k", "1g", "1048576" -> bytes. */
export function parseSize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = SIZE_UNITS[(m?.[2] ?? "").toLowerCase()];
  if (!m || unit === undefined) throw new Error(`${what}: "${text}" is not a size (e.g. 25MiB, 500k, 1g)`);
  return Math.floor(Number(m[1]) * unit);
}

function fileLimits(env: NodeJS.ProcessEnv): FileLimits {
  const limits = { ...DEFAULT_FILE_LIMITS };
  if (env["CHAT_MAX_FILE_SIZE"]) limits.maxFileBytes = parseSize(env["CHAT_MAX_FILE_SIZE"], "CHAT_MAX_FILE_SIZE");
  if (env["CHAT_FILE_QUOTA"]) limits.quotaBytesPerUser = parseSize(env["CHAT_FILE_QUOTA"], "CHAT_FILE_QUOTA");
  if (env["CHAT_MAX_TRANSFERS"]) limits.maxTransfersPerUser = Number(env["CHAT_MAX_TRANSFERS"]);
  if (env["CHAT_UPLOAD_IDLE_SEC"]) limits.uploadIdleMs = Number(env["CHAT_UPLOAD_IDLE_SEC"]) * 1000;
  return limits;
}

/** DEFAULT_LIMITS with the overrides in CHAT_RATE_LIMITS, a JSON object of the same shape. */
export function parseLimits(json: string | undefined): LimitConfig {
  if (!json) return DEFAULT_LIMITS;
  let parsed: Partial<LimitConfig>;
  try {
    parsed = JSON.parse(json) as Partial<LimitConfig>;
  } catch {
    throw new Error(`CHAT_RATE_LIMITS is not valid JSON: ${json.slice(0, 60)}`);
  }
  // Merge per limit, so {"messages":{"points":60}} keeps the default window.
  const merged: Record<string, unknown> = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(parsed)) {
    const base = (DEFAULT_LIMITS as Record<string, unknown>)[key];
    if (base === undefined) throw new Error(`CHAT_RATE_LIMITS: unknown limit "${key}"; known: ${Object.keys(DEFAULT_LIMITS).join(", ")}`);
    merged[key] = typeof base === "object" && base !== null && typeof value === "object" ? { ...base, ...value } : value;
  }
  return merged as LimitConfig;
}

/** TRUST_PROXY: "1"/"true" trusts one proxy, "2".."9" that many in a chain; anything else none. */
export function parseTrustProxy(value: string | undefined): boolean | number {
  if (value === "1" || value === "true") return true;
  return value && /^[2-9]$/.test(value) ? Number(value) : false;
}

/** Per-user data directory: $XDG_DATA_HOME/socket-messenger or ~/.local/share/socket-messenger. */
export function defaultDataDir(env = process.env): string {
  const base = env["XDG_DATA_HOME"] || path.join(os.homedir(), ".local", "share");
  return path.join(base, "socket-messenger", "pgdata");
}

/**
 * The heartbeat's defaults (see Config.pingIntervalMs): a dead peer is dropped within 60 s.
 * 40 s rather than 20 s halves the idle CPU of many sockets (10,000: 3.9 -> 2.8 % of a core)
 * and stays under the 60 s read timeout proxies such as nginx default to.
 */
export const PING_DEFAULTS = { intervalMs: 40_000, timeoutMs: 20_000 };

export type ConfigOverrides = Partial<Omit<Config, "files">> & { files?: Partial<FileLimits> };

export function resolveConfig(overrides: ConfigOverrides = {}, env = process.env): Config {
  const config: Config = {
    host: env["HOST"] || "127.0.0.1",
    port: env["PORT"] ? Number(env["PORT"]) : 3000,
    databaseUrl: env["DATABASE_URL"] || undefined,
    dataDir: env["CHAT_DATA_DIR"] || defaultDataDir(env),
    sessionTtlMs: 30 * 24 * 3600 * 1000,
    scryptLogN: 17,
    logLevel: env["LOG_LEVEL"] || "info",
    redisUrl: env["REDIS_URL"] || undefined,
    redisPrefix: env["CHAT_REDIS_PREFIX"] || "chat",
    allowedOrigins: (env["ALLOWED_ORIGINS"] ?? "").split(",").map((o) => o.trim()).filter(Boolean),
    trustProxy: parseTrustProxy(env["TRUST_PROXY"]),
    tlsCert: env["TLS_CERT"] || undefined,
    tlsKey: env["TLS_KEY"] || undefined,
    drainMs: 10_000,
    nodeTtlMs: env["CHAT_NODE_TTL_MS"] ? Number(env["CHAT_NODE_TTL_MS"]) : 15_000,
    presenceThreshold: env["CHAT_PRESENCE_THRESHOLD"] ? Number(env["CHAT_PRESENCE_THRESHOLD"]) : 200,
    presenceTickMs: env["CHAT_PRESENCE_TICK_MS"] ? Number(env["CHAT_PRESENCE_TICK_MS"]) : 100,
    sessionCheckMs: env["CHAT_SESSION_CHECK_MS"] ? Number(env["CHAT_SESSION_CHECK_MS"]) : 1000,
    pingIntervalMs: env["CHAT_PING_INTERVAL_MS"] ? Number(env["CHAT_PING_INTERVAL_MS"]) : PING_DEFAULTS.intervalMs,
    pingTimeoutMs: env["CHAT_PING_TIMEOUT_MS"] ? Number(env["CHAT_PING_TIMEOUT_MS"]) : PING_DEFAULTS.timeoutMs,
    limits: parseLimits(env["CHAT_RATE_LIMITS"]),
    files: fileLimits(env),
    groupCommit: env["CHAT_GROUP_COMMIT"] !== "0",
    broadcastFastPath: env["CHAT_BROADCAST_FASTPATH"] !== "0",
    heartbeatWheel: env["CHAT_HEARTBEAT_WHEEL"] !== "0",
    sendCache: env["CHAT_SEND_CACHE"] !== "0",
    commitLanes: env["CHAT_COMMIT_LANES"] ? Math.max(1, Math.floor(Number(env["CHAT_COMMIT_LANES"])) || 1) : 4,
    web: env["CHAT_WEB"] !== "0",
    webDir: env["CHAT_WEB_DIR"] || undefined,
    gatewaySecret: env["CHAT_GATEWAY_SECRET"] || (env["CHAT_GATEWAY_SECRET_FILE"] ? readFileSync(env["CHAT_GATEWAY_SECRET_FILE"], "utf8").trim() : undefined),
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    if (k === "files") {
      for (const [fk, fv] of Object.entries(v as Partial<FileLimits>)) if (fv !== undefined) (config.files as Record<string, unknown>)[fk] = fv;
    } else (config as Record<string, unknown>)[k] = v;
  }
  if (config.gatewaySecret !== undefined && config.gatewaySecret.length < 32) throw new Error("the gateway secret must be at least 32 characters (e.g. `openssl rand -base64 32`)");
  if (Boolean(config.tlsCert) !== Boolean(config.tlsKey)) throw new Error("TLS needs both --tls-cert and --tls-key");
  const f = config.files;
  if (!(f.maxFileBytes >= 0 && f.quotaBytesPerUser >= 0 && Number.isInteger(f.maxTransfersPerUser) && f.maxTransfersPerUser >= 1 && f.uploadIdleMs >= 1000)) {
    throw new Error("file limits: sizes cannot be negative, at least one transfer is allowed, and the upload timeout is at least 1 s");
  }
  if (typeof config.trustProxy === "number" && !(Number.isInteger(config.trustProxy) && config.trustProxy >= 0 && config.trustProxy <= 9)) {
    throw new Error(`the number of trusted proxies must be 0 to 9, got ${String(config.trustProxy)}`);
  }
  if (!(Number.isInteger(config.pingIntervalMs) && config.pingIntervalMs >= 1000 && Number.isInteger(config.pingTimeoutMs) && config.pingTimeoutMs >= 1000)) {
    throw new Error(`the ping interval and timeout are whole milliseconds, at least 1000, got ${String(config.pingIntervalMs)} and ${String(config.pingTimeoutMs)}`);
  }
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw new Error(`port must be a number from 0 to 65535, got ${String(config.port)}`);
  }
  return config;
}
