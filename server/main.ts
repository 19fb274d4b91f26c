// Composition root: config -> database -> services -> Socket.IO -> listen; and shutdown.
import { readFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { createAdapter } from "@socket.io/redis-streams-adapter";
import { createClusterPresence } from "./cluster/presence.js";
import { connectRedis, redactUrl, type RedisLink } from "./cluster/redis.js";
import type { Config } from "./config.js";
import { openDatabase, type Database } from "./db/client.js";
import { CONTROL_SOCKET } from "./db/data-dir.js";
import { createRepositories, warmUp } from "./db/repositories.js";
import { createAuditLog, createLogger, safeError, type Logger } from "./log.js";
import type { ClusterMetrics, ServerShutdown } from "./protocol/index.js";
import { createAccountService, type AccountService } from "./services/accounts.js";
import { createChatService, type ChatService } from "./services/chat.js";
import { createConversationService } from "./services/conversations.js";
import { createFileService, type FileService } from "./services/files.js";
import { createModerationService } from "./services/moderation.js";
import { createScryptHasher, type PasswordHasher } from "./services/password.js";
import { noAudit, type AuditLog, type Notifier } from "./services/ports.js";
import { createPresenceService, type PresenceService } from "./services/presence.js";
import { startControlServer, type ControlServer } from "./transport/control.js";
import { createHttpHandler } from "./transport/http.js";
import { createWebHandler, DEFAULT_WEB_DIR } from "./transport/web.js";
import { attachSocketHandlers, createIo, createNotifier, fastPathOf, heartbeatOf, type ChatServer } from "./transport/io.js";
import { createLimits } from "./transport/limits.js";
import { createMetrics, type Metrics } from "./metrics.js";

export type RunningServer = {
  url: string;
  port: number;
  db: Database;
  io: ChatServer;
  http: HttpServer;
  accounts: AccountService;
  chat: ChatService;
  files: FileService;
  hasher: PasswordHasher;
  log: Logger;
  /** Tells clients, waits `inSeconds`, drains handlers in flight, closes. Idempotent. */
  shutdown(opts?: { inSeconds?: number; reason?: string }): Promise<void>;
  /** Resolves once the server has shut down (by shutdown(), admin:shutdown or close()). */
  closed: Promise<void>;
  close(): Promise<void>;
};

/** Services over an open database, without a network listener (the CLI's user commands). */
export function createServices(db: Database, config: Config, notifier: Notifier, presence: PresenceService = createPresenceService({ notifier, options: { threshold: config.presenceThreshold, tickMs: config.presenceTickMs } }), audit: AuditLog = noAudit) {
  const repos = createRepositories(db.prisma, {
    sql: db.sql,
    groupCommit: config.groupCommit, sendCache: config.sendCache, commitLanes: db.kind === "pglite" ? 1 : config.commitLanes,
  });
  const hasher = createScryptHasher({ logN: config.scryptLogN, maxQueue: config.limits.hashQueue });
  const accounts = createAccountService({ repos, hasher, notifier, sessionTtlMs: config.sessionTtlMs, audit });
  const chat = createChatService({ repos, notifier, presence });
  const moderation = createModerationService({ repos, notifier, audit });
  const files = createFileService({ repos, chat, limits: config.files });
  const conversations = createConversationService({ repos, notifier });
  return { repos, presence, accounts, chat, moderation, files, conversations, hasher };
}

/** The adapter's stream: its own default for the default prefix, so nodes of older releases still hear it. */
const adapterStream = (prefix: string) => (prefix === "chat" ? "socket.io" : `${prefix}:socket.io`);

export async function startServer(config: Config, log: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  // The metrics exist before the database so that its queries are timed from the start.
  let metrics: Metrics | undefined;
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    onQuery: (ms) => metrics?.dbQuery(ms / 1000),
    command: `chat-server serve (port ${config.port})`,
    onUnavailable: (reason) =>
      log.error({ reason }, "embedded database unavailable: requests fail with UNAVAILABLE until it answers again; if it does not, free disk space and restart the server"),
    onIdleError: (e) => log.warn({ err: safeError(e) }, "an idle database connection failed; the pool opens another when needed"),
    onStaleLock: (holder) => log.warn({ dataDir: config.dataDir, previous: holder }, "took over the data directory's lock: the process that held it no longer exists"),
  });
  log.info({ database: db.kind, location: db.location, migrationsApplied: db.applied }, "database ready");
  if (db.permissionsFixed) {
    log.warn({ dataDir: config.dataDir, fixed: db.permissionsFixed }, "made files and directories in the data directory readable by their owner only");
  }
  if (db.skeletons.filled > 0) log.info({ filled: db.skeletons.filled }, "stored the lookalike keys of existing nicknames and room names");
  for (const l of db.skeletons.lookalikes) {
    log.warn(l, `existing ${l.kind} name looks like an older one; it keeps working, and new names are checked against the older one`);
  }
  if (db.kind === "pglite") {
    log.warn(
      "embedded database: an acknowledged message survives a crash or kill of this process, but PGlite runs with fsync=off, " +
        "so a power failure or kernel crash can lose the last seconds of writes; use PostgreSQL (DATABASE_URL) where that matters",
    );
  }

  let link: RedisLink | undefined;
  const nodeId = `${os.hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  if (config.redisUrl) {
    // Bounded: a Redis that is not there at start is an error the operator sees, not a hang.
    link = await connectRedis({ url: config.redisUrl, log }).catch(async (e: unknown) => {
      await db.close().catch(() => undefined);
      throw e;
    });
    log.info({ redis: redactUrl(config.redisUrl), node: nodeId }, "cluster mode: Socket.IO Redis streams adapter, presence and rate limits in Redis");
  }
  const redis = link?.client;

  const tls = config.tlsCert && config.tlsKey ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } : null;
  const serverOpts = { requestTimeout: 15_000, headersTimeout: 10_000, maxHeaderSize: 16 * 1024 };
  const http: HttpServer = tls ? (createHttpsServer({ ...serverOpts, ...tls }) as unknown as HttpServer) : createServer(serverOpts);
  http.keepAliveTimeout = 5_000;
  // Upgraded (WebSocket) connections leave the HTTP server's bookkeeping; shutdown needs them.
  const upgraded = new Set<Duplex>();
  http.on("upgrade", (_req, socket: Duplex) => {
    upgraded.add(socket);
    socket.once("close", () => upgraded.delete(socket));
  });
  const io = createIo(http, { allowedOrigins: config.allowedOrigins, trustProxy: config.trustProxy, pingIntervalMs: config.pingIntervalMs, pingTimeoutMs: config.pingTimeoutMs, broadcastFastPath: config.broadcastFastPath, heartbeatWheel: config.heartbeatWheel, ...(link ? { adapter: createAdapter(link.adapterClient, { streamName: adapterStream(config.redisPrefix) }) } : {}) });
  const fastPathOff = fastPathOf(io)?.off;
  if (fastPathOff && config.broadcastFastPath) log.warn({ why: fastPathOff }, "broadcast fast path off: room broadcasts take engine.io's per-socket path (slower, same behaviour)");
  const wheelOff = heartbeatOf(io)?.off;
  if (wheelOff && config.heartbeatWheel) log.warn({ why: wheelOff }, "heartbeat wheel off: engine.io's own heartbeat runs (two timers per socket; more idle CPU, same behaviour)");
  const notifier = createNotifier(io);
  const clusterPresence = redis ? createClusterPresence({ redis, nodeId, notifier, ttlMs: config.nodeTtlMs, log, prefix: config.redisPrefix, options: { threshold: config.presenceThreshold, tickMs: config.presenceTickMs } }) : null;
  const audit = createAuditLog(log);
  const { accounts, chat, presence, moderation, repos, files, conversations, hasher } = createServices(db, config, notifier, clusterPresence ?? undefined, audit);
  // Before listening: the pool's connections opened and the first requests' reads run once, so
  // that the first users after a start do not wait for them. A failure here is not fatal (the
  // reads run again when asked).
  const warming = performance.now();
  await warmUp(repos, db.warmConnections).then(
    () => log.debug({ connections: db.warmConnections, ms: Math.round(performance.now() - warming) }, "database connections warmed"),
    (e: unknown) => log.warn({ err: safeError(e) }, "warming the database connections failed; the first requests will open them"),
  );
  if (link && clusterPresence) {
    // Redis came back (it keeps nothing on disk here): count this node's sockets again, and
    // have its clients fetch from PostgreSQL everything stored since the outage began.
    let outageFloor: Promise<number> | null = null;
    link.onChange((up) => {
      if (!up) {
        outageFloor ??= repos.messages.maxId().catch(() => 0);
        return;
      }
      if (!outageFloor) return;
      const floor = outageFloor;
      outageFloor = null;
      clusterPresence.resync().catch((e: Error) => log.warn({ err: e.message }, "presence resync failed"));
      void floor.then((afterId) => io.local.emit("sync:required", { reason: "the server's message bus restarted", afterId }));
    });
  }
  const limits = createLimits(config.limits, redis, config.redisPrefix);
  metrics = createMetrics({
    nodeId,
    sockets: () => io.of("/").sockets.size,
    onlineUsers: async () => (await presence.onlineIds()).size,
    chatName: async (chatId) => {
      const c = await repos.chats.findById(chatId);
      return c?.kind === "room" ? { name: `#${c.name}`, private: c.isPrivate } : { name: "(direct message)", private: false };
    },
  });
  const nodeMetrics = metrics;
  /** An admin sees the names of the private rooms they are in; the others stay "(private room)". */
  const revealOwnPrivateRooms = async (m: ClusterMetrics, viewerId: number): Promise<ClusterMetrics> => {
    const ids = [...new Set(m.nodes.flatMap((n) => n.rooms.filter((r) => r.private).map((r) => r.chatId)))];
    const shown = new Map<number, string>();
    for (const id of ids) {
      const chat = (await repos.chats.getMembership(id, viewerId)) && (await repos.chats.findById(id));
      if (chat?.name) shown.set(id, `#${chat.name}`);
    }
    return { nodes: m.nodes.map((n) => ({ ...n, rooms: n.rooms.map((r) => (shown.has(r.chatId) ? { ...r, name: shown.get(r.chatId)! } : r)) })) };
  };
  io.on("cluster:metrics", (ack) => void nodeMetrics.snapshot().then(ack));
  const readiness = async () => {
    const checks: Record<string, string> = {};
    await db.prisma.$queryRaw`SELECT 1`.then(() => (checks["database"] = "ok"), (e: Error) => (checks["database"] = e.message.split("\n")[0] ?? "down"));
    // Not ready while Redis is down, so a load balancer sends new clients to a node that has it.
    if (redis && link) await redis.ping().then(() => (checks["redis"] = "ok"), () => (checks["redis"] = link.up() ? "not answering" : link.status()));
    return { ready: Object.values(checks).every((v) => v === "ok") && !shutdownNotice, checks };
  };
  // The `chat-server user` commands reach an embedded database through this server while it runs.
  let control: ControlServer | null = null;
  if (db.kind === "pglite" && config.dataDir !== "memory://") {
    const socketPath = path.join(config.dataDir, CONTROL_SOCKET);
    control = await startControlServer(socketPath, { accounts, log }).catch((e: Error) => {
      log.warn({ err: e.message, socketPath }, "no control socket: `chat-server user` commands cannot reach this server; stop it to run them");
      return null;
    });
  }
  const api = createHttpHandler({ accounts, notifier, limits, trustProxy: config.trustProxy, log, audit, metrics: nodeMetrics, readiness, gatewaySecret: config.gatewaySecret });
  const web = config.web ? createWebHandler(config.webDir) : null;
  if (config.web && !web) log.warn({ webDir: config.webDir ?? DEFAULT_WEB_DIR }, "no browser client is built there: run `npm run build`; serving the API and sockets only");
  else if (web) log.info({ files: web.files }, "serving the browser client at /");
  http.on("request", (req, res) => {
    if (!web?.handle(req, res)) api(req, res);
  });

  let shutdownNotice: ServerShutdown | null = null;
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let closing: Promise<void> | undefined;

  const sockets = attachSocketHandlers(io, {
    accounts, chat, files, conversations, presence, moderation, limits, log,
    maxConnectionsPerAccount: config.limits.connectionsPerAccount,
    messageQueue: config.limits.messageQueue,
    sessionCheckMs: config.sessionCheckMs,
    broadcastUp: () => !link || link.up(),
    strikes: config.limits.strikes,
    strikeWindowSec: config.limits.events.windowSec,
    nodeId,
    metrics,
    trustProxy: config.trustProxy,
    control: {
      shutdown: ({ inSeconds, reason, by }) => {
        audit.record("shutdown", { by, inSeconds, reason });
        // An admin's shutdown stops the whole cluster; SIGTERM (below) only this node.
        if (redis) io.serverSideEmit("cluster:shutdown", { inSeconds, reason, by });
        return announceShutdown(inSeconds, reason, by);
      },
      pending: () => (shutdownNotice ? remaining(shutdownNotice) : null),
      async metrics(viewer) {
        const own = await nodeMetrics.snapshot();
        // Every other node answers through the adapter; one that does not in time is left out.
        // Not asked while Redis is down: they could not answer before the adapter's 5 s timeout.
        const others = link?.up() ? await io.serverSideEmitWithAck("cluster:metrics").catch(() => [] as never[]) : [];
        return revealOwnPrivateRooms({ nodes: [own, ...(others as typeof own[])] }, viewer.id);
      },
    },
  });

  // Unfinished uploads idle for longer than the limit are removed with their chunks; any node
  // may do it, and doing it twice removes nothing more.
  const sweep = () =>
    void files.sweep().then(
      (n) => n > 0 && log.info({ removed: n }, "removed idle unfinished uploads"),
      (e: unknown) => log.warn({ err: safeError(e) }, "sweeping idle uploads failed"),
    );
  const sweeper = setInterval(sweep, Math.min(60_000, Math.max(1000, config.files.uploadIdleMs / 4)));
  sweeper.unref();

  const remaining = (n: ServerShutdown): ServerShutdown => ({ ...n, inSeconds: Math.max(0, Math.ceil((Date.parse(n.at) - Date.now()) / 1000)) });

  io.on("cluster:shutdown", ({ inSeconds, reason, by }) => void announceShutdown(inSeconds, reason, by));

  /** Tells this node's clients once, then drains after the countdown; a later request keeps the first time. */
  function announceShutdown(inSeconds: number, reason: string, by: string | null = null): ServerShutdown {
    if (shutdownNotice) return remaining(shutdownNotice);
    log.warn({ inSeconds, reason, by }, "shutdown requested");
    shutdownNotice = { reason, inSeconds, at: new Date(Date.now() + inSeconds * 1000).toISOString() };
    io.local.emit("server:shutdown", shutdownNotice);
    setTimeout(() => void close(), inSeconds * 1000).unref();
    return shutdownNotice;
  }

  function close(): Promise<void> {
    closing ??= (async () => {
      // Stop accepting: no new connections; sockets already open get UNAVAILABLE for new events.
      http.close();
      clearInterval(sweeper);
      await control?.close();
      const { inFlight } = await sockets.drain(config.drainMs);
      if (inFlight > 0) log.warn({ inFlight }, "drain timed out with handlers still running");
      await new Promise<void>((resolve) => {
        io.close(() => resolve());
        // A peer that never answers the WebSocket close handshake (a frozen laptop, a dead link)
        // would hold the shutdown for ws's 30 s close timeout: past a short grace, cut it off.
        setTimeout(() => {
          for (const socket of upgraded) socket.destroy();
        }, 1000).unref();
      });
      http.closeAllConnections?.();
      await presence.close().catch(() => undefined);
      nodeMetrics.close();
      await link?.close();
      await db.close();
      log.info("chat-server stopped");
      resolveClosed();
    })();
    return closing;
  }

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(config.port, config.host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `${tls ? "https" : "http"}://${host}:${port}`;
  log.info({ url }, "chat-server listening");

  return {
    url, port, db, io, http, accounts, chat, files, hasher, log, closed, close,
    async shutdown(opts = {}) {
      announceShutdown(opts.inSeconds ?? 0, opts.reason ?? "the server is restarting");
      if ((opts.inSeconds ?? 0) === 0) await close();
      await closed;
    },
  };
}
