// Opens the socket.io-client socket of a local chat-tui (TLS options, backoff settings) and
// hands it to the client core's connection adapter.
import type { Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "../../server/protocol/index.js";
import { COMPRESS_OPTIONS, HANDSHAKE_PROTOCOL, SOCKET_OPTIONS, socketConnection, type Connection, type ConnectionEvents, type SocketLike } from "../../client/connection.js";
import { systemClock, type Clock } from "../../client/ports.js";
import { certificateProblem, type TlsOptions } from "./tls.js";

export { CLIENT_ERRORS, TRANSIENT_ERRORS, type Connection, type ConnectionEvents } from "../../client/connection.js";

/** Opens the socket; socket.io-client is loaded here, after the first frame is on screen. */
export async function openConnection(
  server: string,
  token: string,
  on: ConnectionEvents,
  tls: TlsOptions = { rejectUnauthorized: true },
  clock: Clock = systemClock(),
  /** Asks for a compressed socket (permessage-deflate; for slow links). */
  compress = false,
): Promise<Connection> {
  on.status("connecting", 0, null);
  const { io } = await import("socket.io-client");
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(server, {
    ...tls,
    ...SOCKET_OPTIONS,
    transports: [...SOCKET_OPTIONS.transports],
    auth: { token, protocol: HANDSHAKE_PROTOCOL },
    ...(compress ? { query: { ...COMPRESS_OPTIONS.query }, perMessageDeflate: { ...COMPRESS_OPTIONS.perMessageDeflate } } : {}),
  });
  return socketConnection(socket as unknown as SocketLike, on, { clock, describeError: certificateProblem });
}
