// The world the screenshots are taken in: chat-server on a temporary embedded database in a
// tmux pane, scripted users (socket.io clients), chat-tuis in tmux panes, and the renderer.
import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { promisify } from "node:util";
import path from "node:path";
import { PACKAGE_ROOT } from "../../server/paths.js";
import type { Page } from "playwright-core";
import type { ChatDto, MessageDto } from "../../server/protocol/index.js";
import { api, connect, type Client } from "../../test/helpers/harness.js";
import { freePort } from "../../test/helpers/process.js";
import { Tmux } from "../../test/helpers/tmux.js";
import { parseCapture } from "./ansi.js";
import type { Renderer, Window } from "./render.js";

export const SERVER_CLI = path.join(PACKAGE_ROOT, "dist", "server", "cli.js");
export const TUI_CLI = path.join(PACKAGE_ROOT, "dist", "tui", "cli.js");
export const SSHD_CLI = path.join(PACKAGE_ROOT, "dist", "gateway", "cli.js");

/**
 * The pane with its attributes and its trailing blanks (-N): without them tmux drops the blank
 * cells at the end of a row but keeps the attribute that was set for them, so the renderer could
 * not tell a reversed cursor cell from a reversed rest of the line.
 */
async function captureFull(pane: Tmux): Promise<string> {
  const { stdout } = await exec("tmux", ["-L", pane.socket, "capture-pane", "-e", "-p", "-N", "-t", "t"], { timeout: 10_000 });
  return stdout;
}

const exec = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** A program running in its own tmux server, with the title its window gets in a picture. */
export type Pane = Tmux & { title: string };
export type Tui = Pane & { nick: string; config: string };

export class Stage {
  readonly panes: Pane[] = [];
  readonly clients = new Map<string, Client>();
  readonly written: string[] = [];
  /** False while a scene runs only for the story (--only): shoot() then takes no picture. */
  picturing = true;
  private readonly passwords = new Map<string, string>();
  /** Shared by chat-server and chat-sshd (key logins). */
  readonly gatewaySecret = randomBytes(32).toString("hex");
  server!: Pane;
  url = "";
  port = 0;
  private serverEnv: Record<string, string> = {};
  private constructor(
    readonly dir: string,
    readonly out: string,
    readonly renderer: Renderer,
    readonly log: (line: string) => void,
  ) {}

  static async create(out: string, renderer: Renderer, log: (line: string) => void): Promise<Stage> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "chat-shots-"));
    await mkdir(out, { recursive: true });
    return new Stage(dir, out, renderer, log);
  }

  /** Each user's password, made up on first use. */
  passwordOf(nick: string): string {
    let p = this.passwords.get(nick);
    if (!p) this.passwords.set(nick, (p = `${nick}-pass-${randomUUID().slice(0, 8)}`));
    return p;
  }

  get dataDir() {
    return path.join(this.dir, "pgdata");
  }

  /** Starts `command` in a new tmux server (LANG=C.UTF-8, TERM=xterm-256color unless env says). */
  async pane(title: string, command: string, size: { width: number; height: number }, env: Record<string, string> = {}): Promise<Pane> {
    const tmux = Object.assign(new Tmux(), { title });
    this.panes.push(tmux);
    await tmux.start(`${command}; echo; echo "[exited $?]"; sleep 600`, { ...size, env });
    return tmux;
  }

  /** chat-server serve on a free port, as a person starts it in a terminal (the command shown first). */
  async startServer(env: Record<string, string>): Promise<void> {
    this.serverEnv = env;
    this.port = await freePort();
    const command = `node dist/server/cli.js serve --data-dir ${quote(this.dataDir)} --port ${this.port}`;
    this.server = await this.pane(
      "chat-server",
      `cd ${quote(PACKAGE_ROOT)} && printf '$ %s\\n' ${quote(command)} && ${command}`,
      { width: 110, height: 24 },
      { LOG_LEVEL: "info", DATABASE_URL: "", REDIS_URL: "", CHAT_GATEWAY_SECRET: this.gatewaySecret, ...env },
    );
    const screen = await this.server.waitFor(/listening on (http\S+)/, 120_000);
    this.url = /listening on (http\S+)/.exec(screen)![1]!;
    this.log(`chat-server listening on ${this.url}`);
  }

  /**
   * The server again on the same database when it has exited (a scene after /shutdown), with
   * the scripted users reconnected to it: the story so far is still in its history.
   */
  async ensureServer(): Promise<void> {
    if (!/\[exited \d+\]/.test(await this.server.screen())) return;
    const nicks = [...this.clients.keys()];
    for (const nick of nicks) this.offline(nick);
    this.log("chat-server has exited: starting it again on the same database");
    await this.startServer(this.serverEnv);
    for (const nick of nicks) await this.online(nick);
  }

  /** The scripted user `nick`, logged in now if they are not online yet. */
  async user(nick: string): Promise<Client> {
    return this.clients.get(nick) ?? this.online(nick);
  }

  /** `chat-server user add` on the running server (it goes through the control socket). */
  async addUser(nick: string, role: "admin" | "moderator" | "user"): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const child = execFile(process.execPath, [SERVER_CLI, "user", "add", nick, "--role", role, "--data-dir", this.dataDir], { timeout: 60_000, env: { ...process.env, DATABASE_URL: "" } }, (err, _out, stderr) =>
        err ? reject(new Error(`user add ${nick}: ${stderr || err.message}`)) : resolve(),
      );
      child.stdin?.end(`${this.passwordOf(nick)}\n`);
    });
  }

  async register(nick: string): Promise<void> {
    const r = await api(this.url, "/api/v1/register", { nick, password: this.passwordOf(nick) });
    if (r.status !== 201) throw new Error(`register ${nick}: ${r.status} ${JSON.stringify(r.body)}`);
  }

  /** A scripted user: logs in over HTTP and connects a socket.io client. */
  async online(nick: string): Promise<Client> {
    const r = await api<{ token: string; user: { id: number; nick: string; role: "admin" | "moderator" | "user" }; expiresAt: string }>(this.url, "/api/v1/login", { nick, password: this.passwordOf(nick) });
    if (r.status !== 200) throw new Error(`login ${nick}: ${r.status} ${JSON.stringify(r.body)}`);
    const client = await connect(this.url, r.body);
    this.clients.set(nick, client);
    return client;
  }

  offline(nick: string): void {
    this.clients.get(nick)?.close();
    this.clients.delete(nick);
  }

  /** The chat a scripted user calls `name` ("general", a room, or a peer's nick for a DM). */
  async chatOf(client: Client, name: string): Promise<ChatDto> {
    const known = client.ready.chats.find((c) => c.name === name) ?? client.received("chat:updated").map((u) => (u as { chat: ChatDto }).chat).find((c) => c.name === name);
    if (known) return known;
    return client.ok<ChatDto>("dm:open", { nick: name });
  }

  async say(nick: string, chat: string, text: string): Promise<MessageDto> {
    const client = this.clients.get(nick);
    if (!client) throw new Error(`${nick} is not online`);
    const c = await this.chatOf(client, chat);
    return client.ok<MessageDto>("message:send", { chatId: c.id, text, clientId: randomUUID() });
  }

  /** chat-tui in its own terminal, on its own config file (saved session) and download directory. */
  async tui(nick: string, opts: { width?: number; height?: number; title?: string } = {}): Promise<Tui> {
    const config = path.join(this.dir, `${nick}.json`);
    const downloads = path.join(this.dir, `${nick}-downloads`);
    const pane = await this.pane(
      opts.title ?? `${nick}@laptop: chat-tui`,
      `node ${TUI_CLI} --server ${this.url} --config ${quote(config)} --download-dir ${quote(downloads)} 2>>${quote(config + ".stderr")}`,
      { width: opts.width ?? 80, height: opts.height ?? 24 },
    );
    return Object.assign(pane, { nick, config });
  }

  /** Fills the login form (register: Ctrl+R) and waits for the chat screen. */
  async logIn(tui: Tui, opts: { register?: boolean; stopAtForm?: boolean } = {}): Promise<void> {
    await tui.waitFor(/Password/, 30_000);
    await tui.keys("C-u");
    await tui.type(tui.nick);
    await tui.keys("Tab");
    await tui.type(this.passwordOf(tui.nick));
    if (opts.stopAtForm) return;
    await tui.keys(opts.register ? "C-r" : "Enter");
    await tui.waitFor(/#general>/, 30_000);
  }

  async send(tui: Pane, line: string): Promise<void> {
    await tui.type(line);
    await tui.keys("Enter");
  }

  /**
   * Waits until the screen holds `match` and has stopped changing (a frame is drawn at most
   * every 16 ms; a quiet 300 ms means the picture is complete), then returns it.
   */
  async settle(pane: Pane, match: RegExp | ((s: string) => boolean) = () => true, timeoutMs = 30_000): Promise<string> {
    await pane.waitFor(match, timeoutMs);
    let last = await pane.screenWithAttributes();
    for (let i = 0; i < 50; i++) {
      await sleep(300);
      const now = await pane.screenWithAttributes();
      if (now === last) return now;
      last = now;
    }
    return last;
  }

  /** Captures the panes as they are now and writes one PNG of them side by side. */
  async shoot(name: string, panes: Pane[]): Promise<string | null> {
    if (!this.picturing) return null;
    const windows: Window[] = [];
    for (const p of panes) {
      const [w, h, cx, cy, visible] = (await p.display("#{pane_width} #{pane_height} #{cursor_x} #{cursor_y} #{cursor_flag}")).split(" ").map(Number) as [number, number, number, number, number];
      const text = await captureFull(p);
      // SHOTS_DEBUG=1 keeps each capture beside its picture, to check the renderer against it.
      if (process.env["SHOTS_DEBUG"]) await writeFile(path.join(this.out, `${name}.${windows.length}.ans`), JSON.stringify({ text, w, h, cx, cy, visible }));
      windows.push({ title: p.title, screen: parseCapture(text, w, h, visible ? { x: cx, y: cy } : null) });
    }
    const file = path.join(this.out, `${name}.png`);
    await this.renderer.terminals(file, windows);
    this.written.push(file);
    this.log(`wrote ${path.relative(process.cwd(), file)}`);
    return file;
  }

  /** A browser page as it shows now, one PNG of its viewport. */
  async shootPage(name: string, page: Page): Promise<string | null> {
    if (!this.picturing) return null;
    const file = path.join(this.out, `${name}.png`);
    await page.screenshot({ path: file, animations: "disabled" });
    this.written.push(file);
    this.log(`wrote ${path.relative(process.cwd(), file)}`);
    return file;
  }

  async close(): Promise<void> {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    for (const p of this.panes) await p.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}
