// chat-sshd: an SSH server (ssh2) whose every shell session is chat-tui on the channel and an
// ordinary client of chat-server. Keys bound to accounts log straight in; other clients get
// chat-tui's own login form. Forwarding, agents, X11 and subsystems are refused.
import { timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import ssh2 from "ssh2";
import type { AuthContext, Connection, ServerChannel, Session } from "ssh2";
import { parseSshPublicKey, sshFingerprint } from "../server/services/ssh-keys.js";
import { keyLogin, logoutToken } from "./api.js";
import { runExec } from "./exec.js";
import { startShellSession, type OfferedKey, type ShellSession } from "./session.js";

export type GatewayOptions = {
  port: number;
  host: string;
  /** chat-server's URL. */
  server: string;
  hostKey: Buffer;
  /** The secret chat-server knows as CHAT_GATEWAY_SECRET; without it keys cannot log in. */
  gatewaySecret: string | undefined;
  maxSessions: number;
  log?: (event: string, fields: Record<string, unknown>) => void;
};

export type Gateway = { port: number; sessions(): number; close(): Promise<void> };

export const NO_PTY_MESSAGE = "chat-sshd serves the chat in a terminal: connect with a TTY (plain `ssh -p PORT HOST`, or `ssh -t`), or run a command such as `send '#general' 'text'`.\r\n";

/** The locale variables OpenSSH sends with SendEnv (Debian's ssh_config sends LANG and LC_*). */
const LOCALE_VARS = new Set(["LANG", "LC_ALL", "LC_CTYPE"]);

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const log = opts.log ?? (() => {});
  const shells = new Set<ShellSession>();
  const connections = new Set<Connection>();

  const server = new ssh2.Server({ hostKeys: [opts.hostKey], ident: "chat-sshd" }, (conn, info) => {
    if (connections.size >= opts.maxSessions) {
      log("refused", { address: info.ip, reason: "too many sessions" });
      conn.end();
      return;
    }
    connections.add(conn);
    let session: { nick: string; token: string } | null = null;
    let offered: OfferedKey | null = null;
    const verified = new Set<string>();

    conn.on("authentication", (ctx: AuthContext) => void authenticateClient(ctx));

    async function authenticateClient(ctx: AuthContext) {
      if (ctx.method === "publickey") {
        let parsedLine: string;
        try {
          const type = ctx.key.algo;
          parsedLine = `${type} ${ctx.key.data.toString("base64")}`;
          parseSshPublicKey(parsedLine);
        } catch {
          return ctx.reject(["publickey", "keyboard-interactive"]);
        }
        const fingerprint = sshFingerprint(ctx.key.data);
        // Only a query: the key is acceptable; the client signs next.
        if (!ctx.signature || !ctx.blob) return ctx.accept();
        const pub = ssh2.utils.parseKey(parsedLine);
        const key = Array.isArray(pub) ? pub[0] : pub;
        if (!key || key instanceof Error) return ctx.reject(["publickey", "keyboard-interactive"]);
        // The key's data must be the one parsed (constant time), and the signature must verify.
        const same = key.getPublicSSH().length === ctx.key.data.length && timingSafeEqual(key.getPublicSSH(), ctx.key.data);
        if (!same || key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(["publickey", "keyboard-interactive"]);
        verified.add(fingerprint);
        if (opts.gatewaySecret) {
          const r = await keyLogin(opts.server, opts.gatewaySecret, fingerprint, info.ip);
          if (r.ok) {
            session = { nick: r.auth.user.nick, token: r.auth.token };
            log("login.key", { address: info.ip, nick: session.nick, fingerprint });
            return ctx.accept();
          }
          if (r.code !== "KEY_NOT_FOUND") log("login.key.failed", { address: info.ip, fingerprint, code: r.code, message: r.message });
        }
        // A key the client holds but no account has: offered for binding after the form.
        offered ??= { fingerprint, line: parsedLine };
        return ctx.reject(["keyboard-interactive"]);
      }
      if (ctx.method === "keyboard-interactive") {
        // No questions at the SSH layer: chat-tui's login form on the channel is the login.
        return ctx.accept();
      }
      // "none" (and passwords): name what works, so the client tries keys first.
      return ctx.reject(["publickey", "keyboard-interactive"]);
    }

    // Global requests (tcpip-forward, streamlocal forwarding) and direct channels are refused.
    conn.on("request", (_accept, reject, name) => {
      log("refused", { address: info.ip, request: name });
      reject?.();
    });
    conn.on("tcpip", (_accept, reject) => reject());
    conn.on("openssh.streamlocal", (_accept, reject) => reject());
    conn.on("error", (e: Error) => log("connection.error", { address: info.ip, message: e.message }));
    conn.on("close", () => {
      connections.delete(conn);
      if (session && !shellStarted) void logoutToken(opts.server, session.token);
    });
    let shellStarted = false;

    conn.on("ready", () => {
      conn.on("session", (acceptSession) => {
        const s: Session = acceptSession();
        let pty: { term: string; cols: number; rows: number } | null = null;
        const env: Record<string, string> = {};
        let shell: ShellSession | null = null;
        s.on("pty", (accept, _reject, p) => {
          pty = { term: p.term, cols: p.cols || 80, rows: p.rows || 24 };
          accept?.();
        });
        s.on("env", (accept, _reject, e) => {
          if (LOCALE_VARS.has(e.key)) env[e.key] = e.val;
          accept?.();
        });
        s.on("window-change", (accept, _reject, w) => {
          if (pty) pty = { ...pty, cols: w.cols, rows: w.rows };
          shell?.resize(w.cols, w.rows);
          accept?.();
        });
        s.on("auth-agent", (_accept, reject) => reject?.());
        s.on("x11", (_accept, reject) => reject?.());
        s.on("subsystem", (_accept, reject) => reject?.());
        s.on("signal", (accept) => accept?.());
        s.on("exec", (accept, _reject, e) => {
          const channel: ServerChannel = accept();
          shellStarted = true;
          void runExec({ channel, command: e.command, server: opts.server, session }).finally(() => {
            if (session) void logoutToken(opts.server, session.token);
          });
        });
        s.on("shell", (accept) => {
          const channel: ServerChannel = accept();
          if (!pty) {
            channel.stderr.write(NO_PTY_MESSAGE);
            channel.exit(2);
            channel.end();
            return;
          }
          if (shellStarted) {
            channel.stderr.write("One chat per SSH connection: open another connection for a second one.\r\n");
            channel.exit(2);
            channel.end();
            return;
          }
          shellStarted = true;
          const p = pty as { term: string; cols: number; rows: number };
          shell = startShellSession({
            channel: channel as never,
            server: opts.server,
            term: p.term,
            size: { columns: p.cols, rows: p.rows },
            env,
            session,
            offeredKey: offered,
            onEnd: () => {
              if (shell) shells.delete(shell);
              void shell?.close();
              // The client hangs up once the channel (with its exit status) is closed; a
              // client that does not is disconnected a little later.
              setTimeout(() => conn.end(), 5000).unref();
            },
          });
          shells.add(shell);
          log("session.start", { address: info.ip, nick: session?.nick ?? null, term: p.term, cols: p.cols, rows: p.rows });
        });
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    sessions: () => shells.size,
    async close() {
      await Promise.all([...shells].map((s) => s.close().catch(() => undefined)));
      for (const c of connections) c.end();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
