#!/usr/bin/env -S node --max-semi-space-size=1
// chat-sshd command line: serve chat-tui over SSH to every `ssh -p 2022 host`.
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { loadOrCreateHostKey } from "./host-key.js";
import { startGateway } from "./sshd.js";

function defaultDataDir(env = process.env): string {
  return env["CHAT_SSHD_DATA_DIR"] || path.join(env["XDG_DATA_HOME"] || path.join(os.homedir(), ".local", "share"), "socket-messenger", "sshd");
}

const argv = await yargs(hideBin(process.argv))
  .scriptName("chat-sshd")
  .usage("$0 [options]\n\nAn SSH server that opens chat-tui for every `ssh -p PORT host`.")
  .options({
    port: { type: "number", default: 2022, describe: "SSH port to listen on" },
    host: { type: "string", default: "127.0.0.1", describe: "address to listen on (0.0.0.0 for everyone)" },
    server: { type: "string", default: process.env["CHAT_SERVER"] ?? "http://127.0.0.1:3000", describe: "chat-server URL (env CHAT_SERVER)" },
    "data-dir": { type: "string", default: defaultDataDir(), defaultDescription: "$XDG_DATA_HOME/socket-messenger/sshd", describe: "where the host key is kept (env CHAT_SSHD_DATA_DIR)" },
    "host-key": { type: "string", describe: "the host's private key (made there on first start, mode 0600)", defaultDescription: "<data-dir>/host_ed25519" },
    "gateway-secret-file": { type: "string", describe: "file holding the secret chat-server knows as CHAT_GATEWAY_SECRET (env CHAT_GATEWAY_SECRET_FILE, or CHAT_GATEWAY_SECRET itself); without it bound keys cannot log in" },
    "max-sessions": { type: "number", default: 500, describe: "SSH connections served at once; more are closed" },
  })
  .check((a) => {
    const u = new URL(a.server);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`--server must be an http:// or https:// URL, got "${a.server}"`);
    if (!Number.isInteger(a["max-sessions"]) || a["max-sessions"] < 1) throw new Error("--max-sessions must be a whole number of at least 1");
    return true;
  })
  .strict()
  .help()
  .parseAsync();

function log(event: string, fields: Record<string, unknown>) {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), event, ...fields }) + "\n");
}

let secret: string | undefined = process.env["CHAT_GATEWAY_SECRET"] || undefined;
const secretFile = argv["gateway-secret-file"] ?? process.env["CHAT_GATEWAY_SECRET_FILE"];
try {
  if (secretFile) secret = readFileSync(secretFile, "utf8").trim();
} catch (e) {
  process.stderr.write(`chat-sshd: cannot read the gateway secret ${secretFile}: ${(e as Error).message}\n`);
  process.exit(2);
}
if (!secret) process.stderr.write("chat-sshd: no gateway secret (--gateway-secret-file or CHAT_GATEWAY_SECRET): keys cannot log in, everyone gets the login form\n");

const keyFile = argv["host-key"] ?? path.join(argv["data-dir"], "host_ed25519");
let hostKey: Buffer;
try {
  hostKey = loadOrCreateHostKey(keyFile);
} catch (e) {
  process.stderr.write(`chat-sshd: ${(e as Error).message}\n`);
  process.exit(2);
}
try {
  const gw = await startGateway({ port: argv.port, host: argv.host, server: argv.server, hostKey, gatewaySecret: secret, maxSessions: argv["max-sessions"], log });
  log("listening", { host: argv.host, port: gw.port, server: argv.server, hostKey: keyFile });
  const stop = () => void gw.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} catch (e) {
  process.stderr.write(`chat-sshd: cannot listen on ${argv.host}:${argv.port}: ${(e as Error).message}\n`);
  process.exit(1);
}
