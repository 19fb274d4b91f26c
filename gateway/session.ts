// One SSH shell session: chat-tui (runApp) on the session's channel, with its own client of
// chat-server, the client's TERM, size and locale, and no access to the gateway's files.
import { randomUUID } from "node:crypto";
import type { Duplex } from "node:stream";
import { createClient, type ChatClient } from "../client/client.js";
import { systemClock, type SavedSession, type SessionStore } from "../client/ports.js";
import { runApp, type App } from "../tui/app.js";
import { authenticate, logout } from "../tui/net/auth.js";
import { openConnection } from "../tui/net/connection.js";
import { refusingFiles } from "./files.js";

export type OfferedKey = { fingerprint: string; line: string };

export type ShellSessionOptions = {
  channel: Duplex & { exit?(code: number): void; end(): void };
  server: string;
  term: string;
  size: { columns: number; rows: number };
  env: Record<string, string>;
  /** A session obtained with a bound key (logs straight in), or null for the login form. */
  session: SavedSession | null;
  /** A key the SSH client proved it holds but that is bound to no account: offered for binding. */
  offeredKey: OfferedKey | null;
  onEnd: () => void;
};

export type ShellSession = { app: App; client: ChatClient; resize(columns: number, rows: number): void; close(): Promise<void> };

/** Sessions in memory only: a gateway session saves nothing on the gateway host's disk. */
function memorySessions(initial: SavedSession | null, onSave: (s: SavedSession) => void): SessionStore {
  let saved = initial;
  return {
    load: async () => saved,
    save: async (_server, s) => {
      saved = s;
      onSave(s);
    },
    remove: async () => {
      saved = null;
    },
  };
}

export function startShellSession(opts: ShellSessionOptions): ShellSession {
  const { channel } = opts;
  let size = { ...opts.size };
  const listeners = new Set<() => void>();
  // blessed reads these fields of a TTY stream; setRawMode has nothing to do (the client's
  // terminal is raw already: ssh put it so for the pty).
  Object.assign(channel, { isTTY: true, columns: size.columns, rows: size.rows, isRaw: true, setRawMode: () => channel });
  const clock = systemClock();
  const tokens = new Set<string>(opts.session ? [opts.session.token] : []);
  let app: App | null = null;
  const client = createClient({
    server: opts.server,
    ports: {
      connect: (token, on) => openConnection(opts.server, token, on, { rejectUnauthorized: true }, clock),
      auth: { authenticate: (mode, nick, password) => authenticate(opts.server, mode, nick, password), logout: (token) => logout(opts.server, token) },
      sessions: memorySessions(opts.session, (s) => {
        tokens.add(s.token);
        offerKeyBinding();
      }),
      clock,
      newId: randomUUID,
      files: refusingFiles(),
    },
  });

  /** After a login with the form: asks whether the key the SSH client offered should log in next time. */
  function offerKeyBinding() {
    const key = opts.offeredKey;
    if (!key) return;
    const ask = () => {
      app?.view.ask(
        `Bind this SSH key (${key.fingerprint}) to your account, so that ssh logs you straight in next time? y/n`,
        () => {
          void client.request("key:add", { publicKey: key.line }).then((r) => {
            if (r.ok) client.notice(`Bound the SSH key ${r.data.fingerprint}: next time ssh logs you straight in. /key list shows your keys.`, "info");
            else client.notice(r.error.message, "error");
          });
        },
        () => client.notice("The key was not bound; /key add <public key line> binds one later.", "info"),
      );
    };
    if (client.connected) return ask();
    const stop = client.subscribe(() => {
      if (!client.connected) return;
      stop();
      ask();
    });
  }

  let ended = false;
  const end = async (code: number) => {
    if (ended) return;
    ended = true;
    try {
      channel.exit?.(code);
    } catch {
      // The channel is gone already.
    }
    channel.end();
    opts.onEnd();
  };

  app = runApp({
    terminal: {
      input: channel,
      output: channel,
      term: opts.term || "xterm",
      env: opts.env,
      size: () => size,
      onResize: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    },
    client,
    user: opts.session?.nick,
    // Ctrl+C and /quit end this session only: the channel closes, the gateway goes on.
    onExit: (code) => void end(code),
  });
  const theApp = app;
  channel.on("close", () => void theApp.quit());

  return {
    app: theApp,
    client,
    resize(columns, rows) {
      size = { columns, rows };
      for (const l of listeners) l();
    },
    async close() {
      await theApp.quit();
      for (const t of tokens) void logout(opts.server, t).catch(() => undefined);
    },
  };
}
