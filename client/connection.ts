// The connection the client core talks through: typed requests with Results, and server events
// as callbacks. socketConnection() adapts a socket.io-client socket someone else created.
import { COMPACT_MESSAGE, decodeMessage } from "../server/protocol/index.js";
import type {
  ChatUpdated, ClientEventName, ConnectErrorData, ErrorBody, EventPayload, MessageDto, MessageUpdated, Notice, PresenceBatch, PresenceUpdate, RequestFn, Result,
  ServerShutdown, SessionEnded, SessionReady, SyncRequired,
} from "../server/protocol/index.js";
import type { Clock } from "./ports.js";

export type ConnectionEvents = {
  ready(session: SessionReady): void;
  message(m: MessageDto): void;
  /** A message in one of the user's chats was edited, deleted or reacted to. */
  updated?(u: MessageUpdated): void;
  presence(p: PresenceUpdate): void;
  /** Protocol 2: the presence changes of one server tick. */
  presenceBatch?(b: PresenceBatch): void;
  chatUpdated(u: ChatUpdated): void;
  notice(n: Notice): void;
  status(status: "connecting" | "online" | "reconnecting" | "offline", attempt: number, error: string | null): void;
  /** The server refused the session: the user has to log in again. */
  authFailed(message: string): void;
  /** The server ended the session (kick, ban, logout elsewhere); it will not come back. */
  sessionEnded(e: SessionEnded): void;
  shutdown(s: ServerShutdown): void;
  /** The server may have missed broadcasts: fetch history after `afterId` in every chat. */
  syncRequired(afterId: number): void;
};

export interface Connection {
  request: RequestFn;
  readonly connected: boolean;
  close(): void;
}

/** Error codes the client makes up for requests that never reached an answer. */
export const CLIENT_ERRORS = { timeout: "TIMEOUT", offline: "OFFLINE" } as const;

/** Errors that mean "try again later", not "this request is wrong". */
export const TRANSIENT_ERRORS: ReadonlySet<string> = new Set([CLIENT_ERRORS.timeout, CLIENT_ERRORS.offline, "UNAVAILABLE", "INTERNAL", "RATE_LIMITED"]);

export const offlineError = (): ErrorBody => ({ code: CLIENT_ERRORS.offline as never, message: "Not connected to the server." });

/** The part of a socket.io-client Socket this adapter uses (so no socket.io import is needed here). */
/** socket.io-client options every front end connects with: WebSocket only, reconnect with
 * jittered backoff up to 10 s, an 8 s connect timeout. */
/**
 * The protocol version this client asks for in the handshake (auth.protocol): 2 gets presence
 * coalesced per tick (presence:batch) and paged (presence:list), and new messages as the compact
 * frame (`m`); see docs/protocol.md.
 */
export const HANDSHAKE_PROTOCOL = 2;

/**
 * socket.io-client options of a compressed socket (slow links): the server keeps the
 * permessage-deflate offer of a handshake URL with compress=1 only (docs/protocol.md 1.9);
 * the threshold lets a client in Node compress its messages too (browsers decide for themselves).
 */
export const COMPRESS_OPTIONS = { query: { compress: "1" }, perMessageDeflate: { threshold: 32 } } as const;

export const SOCKET_OPTIONS = {
  transports: ["websocket"],
  reconnection: true,
  reconnectionDelay: 500,
  reconnectionDelayMax: 10_000,
  randomizationFactor: 0.5,
  timeout: 8_000,
} as const;

export interface SocketLike {
  readonly connected: boolean;
  on(event: string, fn: (...args: never[]) => void): unknown;
  io: { on(event: string, fn: (...args: never[]) => void): unknown };
  timeout(ms: number): { emitWithAck(event: string, payload: unknown): Promise<unknown> };
  connect(): unknown;
  close(): unknown;
}

/**
 * Wraps a socket: server events become callbacks, requests resolve to Results (OFFLINE when
 * not connected, TIMEOUT when no answer came), refused handshakes are retried with backoff
 * or reported as authFailed. `describeError` turns a connect error into a sentence (TLS).
 */
export function socketConnection(
  socket: SocketLike,
  on: ConnectionEvents,
  opts: { clock: Clock; random?: () => number; describeError?: (e: unknown) => string | null },
): Connection {
  const { clock } = opts;
  const random = opts.random ?? Math.random;
  let attempt = 0;
  let closed = false;
  let retryTimer: unknown;
  const sub = <T>(event: string, fn: (p: T) => void) => socket.on(event, fn as (...args: never[]) => void);

  sub<SessionReady>("session:ready", (s) => {
    attempt = 0;
    on.ready(s);
  });
  sub<MessageDto>("message:new", (m) => on.message(m));
  // Protocol 2 delivers new messages as the compact frame; decoded, they are message:new's DTO.
  sub<unknown>(COMPACT_MESSAGE, (f) => {
    const m = decodeMessage(f);
    if (m) on.message(m);
  });
  sub<MessageUpdated>("message:updated", (u) => on.updated?.(u));
  sub<PresenceUpdate>("presence:update", (p) => on.presence(p));
  sub<PresenceBatch>("presence:batch", (b) => on.presenceBatch?.(b));
  sub<ChatUpdated>("chat:updated", (u) => on.chatUpdated(u));
  sub<Notice>("notice", (n) => on.notice(n));
  sub<ServerShutdown>("server:shutdown", (s) => on.shutdown(s));
  sub<SyncRequired>("sync:required", (s) => on.syncRequired(s.afterId));
  sub<SessionEnded>("session:ended", (e) => {
    closed = true;
    socket.close();
    on.status("offline", 0, null);
    on.sessionEnded(e);
  });
  sub<void>("connect", () => on.status("online", 0, null));
  socket.io.on("reconnect_attempt", ((n: number) => {
    attempt = n;
    on.status("reconnecting", n, null);
  }) as (...args: never[]) => void);
  sub<string>("disconnect", (reason) => {
    if (closed) return;
    on.status("reconnecting", attempt, reason === "io server disconnect" ? "the server closed the connection" : reason);
    // socket.io does not reconnect by itself after a server-side disconnect; a revoked session
    // then fails the handshake and surfaces as authFailed.
    if (reason === "io server disconnect") scheduleRetry();
  });
  sub<Error & { data?: ConnectErrorData }>("connect_error", (err) => {
    if (closed) return;
    const code = err.data?.code;
    if (code === "SESSION_INVALID" || code === "UNAUTHENTICATED" || code === "BANNED") {
      closed = true;
      socket.close();
      on.status("offline", attempt, err.message);
      on.authFailed(err.message);
      return;
    }
    on.status("reconnecting", attempt, opts.describeError?.(err) ?? err.message);
    // A middleware refusal (server busy, database down) is not retried by socket.io itself.
    if (err.data) scheduleRetry();
  });

  function scheduleRetry() {
    clock.clearTimeout(retryTimer);
    attempt++;
    const delay = Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)) * (0.75 + random() * 0.5);
    on.status("reconnecting", attempt, null);
    retryTimer = clock.setTimeout(() => {
      if (!closed && !socket.connected) socket.connect();
    }, delay);
  }

  const request = async (event: ClientEventName, payload: EventPayload<ClientEventName>, timeoutMs = 10_000): Promise<Result<unknown>> => {
    if (!socket.connected) return { ok: false, error: offlineError() };
    try {
      return (await socket.timeout(timeoutMs).emitWithAck(event, payload)) as Result<unknown>;
    } catch {
      return { ok: false, error: { code: CLIENT_ERRORS.timeout as never, message: "The server did not answer in time." } };
    }
  };

  return {
    get connected() {
      return socket.connected;
    },
    request: request as RequestFn,
    close() {
      closed = true;
      clock.clearTimeout(retryTimer);
      socket.close();
    },
  };
}
