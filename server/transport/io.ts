// Socket.IO setup: the server, the notifier services use, the auth middleware, and connection
// handling (socket rooms, presence, snapshot, rate limits, handler registration, draining).
import type { IncomingMessage, Server as HttpServer } from "node:http";
import { Server, type ServerOptions, type Socket } from "socket.io";
import { safeError, type Logger } from "../log.js";
import { isAppError } from "../app-error.js";
import {
  CLIENT_EVENTS, eventLimit, type ClientToServerEvents, type ConnectErrorData, type ErrorBody, type InterServerEvents, type ServerToClientEvents,
  type UserDto,
} from "../protocol/index.js";
import type { AccountService } from "../services/accounts.js";
import type { ChatService } from "../services/chat.js";
import type { FileService } from "../services/files.js";
import type { ModerationService } from "../services/moderation.js";
import type { Notifier } from "../services/ports.js";
import type { PresenceService } from "../services/presence.js";
import { runHandler, splitArgs, type HandlerContext, type HandlerTable } from "./handle.js";
import { adminHandlers, type ServerControl } from "./handlers/admin.js";
import { fileHandlers } from "./handlers/file.js";
import { messageHandlers } from "./handlers/message.js";
import { presenceHandlers } from "./handlers/presence.js";
import { roomHandlers } from "./handlers/room.js";
import { seconds, type Limits } from "./limits.js";
import type { Metrics } from "../metrics.js";

export type SocketData = { user: UserDto; sessionId: number };
export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/**
 * Largest Socket.IO packet accepted: a file chunk (64 KiB of binary, sent as its own frame)
 * with room to spare; a text message is at most 4,000 characters.
 */
export const MAX_PACKET_BYTES = 72 * 1024;

/** The client's address, from X-Forwarded-For only when a trusted proxy sets it. */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? String(req.headers["x-forwarded-for"] ?? "").split(",")[0]?.trim() : "";
  return forwarded || req.socket.remoteAddress || "unknown";
}

export function createIo(httpServer: HttpServer, opts: { allowedOrigins: string[]; adapter?: ServerOptions["adapter"] }): ChatServer {
  const allowed = new Set(opts.allowedOrigins);
  return new Server(httpServer, {
    ...(opts.adapter ? { adapter: opts.adapter } : {}),
    // WebSocket only: no long-polling sessions to keep, no sticky sessions in a cluster.
    transports: ["websocket"],
    maxHttpBufferSize: MAX_PACKET_BYTES,
    serveClient: false,
    pingInterval: 20_000,
    pingTimeout: 20_000,
    // Browsers send Origin; a page on another site must not open sockets with a user's
    // credentials. Native clients (chat-tui) send none.
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      callback(null, origin === undefined || allowed.has(origin));
    },
  });
}

export const roomOf = (chatId: number) => `room:${chatId}`;
export const userRoom = (userId: number) => `user:${userId}`;
const sessionRoom = (sessionId: number) => `session:${sessionId}`;

export function createNotifier(io: ChatServer): Notifier {
  return {
    toUser: (userId, event, payload) => void io.to(userRoom(userId)).emit(event, ...([payload] as Parameters<ServerToClientEvents[typeof event]>)),
    toChat: (chatId, event, payload) => void io.to(roomOf(chatId)).emit(event, ...([payload] as Parameters<ServerToClientEvents[typeof event]>)),
    toAll: (event, payload) => void io.emit(event, ...([payload] as Parameters<ServerToClientEvents[typeof event]>)),
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

export function attachSocketHandlers(
  io: ChatServer,
  deps: {
    accounts: AccountService;
    chat: ChatService;
    files: FileService;
    presence: PresenceService;
    moderation: ModerationService;
    control: ServerControl;
    limits: Limits;
    maxConnectionsPerAccount: number;
    strikes: number;
    strikeWindowSec: number;
    trustProxy: boolean;
    nodeId: string;
    metrics: Metrics;
    log: Logger;
  },
): SocketControl {
  const { accounts, chat, presence, limits, log } = deps;
  const handlers: HandlerTable = { ...messageHandlers(chat), ...roomHandlers(chat), ...presenceHandlers(chat, deps.nodeId), ...adminHandlers(deps.moderation, deps.control), ...fileHandlers(deps.files) };
  const known = new Set<string>(CLIENT_EVENTS);
  let draining = false;
  let inFlight = 0;
  /** Sockets presence has counted (their disconnect must be uncounted). */
  const counted = new Set<string>();
  let idle: (() => void) | null = null;

  io.use((socket, next) => {
    if (draining) return next(connectError({ code: "UNAVAILABLE", message: "The server is shutting down; try again in a moment." }));
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.["token"];
    if (typeof token !== "string" || token === "") {
      next(connectError({ code: "UNAUTHENTICATED", message: "Log in first: the handshake needs auth.token." }));
      return;
    }
    accounts.authenticate(token).then(
      ({ user, sessionId }) => {
        if (presence.socketCount(user.id) >= deps.maxConnectionsPerAccount) {
          next(connectError({ code: "RATE_LIMITED", message: `This account has ${deps.maxConnectionsPerAccount} connections open already; close one first.` }));
          return;
        }
        socket.data.user = user;
        socket.data.sessionId = sessionId;
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

  io.on("connection", (socket: ChatSocket) => {
    const { user, sessionId } = socket.data;
    const ctx: HandlerContext = { user, sessionId, socketId: socket.id };
    // Handlers are registered at once so no early event is lost; they wait for the setup.
    const ready = setup(socket).catch((e: unknown) => {
      log.error({ err: safeError(e), user: user.id }, "connection setup failed");
      socket.emit("notice", { level: "error", text: "The server could not load your chats; reconnecting.", code: "UNAVAILABLE" });
      socket.disconnect(true);
    });
    const onError = (error: ErrorBody) => socket.emit("notice", { level: "error", text: error.message, code: error.code });
    let strikes = 0;
    let strikeWindowStart = Date.now();

    /** Spends a point; on refusal counts a strike and disconnects a socket that keeps going. */
    async function admit(event: string): Promise<ErrorBody | null> {
      if (draining) return { code: "UNAVAILABLE", message: "The server is shutting down; nothing was done. Try again when it is back." };
      const r = await limits.consume(eventLimit(event), socket.id);
      if (r.ok) return null;
      if (Date.now() - strikeWindowStart > deps.strikeWindowSec * 1000) {
        strikes = 0;
        strikeWindowStart = Date.now();
      }
      if (++strikes >= deps.strikes) {
        log.warn({ user: user.id, event }, "disconnecting a socket over its rate limit");
        socket.emit("notice", { level: "error", code: "RATE_LIMITED", text: "You kept sending faster than the server allows, so it disconnected you." });
        socket.disconnect(true);
      }
      const what = event === "message:send" ? "messages" : "requests";
      return { code: "RATE_LIMITED", message: `You are sending ${what} too fast; wait ${seconds(r.retryAfterMs)} s.` };
    }

    for (const event of CLIENT_EVENTS) {
      socket.on(event, ((...args: unknown[]) => {
        inFlight++;
        const arrived = performance.now();
        void (async () => {
          try {
            const refusal = await admit(event);
            if (refusal) {
              const { ack } = splitArgs(args);
              if (ack) ack({ ok: false, error: refusal });
              else onError(refusal);
              deps.metrics.observeAck(event, (performance.now() - arrived) / 1000, false);
              return;
            }
            const result = await runHandler(event, handlers[event] as never, args, ctx, { log, before: ready, onError });
            deps.metrics.observeAck(event, (performance.now() - arrived) / 1000, result.ok);
            if (result.ok && event === "message:send") deps.metrics.messageStored((result.data as { chatId: number }).chatId);
            if (result.ok && event === "file:complete") deps.metrics.messageStored((result.data as { message: { chatId: number } }).message.chatId);
          } finally {
            if (--inFlight === 0) idle?.();
          }
        })();
      }) as never);
    }
    socket.onAny((event: string, ...args: unknown[]) => {
      if (known.has(event)) return;
      const { ack } = splitArgs(args);
      const error: ErrorBody = { code: "UNKNOWN_EVENT", message: `The server does not know the event "${String(event).slice(0, 64)}".` };
      void admit("unknown").then((refusal) => {
        if (ack) ack({ ok: false, error: refusal ?? error });
        else onError(refusal ?? error);
      });
    });
    socket.on("disconnect", () => {
      // After setup: a socket that left before it was counted is not uncounted.
      void ready
        .then(() => (counted.delete(socket.id) ? presence.disconnect(user, socket.id) : undefined))
        .catch((e: unknown) => log.warn({ err: safeError(e) }, "presence update failed"));
    });
  });

  async function setup(socket: ChatSocket): Promise<void> {
    const { user, sessionId } = socket.data;
    const rooms = await chat.socketRooms(user.id);
    if (socket.disconnected) return;
    await socket.join([userRoom(user.id), sessionRoom(sessionId), ...rooms.map(roomOf)]);
    if (socket.disconnected) return;
    // From here on the disconnect listener undoes this.
    counted.add(socket.id);
    await presence.connect(user, socket.id);
    const snapshot = await chat.snapshot(user);
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

