// The client core's ports for a local chat-tui process: socket.io over TCP/TLS, the HTTP
// account API, the 0600 config file for sessions, the local file system for transfers.
import { randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { createClient, type ChatClient } from "../client/client.js";
import { systemClock } from "../client/ports.js";
import { fileSessionStore } from "./config.js";
import { authenticate, logout } from "./net/auth.js";
import { openConnection } from "./net/connection.js";
import type { TlsOptions } from "./net/tls.js";
import { localFiles } from "./net/transfer.js";

/** $CHAT_DOWNLOAD_DIR, $XDG_DOWNLOAD_DIR, or ~/Downloads. */
export function defaultDownloadDir(env: Record<string, string | undefined> = process.env): string {
  return env["CHAT_DOWNLOAD_DIR"] || env["XDG_DOWNLOAD_DIR"] || path.join(os.homedir(), "Downloads");
}

export type LocalClientOptions = {
  server: string;
  configPath: string;
  tls?: TlsOptions;
  /** Where /download saves by default (created when missing). */
  downloadDir?: string;
  /** What relative paths in /send and /download are relative to. */
  cwd?: string;
  /** A compressed socket (--compress, for slow links). */
  compress?: boolean;
};

export function createLocalClient(opts: LocalClientOptions): ChatClient {
  const tls = opts.tls ?? { rejectUnauthorized: true };
  const clock = systemClock();
  return createClient({
    server: opts.server,
    ports: {
      connect: (token, on) => openConnection(opts.server, token, on, tls, clock, opts.compress ?? false),
      auth: {
        authenticate: (mode, nick, password) => authenticate(opts.server, mode, nick, password, tls),
        logout: (token) => logout(opts.server, token, tls),
      },
      sessions: fileSessionStore(opts.configPath),
      clock,
      newId: randomUUID,
      files: localFiles({ downloadDir: opts.downloadDir ?? defaultDownloadDir(), ...(opts.cwd ? { cwd: opts.cwd } : {}) }),
    },
  });
}
