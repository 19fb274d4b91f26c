#!/usr/bin/env node
// chat-server command line: serve (default), migrate, user add, user set-role.
import { createInterface } from "node:readline";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { parseSize, resolveConfig, type Config, type ConfigOverrides } from "./config.js";
import path from "node:path";
import { openDatabase } from "./db/client.js";
import { CONTROL_SOCKET, DataDirLockedError, holderAlive } from "./db/data-dir.js";
import { pino } from "pino";
import { createAuditLog, createLogger } from "./log.js";
import { createServices, startServer } from "./main.js";
import { Password, type Role, type UserDto } from "./protocol/index.js";
import type { Notifier } from "./services/ports.js";
import { controlRequest } from "./transport/control.js";

const ROLES: readonly Role[] = ["admin", "moderator", "user"];

// The CLI process has no connected clients to tell.
const offlineNotifier: Notifier = {
  toUser() {}, toChat() {}, toAll() {}, toPresence() {}, message() {}, subscribe() {}, unsubscribe() {}, endSession() {}, endUser() {},
};

type DbArgs = { "data-dir"?: string | undefined; "database-url"?: string | undefined };
const dbConfig = (argv: DbArgs, extra: ConfigOverrides = {}): Config =>
  resolveConfig({ dataDir: argv["data-dir"], databaseUrl: argv["database-url"], ...extra });

/** Reads a password: masked prompt on a terminal, else the first line of stdin. */
async function readPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    throw new Error("no password on standard input");
  }
  process.stderr.write(prompt);
  process.stdin.setRawMode(true);
  process.stdin.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString("utf8")) {
        if (ch === "\r" || ch === "\n") {
          done();
          resolve(value);
          return;
        }
        if (ch === "\u0003") {
          done();
          reject(new Error("cancelled"));
          return;
        }
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else if (ch >= " ") value += ch;
      }
    };
    const done = () => {
      process.stdin.off("data", onData);
      process.stdin.setRawMode(false);
      process.stdin.pause();
      process.stderr.write("\n");
    };
    process.stdin.on("data", onData);
  });
}

/**
 * Runs a user command on the services over the database; when a running server holds the
 * embedded database, sends it to that server instead (`remote`), so it takes effect there.
 */
async function withServices<T>(
  argv: DbArgs,
  fn: (s: ReturnType<typeof createServices>) => Promise<T>,
  remote?: (socketPath: string) => Promise<T>,
): Promise<T> {
  const config = dbConfig(argv);
  let db;
  try {
    db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, onStaleLock: staleLockNotice });
  } catch (e) {
    if (!(e instanceof DataDirLockedError) || !remote || holderAlive(e.holder) !== true) throw e;
    const socketPath = path.join(config.dataDir, CONTROL_SOCKET);
    try {
      return await remote(socketPath);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ECONNREFUSED") throw err;
      throw new Error(
        `the embedded database in ${config.dataDir} is in use by process ${e.holder.pid} (${e.holder.command}, since ${e.holder.startedAt}), ` +
          `which does not take user commands (it is not a running server, or it is still starting); wait for it to finish, or stop it, and run this again`,
      );
    }
  }
  try {
    // Audit lines go to stderr: stdout carries the command's own answer.
    const audit = createAuditLog(createLogger(config.logLevel, pino.destination({ dest: 2, sync: true })));
    return await fn(createServices(db, config, offlineNotifier, undefined, audit));
  } finally {
    await db.close();
  }
}

const staleLockNotice = (holder: { pid: number; command: string } | null) =>
  process.stderr.write(`chat-server: took over the data directory's lock from process ${holder?.pid ?? "(unknown)"}${holder ? ` (${holder.command})` : ""}, which no longer exists\n`);

const dbOptions = {
  "data-dir": { type: "string", describe: "embedded database directory (env CHAT_DATA_DIR)" },
  "database-url": { type: "string", describe: "PostgreSQL URL; replaces the embedded database (env DATABASE_URL)" },
} as const;

let serving = false;

await yargs(hideBin(process.argv))
  .scriptName("chat-server")
  .usage("$0 [command] [options]")
  .command(
    ["serve", "$0"],
    "start the chat server (default)",
    (y) =>
      y.options({
        ...dbOptions,
        port: { type: "number", describe: "TCP port (env PORT)", default: undefined, defaultDescription: "3000" },
        host: { type: "string", describe: "address to listen on (env HOST)", defaultDescription: "127.0.0.1" },
        "log-level": { type: "string", describe: "fatal|error|warn|info|debug (env LOG_LEVEL)", defaultDescription: "info" },
        "redis-url": { type: "string", describe: "Redis for shared rate limits (env REDIS_URL)" },
        "tls-cert": { type: "string", describe: "PEM certificate: serve HTTPS/WSS (env TLS_CERT)" },
        "tls-key": { type: "string", describe: "PEM private key for --tls-cert (env TLS_KEY)" },
        web: { type: "boolean", describe: "serve the browser client at / (--no-web: API and sockets only) (env CHAT_WEB=0)", defaultDescription: "true" },
        "allowed-origin": { type: "string", array: true, describe: "browser Origin allowed to connect; repeatable (env ALLOWED_ORIGINS, comma-separated)" },
        "trust-proxy": { type: "boolean", describe: "count per-address limits by the X-Forwarded-For entry the proxy in front appended (behind nginx/HAProxy) (env TRUST_PROXY=1)" },
        "trust-proxy-hops": { type: "number", describe: "like --trust-proxy, with this many trusted proxies in a chain (env TRUST_PROXY=<n>)" },
        "drain-seconds": { type: "number", describe: "how long shutdown waits for requests in flight", defaultDescription: "10" },
        "max-file-size": { type: "string", describe: "largest file users may send, e.g. 25MiB (env CHAT_MAX_FILE_SIZE)", defaultDescription: "25MiB" },
        "file-quota": { type: "string", describe: "bytes of files each user may store, e.g. 1GiB (env CHAT_FILE_QUOTA)", defaultDescription: "1GiB" },
        "max-transfers": { type: "number", describe: "uploads (and downloads) in progress per user (env CHAT_MAX_TRANSFERS)", defaultDescription: "3" },
        "upload-timeout": { type: "number", describe: "seconds an unfinished upload may sit idle before it is removed (env CHAT_UPLOAD_IDLE_SEC)", defaultDescription: "3600" },
      }),
    async (argv) => {
      const config = dbConfig(argv, {
        port: argv.port,
        host: argv.host,
        logLevel: argv["log-level"],
        redisUrl: argv["redis-url"],
        tlsCert: argv["tls-cert"],
        tlsKey: argv["tls-key"],
        allowedOrigins: argv["allowed-origin"]?.map(String),
        web: argv.web,
        trustProxy: argv["trust-proxy-hops"] !== undefined ? argv["trust-proxy-hops"] : argv["trust-proxy"],
        drainMs: argv["drain-seconds"] !== undefined ? argv["drain-seconds"] * 1000 : undefined,
        files: {
          maxFileBytes: argv["max-file-size"] !== undefined ? parseSize(argv["max-file-size"], "--max-file-size") : undefined,
          quotaBytesPerUser: argv["file-quota"] !== undefined ? parseSize(argv["file-quota"], "--file-quota") : undefined,
          maxTransfersPerUser: argv["max-transfers"],
          uploadIdleMs: argv["upload-timeout"] !== undefined ? argv["upload-timeout"] * 1000 : undefined,
        },
      });
      const log = createLogger(config.logLevel);
      if (!config.databaseUrl) process.stderr.write(`chat-server: embedded database in ${config.dataDir}\n`);
      const server = await startServer(config, log);
      serving = true;
      // However it ends (a signal here, or /shutdown from an admin), exit 0 once drained.
      server.closed.then(() => process.exit(0), () => process.exit(1));
      const stop = (signal: string) => {
        log.info({ signal }, "shutting down");
        setTimeout(() => process.exit(1), config.drainMs + 5_000).unref();
        void server.shutdown({ inSeconds: 0, reason: "the server is restarting" });
      };
      process.once("SIGINT", () => stop("SIGINT"));
      process.once("SIGTERM", () => stop("SIGTERM"));
      // Announced only once a signal drains it: a supervisor that stops it as soon as it listens gets a clean exit.
      process.stderr.write(`chat-server: listening on ${server.url}\n`);
    },
  )
  .command("migrate", "apply pending database migrations and exit", (y) => y.options(dbOptions), async (argv) => {
    const config = dbConfig(argv);
    const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, onStaleLock: staleLockNotice });
    await db.close();
    console.log(db.applied.length ? `applied: ${db.applied.join(", ")}` : "the database is up to date");
  })
  .command("user", "manage accounts", (y) =>
    y
      .command(
        "add <nick>",
        "create an account (password from a prompt or from stdin)",
        (yy) => yy.positional("nick", { type: "string", demandOption: true }).options({ ...dbOptions, role: { choices: ROLES, default: "user" as Role } }),
        async (argv) => {
          const password = Password.safeParse(await readPassword(`password for ${argv.nick}: `));
          if (!password.success) throw new Error(password.error.issues[0]?.message ?? "invalid password");
          const input = { nick: argv.nick, password: password.data, role: argv.role };
          const user = await withServices(argv, (s) => s.accounts.addUser(input), (sock) => controlRequest<UserDto>(sock, "/user/add", input));
          console.log(`created ${user.nick} (id ${user.id}, role ${user.role})`);
        },
      )
      .command(
        "set-role <nick> <role>",
        "change an account's role",
        (yy) => yy.positional("nick", { type: "string", demandOption: true }).positional("role", { choices: ROLES, demandOption: true }).options(dbOptions),
        async (argv) => {
          const input = { nick: argv.nick, role: argv.role as Role };
          const user = await withServices(argv, (s) => s.accounts.setRole(input.nick, input.role), (sock) => controlRequest<UserDto>(sock, "/user/set-role", input));
          console.log(`${user.nick} is now ${user.role}`);
        },
      )
      .demandCommand(1, "name a user command: add or set-role"),
  )
  .strict()
  .help()
  .fail((msg, err, y) => {
    if (err) process.stderr.write(`chat-server: ${err.message || String(err)}\n`);
    else {
      y.showHelp();
      process.stderr.write(`\n${msg}\n`);
    }
    process.exit(2);
  })
  .parseAsync();

// One-shot commands are done here; Prisma's schema engine leaves a 10 s timer behind.
if (!serving) process.exit(process.exitCode ?? 0);
