// Socket.IO setup: the server, the notifier services use, the auth middleware, and connection
// handling (socket rooms, presence, snapshot, handler registration).
import type { Server as HttpServer } from "node:http";
import { Server, type Socket } from "socket.io";
import type { Logger } from "../log.js";
import { isAppError } from "../app-error.js";
import {
  CLIENT_EVENTS, type ClientEventName, type ClientToServerEvents, type ConnectErrorData, type ErrorBody, type ServerToClientEvents, type UserDto,
} from "../protocol/index.js";
import type { AccountService } from "../services/accounts.js";
import type { ChatService } from "../services/chat.js";
import type { Notifier } from "../services/ports.js";
import type { PresenceService } from "../services/presence.js";
import { runHandler, splitArgs, type HandlerContext, type HandlerTable } from "./handle.js";
import { messageHandlers } from "./handlers/message.js";
import { presenceHandlers } from "./handlers/presence.js";
import { roomHandlers } from "./handlers/room.js";

export type SocketData = { user: UserDto; sessionId: number };
export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** Largest Socket.IO packet accepted; a message is at most 4,000 characters. */
export const MAX_PACKET_BYTES = 64 * 1024;

export function createIo(httpServer: HttpServer): ChatServer {
  return new Server(httpServer, {
    // WebSocket only: no long-polling sessions to keep, no sticky sessions in a cluster.
    transports: ["websocket"],
    maxHttpBufferSize: MAX_PACKET_BYTES,
    serveClient: false,
    pingInterval: 20_000,
    pingTimeout: 20_000,
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
    endSession: (sessionId) => io.in(sessionRoom(sessionId)).disconnectSockets(true),
  };
}

function connectError(data: ConnectErrorData): Error {
  return Object.assign(new Error(data.message), { data });
}

export function attachSocketHandlers(
  io: ChatServer,
  deps: { accounts: AccountService; chat: ChatService; presence: PresenceService; log: Logger },
): void {
  const { accounts, chat, presence, log } = deps;
  const handlers: HandlerTable = { ...messageHandlers(chat), ...roomHandlers(chat), ...presenceHandlers(chat) };
  const known = new Set<string>(CLIENT_EVENTS);

  io.use((socket, next) => {
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.["token"];
    if (typeof token !== "string" || token === "") {
      next(connectError({ code: "UNAUTHENTICATED", message: "Log in first: the handshake needs auth.token." }));
      return;
    }
    accounts.authenticate(token).then(
      ({ user, sessionId }) => {
        socket.data.user = user;
        socket.data.sessionId = sessionId;
        next();
      },
      (e: unknown) => {
        if (isAppError(e) && e.code === "SESSION_INVALID") next(connectError({ code: "SESSION_INVALID", message: e.message }));
        else {
          log.warn({ err: e }, "handshake failed");
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
      log.error({ err: e, user: user.id }, "connection setup failed");
      socket.emit("notice", { level: "error", text: "The server could not load your chats; reconnecting.", code: "UNAVAILABLE" });
      socket.disconnect(true);
    });
    const onError = (error: ErrorBody) => socket.emit("notice", { level: "error", text: error.message, code: error.code });

    for (const event of CLIENT_EVENTS) {
      socket.on(event, ((...args: unknown[]) => {
        void runHandler(event, handlers[event] as never, args, ctx, { log, before: ready, onError });
      }) as never);
    }
    socket.onAny((event: string, ...args: unknown[]) => {
      if (known.has(event)) return;
      const { ack } = splitArgs(args);
      const error: ErrorBody = { code: "UNKNOWN_EVENT", message: `The server does not know the event "${String(event).slice(0, 64)}".` };
      if (ack) ack({ ok: false, error });
      else onError(error);
    });
    socket.on("disconnect", () => {
      presence.disconnect(user, socket.id);
    });
  });

  async function setup(socket: ChatSocket): Promise<void> {
    const { user, sessionId } = socket.data;
    const rooms = await chat.socketRooms(user.id);
    if (socket.disconnected) return;
    await socket.join([userRoom(user.id), sessionRoom(sessionId), ...rooms.map(roomOf)]);
    if (socket.disconnected) return;
    // From here on the disconnect listener undoes this.
    presence.connect(user, socket.id);
    const snapshot = await chat.snapshot(user);
    if (!socket.disconnected) socket.emit("session:ready", snapshot);
  }
}

export type { ClientEventName };
