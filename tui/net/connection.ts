// The typed socket.io-client wrapper: request() -> Promise<Result>, reconnection with backoff,
// and server events turned into callbacks (the app turns them into store actions).
import type { Socket } from "socket.io-client";
import type {
  ChatUpdated, ClientToServerEvents, ConnectErrorData, MessageDto, Notice, PresenceUpdate, Result, ServerShutdown, ServerToClientEvents,
  SessionEnded, SessionReady,
} from "../../server/protocol/index.js";
import { certificateProblem, type TlsOptions } from "./tls.js";

type AckData<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[1] extends (r: Result<infer T>) => void ? T : never;
type Payload<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[0];

export type ConnectionEvents = {
  ready(session: SessionReady): void;
  message(m: MessageDto): void;
  presence(p: PresenceUpdate): void;
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
  request<E extends keyof ClientToServerEvents>(event: E, payload: Payload<E>, timeoutMs?: number): Promise<Result<AckData<E>>>;
  readonly connected: boolean;
  close(): void;
}

/** Error codes the client makes up for requests that never reached an answer. */
export const CLIENT_ERRORS = { timeout: "TIMEOUT", offline: "OFFLINE" } as const;

/** Errors that mean "try again later", not "this request is wrong". */
export const TRANSIENT_ERRORS: ReadonlySet<string> = new Set([CLIENT_ERRORS.timeout, CLIENT_ERRORS.offline, "UNAVAILABLE", "INTERNAL", "RATE_LIMITED"]);

/** Opens the socket; socket.io-client is loaded here, after the first frame is on screen. */
export async function openConnection(server: string, token: string, on: ConnectionEvents, tls: TlsOptions = { rejectUnauthorized: true }): Promise<Connection> {
  on.status("connecting", 0, null);
  const { io } = await import("socket.io-client");
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(server, {
    ...tls,
    transports: ["websocket"],
    auth: { token },
    reconnection: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 10_000,
    randomizationFactor: 0.5,
    timeout: 8_000,
  });
  let attempt = 0;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;

  socket.on("session:ready", (s) => {
    attempt = 0;
    on.ready(s);
  });
  socket.on("message:new", (m) => on.message(m));
  socket.on("presence:update", (p) => on.presence(p));
  socket.on("chat:updated", (u) => on.chatUpdated(u));
  socket.on("notice", (n) => on.notice(n));
  socket.on("server:shutdown", (s) => on.shutdown(s));
  socket.on("sync:required", (s) => on.syncRequired(s.afterId));
  socket.on("session:ended", (e) => {
    closed = true;
    socket.close();
    on.status("offline", 0, null);
    on.sessionEnded(e);
  });
  socket.on("connect", () => on.status("online", 0, null));
  socket.io.on("reconnect_attempt", (n) => {
    attempt = n;
    on.status("reconnecting", n, null);
  });
  socket.on("disconnect", (reason) => {
    if (closed) return;
    on.status("reconnecting", attempt, reason === "io server disconnect" ? "the server closed the connection" : reason);
    // socket.io does not reconnect by itself after a server-side disconnect; a revoked session
    // then fails the handshake and surfaces as authFailed.
    if (reason === "io server disconnect") scheduleRetry();
  });
  socket.on("connect_error", (err: Error & { data?: ConnectErrorData }) => {
    if (closed) return;
    const code = err.data?.code;
    if (code === "SESSION_INVALID" || code === "UNAUTHENTICATED" || code === "BANNED") {
      closed = true;
      socket.close();
      on.status("offline", attempt, err.message);
      on.authFailed(err.message);
      return;
    }
    on.status("reconnecting", attempt, certificateProblem(err) ?? err.message);
    // A middleware refusal (server busy, database down) is not retried by socket.io itself.
    if (err.data) scheduleRetry();
  });

  function scheduleRetry() {
    clearTimeout(retryTimer);
    attempt++;
    const delay = Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)) * (0.75 + Math.random() * 0.5);
    on.status("reconnecting", attempt, null);
    retryTimer = setTimeout(() => {
      if (!closed && !socket.connected) socket.connect();
    }, delay);
  }

  return {
    get connected() {
      return socket.connected;
    },
    async request(event, payload, timeoutMs = 10_000) {
      if (!socket.connected) return { ok: false, error: { code: CLIENT_ERRORS.offline as never, message: "Not connected to the server." } };
      try {
        const timed = socket.timeout(timeoutMs) as unknown as { emitWithAck(e: string, p: unknown): Promise<Result<AckData<typeof event>>> };
        return await timed.emitWithAck(event, payload);
      } catch {
        return { ok: false, error: { code: CLIENT_ERRORS.timeout as never, message: "The server did not answer in time." } };
      }
    },
    close() {
      closed = true;
      clearTimeout(retryTimer);
      socket.close();
    },
  };
}
