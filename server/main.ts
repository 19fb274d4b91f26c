// Composition root: config -> database -> services -> Socket.IO -> listen.
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "./config.js";
import { openDatabase, type Database } from "./db/client.js";
import { createRepositories } from "./db/repositories.js";
import { createLogger, type Logger } from "./log.js";
import { createAccountService, type AccountService } from "./services/accounts.js";
import { createChatService, type ChatService } from "./services/chat.js";
import { createScryptHasher } from "./services/password.js";
import type { Notifier } from "./services/ports.js";
import { createPresenceService } from "./services/presence.js";
import { createHttpHandler } from "./transport/http.js";
import { attachSocketHandlers, createIo, createNotifier, type ChatServer } from "./transport/io.js";

export type RunningServer = {
  url: string;
  port: number;
  db: Database;
  io: ChatServer;
  http: HttpServer;
  accounts: AccountService;
  chat: ChatService;
  log: Logger;
  close(): Promise<void>;
};

/** Services over an open database, without a network listener (the CLI's user commands). */
export function createServices(db: Database, config: Config, notifier: Notifier) {
  const repos = createRepositories(db.prisma);
  const hasher = createScryptHasher({ logN: config.scryptLogN });
  const presence = createPresenceService({ notifier });
  const accounts = createAccountService({ repos, hasher, notifier, sessionTtlMs: config.sessionTtlMs });
  const chat = createChatService({ repos, notifier, presence });
  return { repos, presence, accounts, chat };
}

export async function startServer(config: Config, log: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  log.info({ database: db.kind, location: db.location, migrationsApplied: db.applied }, "database ready");

  const http = createServer({ requestTimeout: 15_000, headersTimeout: 10_000, maxHeaderSize: 16 * 1024 });
  const io = createIo(http);
  const notifier = createNotifier(io);
  const { accounts, chat, presence } = createServices(db, config, notifier);
  http.on("request", createHttpHandler({ accounts, notifier, log }));
  attachSocketHandlers(io, { accounts, chat, presence, log });

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(config.port, config.host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  log.info({ url }, "chat-server listening");

  let closing: Promise<void> | undefined;
  return {
    url, port, db, io, http, accounts, chat, log,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => io.close(() => resolve()));
        await db.close();
      })();
      return closing;
    },
  };
}
