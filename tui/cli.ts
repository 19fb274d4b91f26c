#!/usr/bin/env node
// chat-tui command line: --server, --user, --config.
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { runApp } from "./app.js";
import { defaultConfigPath } from "./config.js";
import { tlsOptions } from "./net/tls.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("chat-tui")
  .usage("$0 [options]\n\nThe socket-messenger terminal client. F1 inside shows the keys.")
  .options({
    server: { type: "string", default: process.env["CHAT_SERVER"] ?? "http://127.0.0.1:3000", describe: "chat-server URL (env CHAT_SERVER)" },
    user: { type: "string", describe: "nick to log in as (pre-fills the form; picks the saved session)" },
    config: { type: "string", default: defaultConfigPath(), defaultDescription: "$XDG_CONFIG_HOME/socket-messenger/tui.json", describe: "file holding saved sessions (mode 0600)" },
    ca: { type: "string", describe: "PEM file of a private CA to trust for https:// servers" },
    insecure: { type: "boolean", default: false, describe: "accept any TLS certificate (unsafe: for testing only)" },
  })
  .check((a) => {
    try {
      const u = new URL(a.server);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
    } catch {
      throw new Error(`--server must be an http:// or https:// URL, got "${a.server}"`);
    }
    return true;
  })
  .strict()
  .help()
  .parseAsync();

if (!process.stdout.isTTY || !process.stdin.isTTY) {
  process.stderr.write("chat-tui needs a terminal: run it in a terminal, tmux or an SSH session with a TTY (ssh -t).\n");
  process.exit(2);
}

let tls;
try {
  tls = tlsOptions({ ca: argv.ca, insecure: argv.insecure });
} catch (e) {
  process.stderr.write(`chat-tui: cannot read --ca ${argv.ca}: ${(e as Error).message}\n`);
  process.exit(2);
}
await runApp({ server: argv.server, user: argv.user, configPath: argv.config, tls });
