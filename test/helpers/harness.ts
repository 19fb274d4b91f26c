// Test harness: a real chat-server on port 0 over PGlite or a fresh PostgreSQL database, and
// real socket.io-client connections that speak the protocol.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { io as connectSocket, type Socket } from "socket.io-client";
import { DEFAULT_LIMITS, resolveConfig, type ConfigOverrides, type LimitConfig } from "../../server/config.js";
import { createLogger } from "../../server/log.js";
import { startServer, type RunningServer } from "../../server/main.js";
import type {
  AuthResponse, ClientToServerEvents, Result, ServerToClientEvents, SessionReady,
} from "../../server/protocol/index.js";

export type Backend = "pglite" | "postgres";
export const DATABASE_URL = process.env["DATABASE_URL"] || undefined;
export const REDIS_URL = process.env["REDIS_URL"] || undefined;
/** The backends this run covers; PostgreSQL only when DATABASE_URL is set. */
export const BACKENDS: Backend[] = DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];
export const SKIPPED_BACKENDS: Backend[] = DATABASE_URL ? [] : ["postgres"];

/** A fresh PostgreSQL database next to DATABASE_URL's, dropped by the returned function. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!DATABASE_URL) throw new Error("DATABASE_URL is not set");
  const name = `sm_test_${randomUUID().replace(/-/g, "").slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * A Redis key prefix of its own: tests on the shared REDIS_URL run concurrently (and fresh
 * databases reuse the same user ids), so each cluster under test keeps its keys apart.
 */
export const redisNamespace = () => `test-${randomUUID().slice(0, 8)}`;

export type TestServer = RunningServer & { backend: Backend; stop(): Promise<void> };

/** Tests register hundreds of users and send in bursts from one address; limits tests set their own. */
export const TEST_LIMITS: LimitConfig = {
  ...DEFAULT_LIMITS,
  messages: { points: 100_000, windowSec: 10 },
  events: { points: 100_000, windowSec: 10 },
  loginsPerAddress: { points: 100_000, windowSec: 60 },
  registrationsPerAddress: { points: 100_000, windowSec: 60 },
  handshakesPerAddress: { points: 100_000, windowSec: 60 },
  connectionsPerAccount: 50,
  // Tests register and log in many users at once on fast (N=2^10) hashes.
  hashQueue: 100_000,
};

export async function startTestServer(backend: Backend, overrides: ConfigOverrides = {}): Promise<TestServer> {
  const fresh = backend === "postgres" ? await freshPostgresDatabase() : null;
  const config = resolveConfig({
    port: 0,
    host: "127.0.0.1",
    dataDir: "memory://",
    databaseUrl: fresh?.url,
    scryptLogN: 10, // fast hashing in tests; production uses 17 (see password.test.ts)
    limits: TEST_LIMITS,
    drainMs: 3000,
    redisPrefix: redisNamespace(),
    ...overrides,
  }, {});
  const server = await startServer(config, createLogger(process.env["TEST_LOG_LEVEL"] ?? "silent"));
  return Object.assign(server, {
    backend,
    async stop() {
      await server.close();
      await fresh?.drop();
    },
  });
}

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export async function api<T = unknown>(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

let counter = 0;
/** A unique nick per call, so tests can share one server. */
export const nick = (prefix = "user") => `${prefix}${process.pid % 1000}x${++counter}${Math.random().toString(36).slice(2, 6)}`;

export async function register(base: string, name = nick(), password = "correct horse"): Promise<AuthResponse> {
  const r = await api<AuthResponse>(base, "/api/v1/register", { nick: name, password });
  if (r.status !== 201) throw new Error(`register ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A connected client that records every event it receives. */
export class Client {
  readonly events: { event: string; payload: unknown }[] = [];
  ready!: SessionReady;
  private waiters: { event: string; pred: (p: any) => boolean; resolve: (p: any) => void }[] = [];

  constructor(readonly socket: ClientSocket, readonly auth: AuthResponse) {
    socket.onAny((event: string, payload: unknown) => {
      this.events.push({ event, payload });
      this.waiters = this.waiters.filter((w) => {
        if (w.event !== event || !w.pred(payload)) return true;
        w.resolve(payload);
        return false;
      });
    });
  }

  get user() {
    return this.auth.user;
  }

  request<E extends keyof ClientToServerEvents>(event: E, payload: unknown): Promise<Result<any>> {
    return this.socket.timeout(30_000).emitWithAck(event as any, payload as any) as Promise<Result<any>>;
  }

  async ok<T = any>(event: keyof ClientToServerEvents, payload: unknown): Promise<T> {
    const r = await this.request(event, payload);
    if (!r.ok) throw new Error(`${event} failed: ${r.error.code} ${r.error.message}`);
    return r.data as T;
  }

  /** Resolves with the first matching event, including one already received. */
  next<T = any>(event: string, pred: (p: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
    const seen = this.events.find((e) => e.event === event && pred(e.payload as T));
    if (seen) return Promise.resolve(seen.payload as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), timeoutMs);
      this.waiters.push({ event, pred, resolve: (p) => { clearTimeout(timer); resolve(p); } });
    });
  }

  received(event: string, pred: (p: any) => boolean = () => true): unknown[] {
    return this.events.filter((e) => e.event === event && pred(e.payload)).map((e) => e.payload);
  }

  close(): void {
    this.socket.disconnect();
  }
}

export function rawSocket(url: string, auth: Record<string, unknown> | undefined): ClientSocket {
  return connectSocket(url, { transports: ["websocket"], auth: auth ?? {}, reconnection: false, forceNew: true });
}

/** Connects with a token and waits for session:ready. */
export async function connect(url: string, auth: AuthResponse): Promise<Client> {
  const socket = rawSocket(url, { token: auth.token });
  const client = new Client(socket, auth);
  const started = Date.now();
  client.ready = await new Promise<SessionReady>((resolve, reject) => {
    socket.once("session:ready", resolve);
    socket.once("connect_error", reject);
    setTimeout(() => reject(new Error(`no session:ready within 20 s (handshake ${socket.connected ? "accepted" : "not answered"}, events: ${client.events.map((e) => e.event).join(",") || "none"})`)), 20_000);
  });
  if (Date.now() - started > 3000) console.error(`slow connect: ${Date.now() - started} ms`);
  return client;
}

/** Registers a fresh user and connects them. */
export async function newUser(server: { url: string }, prefix?: string): Promise<Client> {
  return connect(server.url, await register(server.url, nick(prefix)));
}

/** Waits for the connect_error of a refused handshake and returns its data. */
export function refusedHandshake(url: string, auth: Record<string, unknown> | undefined): Promise<{ message: string; data?: { code: string } }> {
  const socket = rawSocket(url, auth);
  return new Promise((resolve, reject) => {
    socket.once("connect", () => {
      socket.disconnect();
      reject(new Error("the handshake was accepted"));
    });
    socket.once("connect_error", (err: Error & { data?: { code: string } }) => {
      socket.disconnect();
      resolve(err);
    });
  });
}

/** How a handshake ends: "ready" (session:ready), the refusal's code, or "timeout" after 20 s. */
export function handshakeOutcome(socket: { once(event: string, fn: (arg: any) => void): unknown }): Promise<string> {
  return new Promise<string>((resolve) => {
    socket.once("session:ready", () => resolve("ready"));
    socket.once("connect_error", (e: Error & { data?: { code: string } }) => resolve(e.data?.code ?? e.message));
    setTimeout(() => resolve("timeout"), 20_000);
  });
}

export const uuid = () => randomUUID();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Registers one server per backend for the file; skipped backends are announced by title. */
export function perBackend(
  test: { before: (fn: () => Promise<void>) => void; after: { always: (fn: () => Promise<void>) => void } },
  overrides: ConfigOverrides = {},
): Map<Backend, TestServer> {
  const servers = new Map<Backend, TestServer>();
  test.before(async () => {
    for (const b of BACKENDS) servers.set(b, await startTestServer(b, overrides));
  });
  test.after.always(async () => {
    for (const s of servers.values()) await s.stop();
  });
  return servers;
}

