// The situations the guide shows, in story order: each scene drives the real programs on the
// stage into a situation and shoots it. The list is data; a scene that needs something this
// machine or checkout lacks says why and is skipped.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { PACKAGE_ROOT } from "../../server/paths.js";
import type { Page } from "playwright-core";
import type { ChatDto, MessageDto } from "../../server/protocol/index.js";
import type { Client } from "../../test/helpers/harness.js";
import { SSHD_CLI, type Pane, type Stage, type Tui } from "./stage.js";

export type Scene = {
  id: string;
  /** What the pictures show (printed while the script runs). */
  about: string;
  /** Runs in --quick mode (the CI check). */
  quick?: boolean;
  /** Why this scene cannot run here, or null. */
  missing?: () => string | null;
  run(stage: Stage, cast: Cast): Promise<void>;
};

/** The people on stage and their terminals, filled in as the story goes. */
export type Cast = { alice?: Tui; bob?: Tui; dashboard?: Pane; sshd?: Pane; ssh?: Pane };

const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`${what} is not on stage: an earlier scene was skipped`);
  return value;
};

function hasCommand(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export const SCENES: Scene[] = [
  {
    id: "server-start",
    about: "chat-server starting on a fresh embedded database: its terminal",
    quick: true,
    async run(stage) {
      await stage.settle(stage.server, /listening on/);
      await stage.shoot("server-start", [stage.server]);
    },
  },
  {
    id: "login",
    about: "chat-tui's login form",
    quick: true,
    async run(stage, cast) {
      // The first admin comes from the command line (through the running server's control socket).
      await stage.addUser("alice", "admin");
      // The others were here first: they registered (joining general) and talked.
      for (const nick of ["bob", "carol", "dmitri"]) await stage.register(nick);
      await stage.online("bob");
      await stage.online("carol");
      await stage.say("carol", "general", "morning all! кто идёт на обед? 🍜");
      await stage.say("bob", "general", "the release notes are in the wiki");
      const alice = (cast.alice = await stage.tui("alice"));
      await stage.logIn(alice, { stopAtForm: true });
      await stage.settle(alice, /Password/);
      await stage.shoot("login", [alice]);
    },
  },
  {
    id: "connected",
    about: "alice logged in: general, who is online, the server's log of the logins",
    quick: true,
    async run(stage, cast) {
      const alice = need(cast.alice, "alice");
      await alice.keys("Enter");
      await alice.waitFor(/#general>/, 30_000);
      await stage.settle(alice, /● carol/);
      await stage.shoot("connected", [alice]);
      await stage.settle(stage.server, /login\.ok[\s\S]*login\.ok[\s\S]*login\.ok/);
      await stage.shoot("server-logins", [stage.server]);
    },
  },
  {
    id: "switcher",
    about: "choosing whom to talk to: the quick switcher (Ctrl+K) and the user list",
    async run(stage, cast) {
      const alice = need(cast.alice, "alice");
      await alice.keys("C-k");
      await stage.settle(alice, /dmitri\s+person/);
      await stage.shoot("switcher", [alice]);
      await alice.keys("Escape");
      await alice.waitFor((s) => !s.includes("Go to:"));
    },
  },
  {
    id: "message",
    about: "a message sent by alice and received by bob (two terminals)",
    async run(stage, cast) {
      const alice = need(cast.alice, "alice");
      const bob = (cast.bob = await stage.tui("bob"));
      await stage.logIn(bob);
      await stage.send(alice, "bob: great, I'll read them before the 14:00 review");
      await stage.settle(bob, /alice> bob: great/);
      await stage.settle(alice, /alice> bob: great/);
      await stage.shoot("message", [alice, bob]);
    },
  },
  {
    id: "dm",
    about: "a direct message: only its two people see it",
    async run(stage, cast) {
      const alice = need(cast.alice, "alice");
      const bob = need(cast.bob, "bob");
      await stage.send(alice, "/msg bob can you take the on-call shift on Friday?");
      await stage.settle(alice, /^bob>/m);
      await stage.settle(bob, /\d:alice\(1\)/);
      await stage.shoot("dm-arrives", [alice, bob]);
      await bob.keys("M-2");
      await stage.settle(bob, /^alice>/m);
      await stage.send(bob, "sure, swap me for the Monday one?");
      await stage.settle(alice, /<bob> sure, swap/);
      await stage.settle(bob, /<bob> sure, swap/);
      await stage.shoot("dm", [alice, bob]);
    },
  },
  {
    id: "rooms",
    about: "rooms and tabs: a new room, unread counts, a DM waiting",
    async run(stage, cast) {
      const alice = need(cast.alice, "alice");
      const bob = need(cast.bob, "bob");
      await stage.send(alice, "/create ops");
      await stage.settle(alice, /^#ops>/m);
      await stage.send(alice, "/invite carol");
      await stage.send(bob, "/join ops");
      await stage.settle(bob, /^#ops>/m);
      await stage.send(alice, "deploy of 0.1.0 to staging starts at 15:00");
      await stage.say("carol", "ops", "I'll watch the dashboards");
      await stage.send(bob, "db migrations are ready: 0007_conversations");
      await stage.settle(alice, /db migrations are ready/);
      await stage.shoot("rooms", [alice]);
      // The README's picture: back in general, carol's DM waiting in its tab.
      await alice.keys("M-1");
      await stage.settle(alice, /^#general>/m);
      await stage.say("carol", "alice", "do you have a minute after lunch?");
      await stage.say("bob", "general", "alice: lunch at 12:30?");
      await stage.settle(alice, /carol\(1\)/);
      await stage.shoot("chat-tui", [alice]);
    },
  },
  {
    id: "file-transfer",
    about: "a file transfer with its progress line",
    async run(stage, cast) {
      const alice = need(cast.alice, "alice");
      const bob = need(cast.bob, "bob");
      await alice.keys("M-3");
      await stage.settle(alice, /^#ops>/m);
      // A short name: at 80 columns the progress line leaves a name seven cells.
      const file = path.join(stage.dir, "db.dump");
      await writeFile(file, randomBytes(14 * 1024 * 1024));
      await stage.send(alice, `/send ${file}`);
      // Mid-way: the line shows the bar, the bytes so far and the rate.
      await alice.waitFor(/↑ db\.dump .*\b([3-7]\d)%/, 60_000);
      await stage.shoot("file-transfer", [alice]);
      await stage.settle(bob, /\[file #\d+\] db\.dump/, 60_000);
      await stage.settle(alice, /Sent db\.dump/, 60_000);
      await stage.shoot("file-shared", [alice, bob]);
    },
  },
  {
    id: "help",
    about: "the help screen (F1): keys from the keymap, every command",
    async run(stage, cast) {
      const alice = need(cast.alice, "alice");
      await alice.keys("F1");
      await stage.settle(alice, /Keys/);
      await stage.shoot("help", [alice]);
      await alice.keys("Escape");
      await alice.waitFor((s) => !s.includes("Keys"));
    },
  },
  {
    id: "dashboard",
    about: "the admin dashboard (chat-tui dashboard, blessed-contrib) under some traffic",
    async run(stage, cast) {
      const alice = need(cast.alice, "alice");
      const dash = (cast.dashboard = await stage.pane(
        "alice@laptop: chat-tui dashboard",
        `node ${path.join(PACKAGE_ROOT, "dist", "tui", "cli.js")} dashboard --server ${stage.url} --config '${alice.config}'`,
        { width: 100, height: 30 },
      ));
      // Traffic for the graphs: bob and carol talk in general for a while.
      const lines = ["ok", "checking", "done on my side", "👍", "one more minute", "merged", "deploying", "looks good"];
      const until = Date.now() + 14_000;
      let i = 0;
      while (Date.now() < until) {
        await stage.say(i % 2 ? "bob" : "carol", "general", lines[i % lines.length]!);
        i++;
        await new Promise((r) => setTimeout(r, 350));
      }
      await stage.settle(dash, /p99|messages/i);
      await stage.shoot("dashboard", [dash]);
      await dash.keys("q");
    },
  },
  {
    id: "ssh",
    about: "chat-tui over SSH through chat-sshd (the real ssh client)",
    missing: () => (hasCommand("ssh", ["-V"]) ? null : "the ssh client (Debian: openssh-client) is not installed"),
    async run(stage, cast) {
      const sshPort = String(await import("../../test/helpers/process.js").then((m) => m.freePort()));
      const sshd = (cast.sshd = await stage.pane(
        "chat-sshd",
        `node ${SSHD_CLI} --port ${sshPort} --server ${stage.url} --data-dir '${path.join(stage.dir, "sshd")}'`,
        { width: 110, height: 12 },
        { CHAT_GATEWAY_SECRET: stage.gatewaySecret },
      ));
      await sshd.waitFor(/"listening"/, 30_000);
      const opts = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o PubkeyAuthentication=no -o LogLevel=ERROR -F /dev/null -tt -o 'SendEnv=LANG LC_ALL'";
      const ssh = (cast.ssh = Object.assign(await stage.pane(`erin@desktop: ssh -p ${sshPort} chat.example.org`, `ssh ${opts} -p ${sshPort} 127.0.0.1`, { width: 80, height: 24 }), { nick: "erin", config: "" }));
      await stage.logIn(ssh, { register: true });
      await stage.say("bob", "general", "welcome erin 👋");
      await stage.settle(ssh, /welcome erin/);
      await stage.send(ssh, "hi all, I'm on the SSH gateway: nothing to install");
      await stage.settle(ssh, /nothing to install/);
      await stage.shoot("ssh", [ssh]);
    },
  },
  {
    id: "moderation",
    about: "moderation: a mute and a kick, seen by the moderator and by the one kicked",
    async run(stage, cast) {
      const alice = need(cast.alice, "alice");
      const bob = need(cast.bob, "bob");
      await alice.keys("M-1");
      await stage.settle(alice, /^#general>/m);
      await stage.send(alice, "/mute carol 10m please stop pasting logs here");
      await stage.settle(alice, /muted/i);
      await stage.send(alice, "/kick bob testing the kick for the guide");
      await stage.settle(bob, /kicked/i);
      await stage.settle(alice, /kicked/i);
      await stage.shoot("moderation", [alice, bob]);
      // bob comes back: the form kept his nick.
      await bob.keys("C-u");
      await bob.type(stage.passwordOf("bob"));
      await bob.keys("Enter");
      await bob.waitFor(/#general>/, 30_000);
    },
  },
  {
    id: "shutdown",
    about: "an admin's /shutdown: every client counts down; the server drains and exits",
    async run(stage, cast) {
      const alice = need(cast.alice, "alice");
      const bob = need(cast.bob, "bob");
      await stage.send(alice, "/shutdown 40 upgrading to 0.2, back in five minutes");
      await stage.settle(bob, /shut/i);
      await stage.settle(alice, /shut/i);
      await stage.shoot("shutdown", [alice, bob]);
      await stage.server.waitFor(/\[exited \d+\]/, 90_000);
      await stage.settle(stage.server);
      await stage.shoot("server-stop", [stage.server]);
    },
  },
  {
    id: "web",
    about: "the browser client (web/) on the same server: a room with a reply, reactions, a mention and a file, a DM waiting; desktop light and dark, a phone",
    quick: true,
    missing: () => (existsSync(path.join(PACKAGE_ROOT, "dist", "web", "index.html")) ? null : "the browser client is not built (dist/web/index.html: npm run build)"),
    async run(stage) {
      // After /shutdown (the full story) the server is started again on the same database.
      await stage.ensureServer();
      const bob = await stage.user("bob");
      // dmitri rather than carol: in the full story the moderation scene has muted carol.
      const dmitri = await stage.user("dmitri");
      // A room of their own, so the pictures look the same after the quick run and the full one.
      const room = await bob.ok<ChatDto>("room:create", { name: "frontend", private: false });
      await bob.ok("room:invite", { chatId: room.id, nick: "alice" });
      await dmitri.ok("room:join", { name: "frontend" });
      const send = (c: Client, text: string, replyTo?: number) => c.ok<MessageDto>("message:send", { chatId: room.id, text, clientId: randomUUID(), ...(replyTo ? { replyTo } : {}) });
      await send(bob, "the browser client is on staging: https://staging.example.org");
      await send(dmitri, "first look: Alt+1..9 and Ctrl+K work as in chat-tui 👌");
      const question = await send(dmitri, "does it work on a phone? 📱");
      await send(bob, "yes: the chat list and the people fold away behind the buttons at the top", question.id);

      const desk = await stage.renderer.page({ width: 1280, height: 800 });
      await webLogIn(stage, desk, "alice");
      await desk.locator(".sidebar .chat", { hasText: "#frontend" }).click();
      await desk.locator(".title", { hasText: "#frontend" }).waitFor({ timeout: WAIT });
      // alice answers from the browser and shares a file with the picker.
      const answered = bob.next<MessageDto>("message:new", (m) => m.chatId === room.id && m.sender === "alice" && m.kind === "text", WAIT);
      await desk.locator("textarea").fill("nice! I'll post the phone mockup for review");
      await desk.locator("textarea").press("Enter");
      const mine = await answered;
      const shared = bob.next<MessageDto>("message:new", (m) => m.chatId === room.id && m.kind === "file", WAIT);
      await desk.locator("input[type=file]").setInputFiles({ name: "mockup-phone.png", mimeType: "image/png", buffer: randomBytes(184 * 1024) });
      await shared;
      await bob.ok("message:react", { messageId: mine.id, emoji: "👍", on: true });
      await dmitri.ok("message:react", { messageId: mine.id, emoji: "🎉", on: true });
      await send(dmitri, "@alice the dark theme too, please: most of us use it");
      const dm = await dmitri.ok<ChatDto>("dm:open", { nick: "alice" });
      await dmitri.ok("message:send", { chatId: dm.id, text: "got a minute after lunch?", clientId: randomUUID() });
      const history = desk.locator(".history");
      await history.locator(".msg.mentioned", { hasText: "the dark theme too" }).waitFor({ timeout: WAIT });
      await history.locator(".reaction", { hasText: "🎉" }).waitFor({ timeout: WAIT });
      await history.locator(".msg .file", { hasText: "mockup-phone.png" }).waitFor({ timeout: WAIT });
      await desk.locator(".sidebar .chat", { hasText: "dmitri" }).locator(".badge").waitFor({ timeout: WAIT });
      await desk.locator(".transfer").waitFor({ state: "detached", timeout: WAIT });
      // No hover bar on a message: the pointer rests on the title.
      await desk.mouse.move(640, 16);
      await webShoot(stage, desk, "web-desktop", "light");
      await webShoot(stage, desk, "web-desktop-dark", "dark");

      const phone = await stage.renderer.page({ width: 390, height: 844, mobile: true });
      await webLogIn(stage, phone, "alice");
      await phone.locator("button[aria-label=Chats]").click();
      await phone.locator(".sidebar .chat", { hasText: "#frontend" }).click();
      await phone.locator(".title", { hasText: "#frontend" }).waitFor({ timeout: WAIT });
      await phone.locator(".history .msg.mentioned", { hasText: "the dark theme too" }).waitFor({ timeout: WAIT });
      if (await phone.locator(".people").isVisible()) throw new Error("the people list should fold away on a phone");
      await webShoot(stage, phone, "web-phone", "light");
      await phone.locator("button[aria-label=Chats]").click();
      await phone.locator(".sidebar .chat", { hasText: "dmitri" }).waitFor({ timeout: WAIT });
      await webShoot(stage, phone, "web-phone-chats", "light");
    },
  },
];

const WAIT = 30_000;

/** Logs `nick` in on the page chat-server serves, as a person types it in. */
async function webLogIn(stage: Stage, page: Page, nick: string): Promise<void> {
  await page.goto(stage.url);
  await page.fill("input[name=nick]", nick);
  await page.fill("input[name=password]", stage.passwordOf(nick));
  await page.click("button[type=submit]");
  await page.locator(".title").filter({ hasText: /^[#@]/ }).waitFor({ timeout: WAIT });
}

/** The page as it is now in one colour scheme (prefers-color-scheme), once its fonts are in. */
async function webShoot(stage: Stage, page: Page, name: string, scheme: "light" | "dark"): Promise<void> {
  await page.emulateMedia({ colorScheme: scheme });
  await page.evaluate("document.fonts.ready.then(() => true)");
  await stage.shootPage(name, page);
}
