// Socket.IO setup: the server, the notifier services use, the auth middleware, and connection
// handling (socket rooms, presence, snapshot, rate limits, handler registration, draining).
import type { EventEmitter } from "node:events";
import type { IncomingMessage, Server as HttpServer } from "node:http";
import { Server, type ServerOptions, type Socket } from "socket.io";
import { safeError, type Logger } from "../log.js";
import { isAppError } from "../app-error.js";
import {
  CLIENT_EVENTS, COMPACT_MESSAGE, encodeMessage, eventLimit, type ClientEventName, type ClientToServerEvents, type ConnectErrorData, type ErrorBody, type InterServerEvents, type ServerToClientEvents,
  type UserDto,
} from "../protocol/index.js";
import type { AccountService } from "../services/accounts.js";
import type { ChatService } from "../services/chat.js";
import type { ConversationService } from "../services/conversations.js";
import type { FileService } from "../services/files.js";
import type { ModerationService } from "../services/moderation.js";
import type { Notifier } from "../services/ports.js";
import type { PresenceService } from "../services/presence.js";
import { runHandler, splitArgs, type HandlerContext, type HandlerTable } from "./handle.js";
import { adminHandlers, type ServerControl } from "./handlers/admin.js";
import { fileHandlers } from "./handlers/file.js";
import { conversationHandlers, messageHandlers } from "./handlers/message.js";
import { PRESENCE_PAGE, presenceHandlers } from "./handlers/presence.js";
import { keyHandlers } from "./handlers/key.js";
import { roomHandlers } from "./handlers/room.js";
import { createSessionGuard, sessionRoom } from "./sessions.js";
import { seconds, type Limits } from "./limits.js";
import { createSendQueue, type QueueBounds } from "./send-queue.js";
import { coalesceWrites } from "./coalesce.js";
import { broadcastFastPath, type EngineClient, type FastPath } from "./fastpath.js";
import { lookupExclusions, roomHasMemberOf, type LocalAdapter } from "./rooms.js";
import type { Metrics } from "../metrics.js";
import { PING_DEFAULTS } from "../config.js";
import { heartbeatWheel, type HeartbeatWheel } from "./heartbeat.js";

/** What a connected socket carries (set by the handshake middleware): read by handlers through SocketContext. */
export type SocketData = { user: UserDto; sessionId: number; protocol: 1 | 2 };
export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/**
 * Largest Socket.IO packet accepted: a file chunk (64 KiB of binary, sent as its own frame)
 * with room to spare; a text message is at most 4,000 characters.
 */
export const MAX_PACKET_BYTES = 72 * 1024;

/**
 * The client's address: the TCP peer, or behind `hops` trusted proxies (true = 1) the
 * X-Forwarded-For entry the outermost of them appended, counted from the right. Entries to the
 * left of it were written by the client and prove nothing. Several X-Forwarded-For headers
 * arrive joined with ", " in the order received, so an appended header counts as appended.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean | number): string {
  const hops = trustProxy === true ? 1 : trustProxy === false ? 0 : trustProxy;
  if (hops > 0) {
    const entries = String(req.headers["x-forwarded-for"] ?? "").split(",").map((e) => e.trim()).filter(Boolean);
    // Fewer entries than proxies: every entry came from a trusted proxy; the leftmost is the farthest.
    const forwarded = entries[Math.max(0, entries.length - hops)];
    if (forwarded) return forwarded;
  }
  return req.socket.remoteAddress || "unknown";
}

/** The origin a request was addressed to: its scheme and Host (a trusted proxy's forwarded ones). */
export function ownOrigin(req: IncomingMessage, trustProxy: boolean | number): string | null {
  // The entry the trusted proxy added is the last one; anything before it the client wrote.
  const forwarded = (name: string) => (trustProxy ? String(req.headers[name] ?? "").split(",").at(-1)?.trim() || undefined : undefined);
  const host = forwarded("x-forwarded-host") ?? req.headers.host;
  const scheme = forwarded("x-forwarded-proto") ?? ((req.socket as { encrypted?: boolean }).encrypted ? "https" : "http");
  if (!host || (scheme !== "http" && scheme !== "https")) return null;
  try {
    return new URL(`${scheme}://${host}`).origin;
  } catch {
    return null;
  }
}

/** A browser Origin, normalised as browsers send it ("null" and garbage stay unmatched). */
function normalOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return origin;
  }
}

export function createIo(
  httpServer: HttpServer,
  opts: {
    allowedOrigins: string[]; adapter?: ServerOptions["adapter"]; trustProxy?: boolean | number; pingIntervalMs?: number; pingTimeoutMs?: number;
    /** Room broadcasts written as one pre-encoded frame below engine.io (fastpath.ts); default on. */
    broadcastFastPath?: boolean;
    /** Every socket's heartbeat on one timer wheel instead of engine.io's two timers per socket (heartbeat.ts); default on. */
    heartbeatWheel?: boolean;
    /** The transports to accept (tests only: chat-server accepts WebSocket only). */
    transports?: ServerOptions["transports"];
  },
): ChatServer {
  const allowed = new Set(opts.allowedOrigins.map(normalOrigin));
  const server: ChatServer = new Server(httpServer, {
    ...(opts.adapter ? { adapter: opts.adapter } : {}),
    // WebSocket only: no long-polling sessions to keep, no sticky sessions in a cluster.
    transports: opts.transports ?? ["websocket"],
    maxHttpBufferSize: MAX_PACKET_BYTES,
    serveClient: false,
    // Compression for slow links, opt-in per socket: only a handshake URL with compress=1 keeps
    // its permessage-deflate offer (browsers and ws offer it by default; see allowRequest).
    perMessageDeflate: { threshold: COMPRESS_THRESHOLD },
    pingInterval: opts.pingIntervalMs ?? PING_DEFAULTS.intervalMs,
    pingTimeout: opts.pingTimeoutMs ?? PING_DEFAULTS.timeoutMs,
    // Browsers send Origin; a page on another site must not open sockets with a user's
    // credentials. Native clients (chat-tui) send none, or (python-socketio) the server's own
    // URL. A page served from the origin the request was addressed to is same-origin by
    // definition, so that one is always accepted. engine.io answers a refused WebSocket
    // upgrade with HTTP 400 and this message as the body.
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      if (origin === undefined || allowed.has(normalOrigin(origin)) || normalOrigin(origin) === ownOrigin(req, opts.trustProxy ?? false)) {
        if (!wantsCompression(req)) delete req.headers["sec-websocket-extensions"];
        callback(null, true);
        return;
      }
      // The Origin is echoed only as a parsed URL origin (no markup can survive that).
      const parsed = normalOrigin(origin);
      const shown = /^https?:\/\/[\w.:[\]-]+$/i.test(parsed) ? parsed : "that origin";
      callback(
        `Connections from pages at ${shown} are not allowed: the Origin is neither this server's own ` +
          `(${ownOrigin(req, opts.trustProxy ?? false) ?? "unknown"}) nor one given with --allowed-origin (env ALLOWED_ORIGINS). ` +
          "Start chat-server with --allowed-origin <that origin> to allow it.",
        false,
      );
    },
  });
  // engine.io hands its perMessageDeflate setting to every WebSocket transport, which turns off
  // the pre-encoded frames of room broadcasts (one frame encoded for all sockets); sockets that
  // did not negotiate compression get them back.
  server.engine.on("connection", (conn: { transport: { perMessageDeflate?: unknown; socket?: { extensions?: string } } }) => {
    if (!conn.transport.socket?.extensions?.includes("permessage-deflate")) conn.transport.perMessageDeflate = null;
    // The upgrade is complete here: what engine.io keeps of it for the socket's life goes.
    releaseUpgrade(conn as Parameters<typeof releaseUpgrade>[0]);
  });
  // Frames of one event-loop turn go to each socket in one write (see coalesce.ts).
  const coalescer = coalesceWrites(server.engine);
  // Room broadcasts: one frame, written straight to each eligible member's corked socket.
  const fast = broadcastFastPath(coalescer, { enabled: opts.broadcastFastPath ?? true });
  fastPaths.set(server, fast);
  if (!fast.off) server.on("connection", (socket) => fast.attach(socket.client as unknown as EngineClient));
  // The heartbeat: engine.io's schedule, one timer for the whole server (see heartbeat.ts).
  heartbeats.set(server, heartbeatWheel(server.engine as unknown as Parameters<typeof heartbeatWheel>[0], {
    intervalMs: opts.pingIntervalMs ?? PING_DEFAULTS.intervalMs,
    timeoutMs: opts.pingTimeoutMs ?? PING_DEFAULTS.timeoutMs,
    enabled: opts.heartbeatWheel ?? true,
  }));
  // Broadcasts excluding a room (every message excludes the other wire version's) look its
  // members up instead of copying them (see rooms.ts).
  const adapter = server.of("/").adapter as unknown as LocalAdapter;
  lookupExclusions(adapter);
  // Without a cluster adapter a broadcast reaches this node's sockets only, so a room's members
  // here are all its receivers.
  if (!opts.adapter) singleNode.set(server, adapter);
  return server;
}

const heartbeats = new WeakMap<ChatServer, HeartbeatWheel>();
/** The heartbeat wheel of a server made by createIo: whether it is on, its sockets and counts. */
export const heartbeatOf = (io: ChatServer): HeartbeatWheel | undefined => heartbeats.get(io);

const singleNode = new WeakMap<ChatServer, LocalAdapter>();

const fastPaths = new WeakMap<ChatServer, FastPath>();
/** The broadcast fast path of a server made by createIo: whether it is on, and its counts. */
export const fastPathOf = (io: ChatServer): FastPath | undefined => fastPaths.get(io);

/** Frames shorter than this are sent uncompressed on a compressed socket (deflate would not pay). */
export const COMPRESS_THRESHOLD = 32;

/** Whether the handshake URL asks for a compressed socket (`compress=1`). */
export function wantsCompression(req: IncomingMessage): boolean {
  return new URL(req.url ?? "/", "http://localhost").searchParams.get("compress") === "1";
}

export const roomOf = (chatId: number) => `room:${chatId}`;
export const userRoom = (userId: number) => `user:${userId}`;
/** The sockets that get protocol 1 presence (presence:update) or protocol 2's (presence:batch). */
export const presenceRoom = (version: 1 | 2) => `presence:v${version}`;
/**
 * The protocol version the client asked for in the handshake (auth.protocol, a number; absent
 * or unknown: 1). 2 turns on coalesced, paged presence; later versions add to it.
 */
export function handshakeProtocol(auth: unknown): 1 | 2 {
  const p = (auth as Record<string, unknown> | undefined)?.["protocol"];
  return typeof p === "number" && Number.isInteger(p) && p >= 2 ? 2 : 1;
}

/**
 * The sockets of a protocol version for new messages (1: message:new, 2: the compact frame).
 * Joined with the user's room, before any chat room, so no socket is in neither.
 */
export const wireRoom = (version: 1 | 2) => `wire:v${version}`;

export function createNotifier(io: ChatServer): Notifier {
  // On a single node a version no member of the room speaks is neither encoded nor sent (in a
  // cluster the other nodes' members count too, so both always go out).
  const local = singleNode.get(io);
  const speaks = (room: string, version: 1 | 2, exceptSocket?: string) => !local || roomHasMemberOf(local.rooms, room, wireRoom(version), exceptSocket);
  return {
    message: (to, message, exceptSocket) => {
      const room = "chatId" in to ? roomOf(to.chatId) : userRoom(to.userId);
      if (speaks(room, 1)) io.to(room).except(wireRoom(2)).emit("message:new", message);
      if (speaks(room, 2, exceptSocket)) io.to(room).except(exceptSocket ? [wireRoom(1), exceptSocket] : wireRoom(1)).emit(COMPACT_MESSAGE, encodeMessage(message));
    },
    toUser: (userId, event, payload) => void io.to(userRoom(userId)).emit(event, ...([payload] as Parameters<ServerToClientEvents[typeof event]>)),
    toChat: (chatId, event, payload) => void io.to(roomOf(chatId)).emit(event, ...([payload] as Parameters<ServerToClientEvents[typeof event]>)),
    toAll: (event, payload) => void io.emit(event, ...([payload] as Parameters<ServerToClientEvents[typeof event]>)),
    toPresence: (version, event, payload) => void io.to(presenceRoom(version)).emit(event, ...([payload] as Parameters<ServerToClientEvents[typeof event]>)),
    subscribe: (userId, chatId) => io.in(userRoom(userId)).socketsJoin(roomOf(chatId)),
    unsubscribe: (userId, chatId) => io.in(userRoom(userId)).socketsLeave(roomOf(chatId)),
    endSession: (sessionId) => {
      io.to(sessionRoom(sessionId)).emit("session:ended", { code: "LOGGED_OUT", reason: "logged out", by: null, until: null });
      io.in(sessionRoom(sessionId)).disconnectSockets(true);
    },
    endUser: (userId) => io.in(userRoom(userId)).disconnectSockets(true),
  };
}

function connectError(data: ConnectErrorData): Error {
  return Object.assign(new Error(data.message), { data });
}

export type SocketControl = {
  /** Refuses new events, waits for those in flight (at most `timeoutMs`), then closes every socket. */
  drain(timeoutMs: number): Promise<{ inFlight: number }>;
  inFlight(): number;
};

/** What a queued send holds, for the queue's byte bound: its strings (the text, mostly) and some overhead. */
function queuedBytes(payload: unknown): number {
  if (typeof payload !== "object" || payload === null) return 256;
  let bytes = 256;
  for (const value of Object.values(payload)) bytes += typeof value === "string" ? Buffer.byteLength(value) : 64;
  return bytes;
}

/**
 * Lets go of the IncomingMessage of a connected socket's upgrade (engine.io keeps it for the
 * socket's life). After this `socket.request` is null: read what is needed of the request
 * (address, headers) in a middleware, or from `socket.handshake`, which keeps its own copy.
 */
export function dropRequest(socket: { conn: { request: unknown } }): void {
  socket.conn.request = null;
}

/** Shared by every slimmed handshake (nothing reads them after the middlewares; see slimHandshake). */
const NO_HEADERS: Readonly<Record<string, never>> = Object.freeze({});

/**
 * Drops what Socket.IO copied of the upgrade request into `socket.handshake` once the
 * middlewares have read it: the headers, the query and `auth` (with the session token, which
 * then stays in memory no longer than the handshake). `auth` keeps the protocol the client
 * asked for; address and times stay.
 */
export function slimHandshake(handshake: { headers: unknown; query: unknown; auth: unknown; url: string }, protocol: 1 | 2): void {
  handshake.headers = NO_HEADERS;
  handshake.query = NO_HEADERS;
  handshake.auth = protocol === 2 ? AUTH_V2 : AUTH_V1;
  handshake.url = "";
}
const AUTH_V1 = Object.freeze({ protocol: 1 });
const AUTH_V2 = Object.freeze({ protocol: 2 });

/** The source of the listener engine.io 6's WebSocketResponse puts on the upgraded TCP socket. */
const RESPONSE_CLOSE_LISTENER = '() => this.emit("close")';

type Listening = Pick<EventEmitter, "rawListeners" | "removeListener">;
type Listener = (...args: unknown[]) => void;

/**
 * What engine.io keeps of a WebSocket upgrade after the connection is open and no longer needs:
 *
 * - the `socket.once("close", () => this.emit("close"))` its WebSocketResponse (build/server.js,
 *   handleUpgrade) registers on the TCP socket, for HTTP middlewares that wait for the response
 *   to close (chat-server registers none): it holds the response, and through its `req` the
 *   IncomingMessage with its raw headers, for the socket's life;
 * - the "headers" listener on the transport, which only a polling transport ever emits;
 * - the "error" listener `onUpgradeError` on the ws WebSocket, which the transport's own error
 *   listener replaces once the socket is open.
 *
 * Each is removed only when recognised exactly (the listener's source, its name); anything else
 * stays, so an engine.io that changes them only keeps the memory. Returns how many were removed.
 */
export function releaseUpgrade(conn: { transport?: { name?: string } & Partial<Listening> & { socket?: Partial<Listening> & { _socket?: Partial<Listening> } } }): number {
  const t = conn.transport;
  if (t?.name !== "websocket") return 0;
  let removed = 0;
  const tcp = t.socket?._socket;
  if (tcp?.rawListeners && tcp.removeListener) {
    for (const fn of tcp.rawListeners("close")) {
      const inner = (fn as { listener?: unknown }).listener;
      if (typeof inner === "function" && Function.prototype.toString.call(inner) === RESPONSE_CLOSE_LISTENER) {
        tcp.removeListener("close", fn as Listener);
        removed++;
      }
    }
  }
  if (t.rawListeners && t.removeListener) {
    for (const fn of t.rawListeners("headers")) {
      t.removeListener("headers", fn as Listener);
      removed++;
    }
  }
  const ws = t.socket;
  if (ws?.rawListeners && ws.removeListener) {
    for (const fn of ws.rawListeners("error")) {
      if (fn.name === "onUpgradeError" && ws.rawListeners("error").length > 1) {
        ws.removeListener("error", fn as Listener);
        removed++;
      }
    }
  }
  return removed;
}

/** The close listener that gives a connection's reservation back (a closure over only these). */
function releaseOnClose(release: (userId: number, socketId: string) => void, userId: number, socketId: string): () => void {
  return () => release(userId, socketId);
}

/**
 * The context a handler runs with: the user as the latest session check found them (a role
 * change counts from the next read of `user`), read from the socket, so no per-socket closure.
 */
class SocketContext implements HandlerContext {
  constructor(private readonly socket: ChatSocket) {}
  get user(): UserDto {
    return this.socket.data.user;
  }
  get sessionId(): number {
    return this.socket.data.sessionId;
  }
  get socketId(): string {
    return this.socket.id;
  }
}

export function attachSocketHandlers(
  io: ChatServer,
  deps: {
    accounts: AccountService;
    chat: ChatService;
    files: FileService;
    conversations: ConversationService;
    presence: PresenceService;
    moderation: ModerationService;
    control: ServerControl;
    limits: Limits;
    messageQueue: QueueBounds;
    maxConnectionsPerAccount: number;
    /** Period of the re-check of this node's live sessions (see sessions.ts). */
    sessionCheckMs: number;
    /** Whether the cluster's broadcasts reach this node now (absent: a single node). */
    broadcastUp?: () => boolean;
    strikes: number;
    strikeWindowSec: number;
    trustProxy: boolean | number;
    nodeId: string;
    metrics: Metrics;
    log: Logger;
  },
): SocketControl {
  const { accounts, chat, presence, limits, log } = deps;
  const handlers: HandlerTable = { ...messageHandlers(chat), ...roomHandlers(chat), ...presenceHandlers(chat, deps.nodeId, presence), ...adminHandlers(deps.moderation, deps.control), ...fileHandlers(deps.files), ...conversationHandlers(deps.conversations), ...keyHandlers(accounts) };
  const known = new Set<string>(CLIENT_EVENTS);
  const sendQueue = createSendQueue({ limits, bounds: deps.messageQueue });
  let draining = false;
  let inFlight = 0;
  /** Sockets presence has counted (their disconnect must be uncounted). */
  const counted = new Set<string>();
  let idle: (() => void) | null = null;
  const sessions = createSessionGuard({ io, accounts, intervalMs: deps.sessionCheckMs, log, ...(deps.broadcastUp ? { broadcastUp: deps.broadcastUp } : {}) });

  // Handshakes are counted per client address before anything else is looked at.
  io.use((socket, next) => {
    limits.consume("handshake", clientAddress(socket.request, deps.trustProxy)).then(
      (r) => (r.ok ? next() : next(connectError({ code: "RATE_LIMITED", message: `Too many connection attempts from your address; try again in ${seconds(r.retryAfterMs)} s.` }))),
      (e: unknown) => {
        log.warn({ err: safeError(e) }, "handshake limit unavailable");
        next();
      },
    );
  });

  /**
   * Per-socket state lives in these (and in socket.data), not in closures made per socket: an
   * idle socket holds no function of ours (the listeners below are shared by every socket).
   */
  /** A connection's reservation, given back if it closes before the socket is set up. */
  const releases = new WeakMap<ChatSocket, () => void>();
  /** Setup under way (handlers wait for it); removed once it is done. */
  const settingUp = new WeakMap<ChatSocket, Promise<void>>();
  /** Rate-limit strikes, for sockets that have been refused at least once. */
  const strikes = new WeakMap<ChatSocket, { count: number; windowStart: number }>();

  const releaseConnection = (userId: number, socketId: string) =>
    void presence.release(userId, socketId).catch((e: unknown) => log.warn({ err: safeError(e) }, "releasing a connection failed"));

  io.use((socket, next) => {
    if (draining) return next(connectError({ code: "UNAVAILABLE", message: "The server is shutting down; try again in a moment." }));
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.["token"];
    if (typeof token !== "string" || token === "") {
      next(connectError({ code: "UNAUTHENTICATED", message: "Log in first: the handshake needs auth.token." }));
      return;
    }
    accounts.authenticate(token).then(
      async ({ user, sessionId }) => {
        // Checked and taken in one step, so concurrent handshakes cannot all see room left.
        if (!(await presence.reserve(user.id, socket.id, deps.maxConnectionsPerAccount))) {
          next(connectError({ code: "RATE_LIMITED", message: `This account has ${deps.maxConnectionsPerAccount} connections open already; close one first.` }));
          return;
        }
        // Given back when the connection closes, also when that happens before the socket is
        // set up (made outside this scope: it must not keep the middleware chain alive).
        const release = releaseOnClose(releaseConnection, user.id, socket.id);
        if (socket.conn.readyState !== "open") return release();
        socket.conn.once("close", release);
        releases.set(socket, release);
        socket.data.user = user;
        socket.data.sessionId = sessionId;
        socket.data.protocol = handshakeProtocol(socket.handshake.auth);
        next();
      },
      (e: unknown) => {
        if (isAppError(e) && (e.code === "SESSION_INVALID" || e.code === "BANNED")) next(connectError({ code: e.code, message: e.message }));
        else {
          log.warn({ err: safeError(e) }, "handshake failed");
          next(connectError({ code: "UNAVAILABLE", message: "The server cannot check your session right now; try again shortly." }));
        }
      },
    );
  });

  const onError = (socket: ChatSocket, error: ErrorBody) => socket.emit("notice", { level: "error", text: error.message, code: error.code });
  const shuttingDown: ErrorBody = { code: "UNAVAILABLE", message: "The server is shutting down; nothing was done. Try again when it is back." };

  /**
   * Spends a point of the account's limit (all its sockets, on every node sharing Redis).
   * A message over the limit waits in the account's queue and runs when a point comes back;
   * `done` is called once it is answered. On refusal counts a strike and disconnects a
   * socket that keeps going.
   */
  async function admit(socket: ChatSocket, event: string, payload?: unknown): Promise<{ refusal: ErrorBody } | { done: () => void }> {
    if (draining) return { refusal: shuttingDown };
    const account = String(socket.data.user.id);
    let retryAfterMs: number;
    if (event === "message:send") {
      const turn = await sendQueue.turn(account, { bytes: queuedBytes(payload), gone: () => socket.disconnected });
      if (turn.ok) return { done: turn.done };
      if (turn.reason === "draining") return { refusal: shuttingDown };
      if (turn.reason === "gone") return { refusal: { code: "UNAVAILABLE", message: "You disconnected before your turn; the message was not stored." } };
      if (turn.reason !== "full") return { refusal: { code: "UNAVAILABLE", message: "The server cannot check its rate limits right now; nothing was sent. Try again." } };
      retryAfterMs = turn.retryAfterMs;
    } else {
      const r = await limits.consume(eventLimit(event), account);
      if (r.ok) return { done: () => {} };
      retryAfterMs = r.retryAfterMs;
    }
    let struck = strikes.get(socket);
    if (!struck) strikes.set(socket, (struck = { count: 0, windowStart: Date.now() }));
    if (Date.now() - struck.windowStart > deps.strikeWindowSec * 1000) {
      struck.count = 0;
      struck.windowStart = Date.now();
    }
    if (++struck.count >= deps.strikes) {
      log.warn({ user: socket.data.user.id, event }, "disconnecting a socket over its rate limit");
      socket.emit("notice", { level: "error", code: "RATE_LIMITED", text: "You kept sending faster than the server allows, so it disconnected you." });
      socket.disconnect(true);
    }
    const message = event === "message:send"
      ? `You are sending messages too fast${deps.messageQueue.messages > 0 ? ` (${deps.messageQueue.messages} are already waiting to be sent)` : ""}; wait ${seconds(retryAfterMs)} s.`
      : `You are sending requests too fast; wait ${seconds(retryAfterMs)} s.`;
    return { refusal: { code: "RATE_LIMITED", message } };
  }

  /** One client event with a handler: rate limit, then the validating wrapper, then the ack. */
  function dispatch(socket: ChatSocket, event: ClientEventName, args: unknown[]): void {
    inFlight++;
    const arrived = performance.now();
    void (async () => {
      try {
        const admitted = await admit(socket, event, splitArgs(args).payload);
        if ("refusal" in admitted) {
          const { ack } = splitArgs(args);
          if (ack) ack({ ok: false, error: admitted.refusal });
          else onError(socket, admitted.refusal);
          deps.metrics.observeAck(event, (performance.now() - arrived) / 1000, false);
          return;
        }
        try {
          const before = settingUp.get(socket);
          const result = await runHandler(event, handlers[event] as never, args, new SocketContext(socket), {
            log,
            ...(before ? { before } : {}),
            guard: () => sessions.admit(socket),
            onError: (error) => onError(socket, error),
          });
          deps.metrics.observeAck(event, (performance.now() - arrived) / 1000, result.ok);
          if (result.ok && event === "message:send") deps.metrics.messageStored((result.data as { chatId: number }).chatId);
          if (result.ok && event === "file:complete") deps.metrics.messageStored((result.data as { message: { chatId: number } }).message.chatId);
        } finally {
          admitted.done();
        }
      } finally {
        if (--inFlight === 0) idle?.();
      }
    })();
  }

  // One listener for every event of every socket (memory: not one closure and listener array
  // per event name, nor per socket); handlers are looked up in the shared table, unknown names
  // refused. Socket.IO calls it with the socket as `this`.
  function onAnyEvent(this: ChatSocket, event: string, ...args: unknown[]): void {
    const socket = this;
    if (known.has(event)) {
      dispatch(socket, event as ClientEventName, args);
      return;
    }
    const { ack } = splitArgs(args);
    const error: ErrorBody = { code: "UNKNOWN_EVENT", message: `The server does not know the event "${String(event).slice(0, 64)}".` };
    void admit(socket, "unknown").then((admitted) => {
      const answer = "refusal" in admitted ? admitted.refusal : error;
      if (ack) ack({ ok: false, error: answer });
      else onError(socket, answer);
    });
  }

  function onDisconnect(this: ChatSocket): void {
    const socket = this;
    const { user } = socket.data;
    releaseConnection(user.id, socket.id);
    // After setup: a socket that left before it was counted is not uncounted.
    void (settingUp.get(socket) ?? Promise.resolve())
      .then(() => (counted.delete(socket.id) ? presence.disconnect(user, socket.id) : undefined))
      .catch((e: unknown) => log.warn({ err: safeError(e) }, "presence update failed"));
  }

  io.on("connection", (socket: ChatSocket) => {
    // Socket.IO's memory advice: the HTTP upgrade request (headers, its net.Socket's parser
    // state) is not needed after the handshake; the middlewares above were its last readers.
    dropRequest(socket);
    slimHandshake(socket.handshake, socket.data.protocol);
    // The disconnect listener gives the reservation back from here on.
    const release = releases.get(socket);
    if (release) {
      socket.conn.off("close", release);
      releases.delete(socket);
    }
    // Handlers are registered at once so no early event is lost; they wait for the setup.
    const ready = setup(socket)
      .catch((e: unknown) => {
        log.error({ err: safeError(e), user: socket.data.user.id }, "connection setup failed");
        socket.emit("notice", { level: "error", text: "The server could not load your chats; reconnecting.", code: "UNAVAILABLE" });
        socket.disconnect(true);
      })
      .finally(() => settingUp.delete(socket));
    settingUp.set(socket, ready);
    socket.onAny(onAnyEvent);
    socket.on("disconnect", onDisconnect);
  });

  async function setup(socket: ChatSocket): Promise<void> {
    const { user, sessionId } = socket.data;
    // Into the rooms a kick, ban or logout disconnects first, then the session is read again:
    // one that landed after the handshake read it either finds the socket in these rooms or is
    // seen by this read.
    await socket.join([userRoom(user.id), sessionRoom(sessionId), wireRoom(socket.data.protocol)]);
    const [rooms, current] = await Promise.all([chat.socketRooms(user.id), sessions.recheck(socket)]);
    if (!current || socket.disconnected) return;
    await socket.join(rooms.map(roomOf));
    if (socket.disconnected) return;
    // Presence: in the room of its protocol's events before the list is read, so no change
    // after the read is missed (protocol 2 gets the first page and the count, not everyone).
    const protocol = socket.data.protocol;
    await socket.join(presenceRoom(protocol));
    if (socket.disconnected) return;
    // From here on the disconnect listener undoes this.
    counted.add(socket.id);
    await presence.connect(user, socket.id);
    const snapshot = await chat.snapshot(user, protocol >= 2 ? { page: PRESENCE_PAGE } : {});
    if (socket.disconnected) return;
    socket.emit("session:ready", snapshot);
    // Someone who connects during a shutdown countdown hears about it too.
    const pending = deps.control.pending();
    if (pending) socket.emit("server:shutdown", pending);
  }

  return {
    inFlight: () => inFlight,
    async drain(timeoutMs) {
      draining = true;
      // Queued messages are refused now rather than held across the drain.
      sendQueue.drain();
      sessions.close();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          idle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      const left = inFlight;
      io.disconnectSockets(true);
      return { inFlight: left };
    },
  };
}

