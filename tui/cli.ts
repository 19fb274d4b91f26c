#!/usr/bin/env -S node --max-semi-space-size=1
// chat-tui command line: the chat client (default) and the admin dashboard.
// The flag: a 1 MiB young generation instead of 16 MiB; chat-tui's garbage is small and short
// lived, and the default lets RSS grow by tens of MiB while scrolling (docs/benchmarks.md).
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { checkSettings, defaultConfigPath, loadConfig, type BellMode, type Settings } from "./config.js";
import { tlsOptions, type TlsOptions } from "./net/tls.js";

function needTty(): void {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    process.stderr.write("chat-tui needs a terminal: run it in a terminal, tmux or an SSH session with a TTY (ssh -t).\n");
    process.exit(2);
  }
}

function tls(argv: { ca?: string | undefined; insecure?: boolean | undefined }): TlsOptions {
  try {
    return tlsOptions(argv);
  } catch (e) {
    process.stderr.write(`chat-tui: cannot read --ca ${argv.ca}: ${(e as Error).message}\n`);
    process.exit(2);
  }
}

/** The key overrides and settings in the config file; a mistake there is explained, then exit 2. */
async function readSettings(file: string): Promise<Settings> {
  try {
    return checkSettings(await loadConfig(file), file);
  } catch (e) {
    process.stderr.write(`chat-tui: ${(e as Error).message}\n`);
    process.exit(2);
  }
}

await yargs(hideBin(process.argv))
  .scriptName("chat-tui")
  .usage("$0 [dashboard] [options]\n\nThe socket-messenger terminal client. F1 inside shows the keys.")
  .options({
    server: { type: "string", default: process.env["CHAT_SERVER"] ?? "http://127.0.0.1:3000", describe: "chat-server URL (env CHAT_SERVER)" },
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
  .command(
    "$0",
    "chat (the default)",
    (y) =>
      y.options({
        user: { type: "string", describe: "nick to log in as (pre-fills the form; picks the saved session)" },
        "download-dir": { type: "string", describe: "where /download saves files (env CHAT_DOWNLOAD_DIR)", defaultDescription: "$XDG_DOWNLOAD_DIR or ~/Downloads" },
        unicode: { type: "boolean", describe: "draw Unicode even though the locale is not UTF-8 (the terminal is)", conflicts: "ascii" },
        ascii: { type: "boolean", describe: "draw ASCII only (borders + - |), whatever the locale says" },
        compress: { type: "boolean", default: process.env["CHAT_COMPRESS"] === "1", describe: "compress the connection (permessage-deflate; for slow links, env CHAT_COMPRESS=1)" },
        bell: { choices: ["off", "mentions", "all"] as const, describe: "terminal bell: off, mentions (mentions and direct messages), all", defaultDescription: '"bell" in the config file, else mentions' },
      }),
    async (argv) => {
      needTty();
      const settings = await readSettings(argv.config);
      const { runApp } = await import("./app.js");
      const { createLocalClient, defaultDownloadDir } = await import("./local.js");
      const client = createLocalClient({ server: argv.server, configPath: argv.config, tls: tls(argv), downloadDir: argv["download-dir"] ?? defaultDownloadDir(), compress: argv.compress });
      const app = runApp({
        terminal: { input: process.stdin, output: process.stdout, term: process.env["TERM"] ?? "xterm", env: process.env },
        client,
        user: argv.user,
        keys: settings.keys,
        bell: (argv.bell as BellMode | undefined) ?? settings.bell,
        charset: argv.unicode ? "unicode" : argv.ascii ? "ascii" : undefined,
        traceFile: process.env["CHAT_TUI_TRACE"],
        onExit: (code) => process.exit(code),
      });
      for (const sig of ["SIGTERM", "SIGHUP"] as const) process.once(sig, () => void app.quit());
      await app.started;
    },
  )
  .command("dashboard", "live metrics of the server or cluster (admins; uses the saved session)", (y) => y, async (argv) => {
    needTty();
    const { runDashboard } = await import("./dashboard/run.js");
    await runDashboard({ server: argv.server, configPath: argv.config, tls: tls(argv) });
  })
  .strict()
  .help()
  .parseAsync();
