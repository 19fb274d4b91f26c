// End-to-end tests of chat-tui: the real client in tmux against a real server, read back from
// the screen as a user would see it.
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import { PACKAGE_ROOT } from "../server/paths.js";
import { resolveConfig } from "../server/config.js";
import { createLogger } from "../server/log.js";
import { startServer } from "../server/main.js";
import type { ChatDto, MessageDto } from "../server/protocol/index.js";
import { api, connect, newUser, nick, register, startTestServer, TEST_LIMITS, uuid, type TestServer } from "./helpers/harness.js";
import { hasTmux, termWidth, Tmux } from "./helpers/tmux.js";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server as IoServer } from "socket.io";

const CLI = path.join(PACKAGE_ROOT, "dist", "tui", "cli.js");
const tuiTest = hasTmux ? test.serial : test.skip;
if (!hasTmux) test.skip("chat-tui terminal tests (skipped: tmux is not installed)", () => {});

let server: TestServer;
test.before(async () => {
  if (hasTmux) server = await startTestServer("pglite");
});
test.after.always(async () => {
  await server?.stop();
});

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "chat-tui-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

type Tui = Tmux & { config: string };

async function openTui(
  t: ExecutionContext,
  url: string,
  opts: { user?: string; config?: string; width?: number; height?: number; term?: string; downloadDir?: string; env?: Record<string, string>; args?: string } = {},
): Promise<Tui> {
  const config = opts.config ?? path.join(await tempDir(t), "tui.json");
  const tmux = new Tmux();
  t.teardown(() => tmux.kill());
  const user = `${opts.user ? ` --user '${opts.user}'` : ""}${opts.downloadDir ? ` --download-dir '${opts.downloadDir}'` : ""}`;
  await tmux.start(`node ${CLI} --server ${url} --config ${config}${user}${opts.args ? ` ${opts.args}` : ""} 2>>${config}.stderr; echo "EXITED $?"; sleep 60`, {
    width: opts.width ?? 100,
    height: opts.height ?? 30,
    env: { TERM: opts.term ?? "xterm-256color", ...opts.env },
  });
  return Object.assign(tmux, { config });
}

/** Fills the login form; register=true uses Ctrl+R. Waits for the chat screen. */
async function logIn(tui: Tui, name: string, password: string, register = true): Promise<void> {
  await tui.waitFor(/Password/);
  await tui.keys("C-u");
  await tui.type(name);
  await tui.keys("Tab");
  await tui.type(password);
  await tui.keys(register ? "C-r" : "Enter");
  await tui.waitFor(/#general>/);
}

/** After a logout the form keeps the nick and waits on the password. */
async function logInAgain(tui: Tui, password: string): Promise<void> {
  await tui.keys("C-u");
  await tui.type(password);
  await tui.keys("Enter");
  await tui.waitFor(/#general>/);
}

async function sendLine(tui: Tui, text: string): Promise<void> {
  await tui.type(text);
  await tui.keys("Enter");
}

tuiTest("two users log in, broadcast in general, exchange a DM, switch tabs and use the quick switcher and help", async (t) => {
  const [alice, bob] = [nick("ali"), nick("bob")];
  const carol = await newUser(server, "car");
  const a = await openTui(t, server.url);
  const b = await openTui(t, server.url);
  await logIn(a, alice, "alice-password");
  await logIn(b, bob, "bob-password");
  await a.waitFor(new RegExp(`● ${bob}`));

  await sendLine(a, "hello everyone");
  await b.waitFor(new RegExp(`<${alice}> hello everyone`));
  t.truthy(await carol.next("message:new", (m: MessageDto) => m.text === "hello everyone"), "a client outside the TUI got the broadcast too");

  await sendLine(b, `/msg ${alice} psst, a secret`);
  const withTab = await a.waitFor(new RegExp(`2:${bob}\\(1\\)`));
  t.regex(withTab, /1:#general/);
  await a.keys("M-2");
  await a.waitFor(new RegExp(`<${bob}> psst, a secret`));
  t.regex(await a.screen(), new RegExp(`^${bob}>`, "m"), "the input prompt names the active chat");
  await a.keys("C-n");
  await a.waitFor(/#general>/);
  t.false((await a.screen()).includes("psst"), "the DM is not shown in general");
  t.false(carol.received("message:new", (m: MessageDto) => m.text.includes("psst")).length > 0, "the third user never saw the DM");

  await a.keys("C-k");
  await a.waitFor(/Go to:/);
  await a.type(carol.user.nick.slice(0, 5));
  await a.waitFor(new RegExp(`${carol.user.nick}\\s+person, online`));
  await a.keys("Enter");
  await a.waitFor(new RegExp(`3:${carol.user.nick}`));
  await a.waitFor(new RegExp(`^${carol.user.nick}>`, "m"));
  await sendLine(a, "hi carol");
  t.is((await carol.next<MessageDto>("message:new", (m) => m.text === "hi carol")).sender, alice);

  await a.keys("M-1");
  await a.waitFor(/#general>/);
  await a.keys("F1");
  const help = await a.waitFor(/Keys/);
  t.regex(help, /Alt\+1/);
  for (let i = 0; i < 30 && !(await a.screen()).includes("/create <room> [--private]"); i++) await a.keys("PageDown");
  await a.waitFor(/\/create <room> \[--private\]/);
  await a.keys("Escape");
  await a.waitFor((s) => !s.includes("Keys"));

  await sendLine(a, "/frobnicate");
  await a.waitFor(/Unknown command \/frobnicate/);
  await sendLine(a, "/join");
  await a.waitFor(/Usage: \/join <room>/);
  carol.close();
});

tuiTest("one user /sends a file, the other selects its line, downloads it with a key, lists and saves it again: bytes match", async (t) => {
  const dir = await tempDir(t);
  const downloads = path.join(dir, "downloads");
  const bytes = randomBytes(5 * 64 * 1024 + 1234);
  const src = path.join(dir, "report 2026.bin");
  await writeFile(src, bytes);
  const [alice, bob] = [nick("fup"), nick("fdn")];
  const a = await openTui(t, server.url, { width: 110 });
  const b = await openTui(t, server.url, { width: 110, downloadDir: downloads });
  await logIn(a, alice, "alice-password");
  await logIn(b, bob, "bob-password");

  await sendLine(a, `/send ${src}`);
  const sent = await a.waitFor(/Sent report 2026\.bin \(321 KiB\) as file #\d+/);
  const id = /as file #(\d+)/.exec(sent)![1]!;
  const line = await b.waitFor(new RegExp(`<${alice}> \\[file #${id}\\] report 2026\\.bin \\(321 KiB\\)`));
  t.log(line.split("\n").filter((l) => l.includes("[file")).join("\n"));

  await b.keys("C-o");
  await b.waitFor(/Enter or d: download/);
  await b.keys("Enter");
  const saved = await b.waitFor(/Saved report 2026\.bin \(321 KiB, SHA-256 checked\)/);
  t.log(saved.split("\n").filter((l) => /Saved|↓/.test(l)).join("\n"));
  t.deepEqual(await readFile(path.join(downloads, "report 2026.bin")), bytes, "the downloaded bytes are the sent bytes");

  await b.keys("Escape");
  await sendLine(b, "/files");
  await b.waitFor(new RegExp(`#${id}\\s+report 2026\\.bin\\s+321 KiB\\s+from ${alice}`));
  await sendLine(b, `/download ${id}`);
  await b.waitFor(/report 2026 \(1\)\.bin/);
  t.deepEqual(await readFile(path.join(downloads, "report 2026 (1).bin")), bytes, "a second download never overwrites the first");
  t.deepEqual((await readdir(downloads)).sort(), ["report 2026 (1).bin", "report 2026.bin"]);

  await sendLine(a, "/send /nonexistent/file.txt");
  await a.waitFor(/Upload of file\.txt failed: Cannot read \/nonexistent\/file\.txt: no such file/);
  await sendLine(b, "/download 999999999");
  await b.waitFor(/Download of file #999999999 failed: File 999999999 does not exist/);
});

tuiTest("scrolling past the first page fetches older history from the server", async (t) => {
  const seeder = await newUser(server, "seed");
  const room = await seeder.ok<ChatDto>("room:create", { name: `hist${Date.now().toString(36)}` });
  for (let i = 0; i < 260; i++) await seeder.ok("message:send", { chatId: room.id, text: `history line ${String(i).padStart(3, "0")}`, clientId: uuid() });
  const reader = nick("rd");
  const tui = await openTui(t, server.url, { width: 90, height: 24 });
  await logIn(tui, reader, "reader-password");
  await sendLine(tui, `/join ${room.name}`);
  await tui.waitFor(/history line 259/);
  t.false((await tui.screen()).includes("history line 100"), "only the newest page is loaded");
  // End jumps to the bottom; Home (in an empty input) jumps to the oldest loaded line and
  // asks the server for the page before it, until the first message.
  for (let i = 0; i < 12 && !(await tui.screen()).includes("history line 000"); i++) {
    await tui.keys("Home");
    await new Promise((r) => setTimeout(r, 400));
  }
  const top = await tui.waitFor(/history line 000/);
  t.notRegex(top, /older messages: PgUp/, "no more history above the first message");
  await tui.keys("PageDown");
  await tui.waitFor((s) => !s.includes("history line 000"));
  await tui.keys("End");
  await tui.waitFor(/history line 259/);
  seeder.close();
});

tuiTest("hostile escape sequences render as inert text and wide characters stay aligned while scrolling", async (t) => {
  const sender = await newUser(server, "evil");
  const tui = await openTui(t, server.url, { width: 80, height: 24 });
  await logIn(tui, nick("vic"), "victim-password");
  const general = sender.ready.chats[0]!.id;
  const titleBefore = await tui.display("#{pane_title}");
  await sender.ok("message:send", { chatId: general, text: "\x1b]0;pwned\x07\x1b[2J\x1b[31mred?\x1b[0m \x1b]52;c;ZXZpbA==\x07 {bold}tag{/bold} bell\x07", clientId: uuid() });
  const screen = await tui.waitFor(/\^\[\]0;pwned\^G\^\[\[2J/);
  t.regex(screen, /\^\[\[31mred\?\^\[\[0m/);
  t.regex(screen, /\{bold\}tag\{\/bold\}/, "blessed tags in messages are shown, not applied");
  t.regex(screen, /#general>/, "the screen was not cleared");
  t.is(await tui.display("#{pane_title}"), titleBefore, "the terminal title did not change");

  // Wide characters scroll through every row; no row may keep stale cells and the user
  // pane separator must stay in one column.
  for (let i = 0; i < 30; i++) {
    await sender.ok("message:send", { chatId: general, text: i % 2 ? `line ${i} plain ascii` : `line ${i} Привет 😀 漢字テスト ✅ mixed`, clientId: uuid() });
  }
  await tui.waitFor(/line 29 plain ascii/);
  await new Promise((r) => setTimeout(r, 300));
  const rows = (await tui.lines()).slice(1, 22);
  const columns = new Set(rows.filter((r) => r.includes("│")).map((r) => termWidth(r.slice(0, r.indexOf("│")))));
  t.deepEqual([...columns], [columns.values().next().value], `one separator column: ${[...columns].join(",")}`);
  for (const r of rows.filter((x) => /line \d+ plain ascii/.test(x))) {
    t.regex(r, /plain ascii\s*│/, `no stale cells after a plain line: ${JSON.stringify(r)}`);
  }
  // Resizing relays out the screen; a narrow terminal drops the user pane.
  await tui.resize(56, 20);
  const narrow = await tui.waitFor((s) => s.split("\n").length <= 21 && !s.includes("│") && /#general>/.test(s));
  t.regex(narrow.split("\n").filter(Boolean).at(-1) ?? "", /online/);
  await tui.resize(100, 30);
  await tui.waitFor(/Users \d+\/\d+/);
  sender.close();
});

tuiTest("wide and combining text (ZWJ, flags, skin tones, VS16, combining marks, Arabic, Hebrew, CJK) never shifts or eats cells while scrolling and resizing", async (t) => {
  const sender = await newUser(server, "wide");
  const general = sender.ready.chats[0]!.id;
  const tui = await openTui(t, server.url, { width: 120, height: 35 });
  await logIn(tui, nick("wv"), "wide-password");
  const wide = (i: number) => `w${i} 👩‍💻 🇺🇦 👍🏽 ❤️ e\u0301 عَرَبِيّ שלום 漢字 end${i}`;
  const check = async (label: string, last: number) => {
    const screen = await tui.waitFor((s) => s.includes(`plain ${last} ascii`));
    await new Promise((r) => setTimeout(r, 300));
    const rows = (await tui.lines()).slice(1, -3);
    const withSep = rows.filter((r) => r.includes("│"));
    t.true(withSep.length > 5, `${label}: the user pane is shown`);
    const columns = new Set(withSep.map((r) => termWidth(r.slice(0, r.indexOf("│")))));
    t.is(columns.size, 1, `${label}: one separator column (${[...columns].join(",")}):\n${rows.join("\n")}`);
    for (const r of rows.filter((x) => /plain \d+ ascii/.test(x))) t.regex(r, /plain \d+ ascii\s*│/, `${label}: no stale cells after a plain line: ${JSON.stringify(r)}`);
    for (const r of rows.filter((x) => /<\S+> w\d+ /.test(x))) {
      // What is drawn before the separator is the line as shown, in order (it may wrap after 漢字).
      const shown = /> (w\d+ .*?)\s*│/.exec(r)?.[1] ?? "";
      const n = /w(\d+)/.exec(shown)?.[1] ?? "";
      t.true(shown.length > 30 && `w${n} 👩💻 [UA] 👍 ❤ é عَرَبِيّ שלום 漢字 end${n}`.startsWith(shown), `${label}: the wide line is whole and in order: ${JSON.stringify(r)}`);
      t.is(r.split("│").length, 2, `${label}: exactly one separator on ${JSON.stringify(r)}`);
    }
    t.false(screen.includes("\ufffd"), `${label}: no replacement characters`);
  };
  for (let i = 0; i < 40; i++) await sender.ok("message:send", { chatId: general, text: i % 2 ? `plain ${i} ascii` : wide(i), clientId: uuid() });
  await check("120x35", 39);
  await tui.resize(80, 24);
  await tui.waitFor((s) => s.split("\n").length <= 25);
  await check("80x24", 39);
  // Scroll up through the wide lines and back.
  await tui.keys("PageUp");
  await tui.waitFor((s) => !s.includes("plain 39 ascii"));
  const up = (await tui.lines()).slice(1, -3).filter((r) => r.includes("│"));
  t.is(new Set(up.map((r) => termWidth(r.slice(0, r.indexOf("│"))))).size, 1, `scrolled up: one separator column:\n${up.join("\n")}`);
  await tui.keys("End");
  for (let i = 40; i < 46; i++) await sender.ok("message:send", { chatId: general, text: i % 2 ? `plain ${i} ascii` : wide(i), clientId: uuid() });
  await check("80x24 after scrolling", 45);
  await tui.resize(100, 30);
  await tui.waitFor((s) => s.split("\n").length >= 30 && /Users \d+\/\d+/.test(s));
  await check("100x30", 45);
  sender.close();
});

tuiTest("survives a server restart: queued lines are sent once, missed messages appear in order", async (t) => {
  const dir = await tempDir(t);
  const config = resolveConfig({ port: 0, host: "127.0.0.1", dataDir: path.join(dir, "db"), scryptLogN: 10, limits: TEST_LIMITS }, {});
  let srv = await startServer(config, createLogger("silent"));
  const port = srv.port;
  t.teardown(() => srv.close());
  const name = nick("rs");
  const tui = await openTui(t, srv.url);
  await logIn(tui, name, "restart-password");
  const other = await register(srv.url, nick("oth"));

  await srv.close();
  await tui.waitFor(/reconnecting/);
  await sendLine(tui, "typed while the server was down");
  await tui.waitFor(/typed while the server was down \(queued until reconnected\)/);
  t.regex(await tui.screen(), /1 unsent/);

  srv = await startServer({ ...config, port }, createLogger("silent"));
  const o = await connect(srv.url, other);
  const general = o.ready.chats[0]!.id;
  for (const text of ["missed one", "missed two"]) await o.ok("message:send", { chatId: general, text, clientId: uuid() });
  // Acknowledged (stored): neither queued nor "(sending)" any more, and nothing unsent.
  const back = await tui.waitFor((s) => /● online/.test(s) && s.includes("missed two") && !s.includes("queued until") && !s.includes("(sending)") && !/\d+ unsent/.test(s), 30_000);
  t.true(back.indexOf("missed one") < back.indexOf("missed two"), "missed messages in order");
  const page = await o.ok("history:fetch", { chatId: general, limit: 50 });
  t.is(page.messages.filter((m: MessageDto) => m.text === "typed while the server was down").length, 1, "stored exactly once");
  o.close();
});

tuiTest("the login form explains failures, the session is saved 0600, /logout forgets it, Ctrl+C exits cleanly", async (t) => {
  const dead = await openTui(t, "http://127.0.0.1:9");
  await dead.waitFor(/Password/);
  await dead.type("someone");
  await dead.keys("Tab");
  await dead.type("whatever1");
  await dead.keys("Enter");
  await dead.waitFor(/Cannot reach the server at http:\/\/127\.0\.0\.1:9/);

  const name = nick("sv");
  await register(server.url, name, "saved-password");
  const first = await openTui(t, server.url, { user: name });
  await first.waitFor(/Password/);
  t.regex(await first.screen(), new RegExp(name), "--user pre-fills the nick");
  await first.type("wrong-password");
  await first.keys("Enter");
  await first.waitFor(/Wrong nickname or password/);
  await first.keys("C-u");
  await first.type("saved-password");
  await first.keys("Enter");
  await first.waitFor(/#general>/);
  const mode = (await stat(first.config)).mode & 0o777;
  t.is(mode, 0o600);
  t.regex(await readFile(first.config, "utf8"), new RegExp(`"nick": "${name}"`));
  await first.keys("C-c");
  const exited = await first.waitFor(/EXITED 0/);
  t.false(exited.includes("#general>"), "the terminal was restored (the chat screen is gone)");

  const second = await openTui(t, server.url, { config: first.config });
  await second.waitFor(/#general>/);
  t.notRegex(await second.screen(), /Password/, "the saved session goes straight in");
  await sendLine(second, "/logout");
  await second.waitFor(/Logged out/);
  t.notRegex(await readFile(first.config, "utf8"), /token/);
  const refused = await api<{ error: { code: string } }>(server.url, "/api/v1/logout", {});
  t.is(refused.status, 401);
  await second.keys("Escape");
  await second.waitFor(/Quit chat-tui\?/);
  await second.keys("Enter");
  await second.waitFor(/EXITED 0/);
});

/** SGR parameter lists in a captured screen line: "\e[1;38;5;245m" -> ["1;38;5;245"]. */
const sgrs = (line: string) => [...line.matchAll(/\x1b\[([0-9;]*)m/g)].map((m) => m[1]!);
/** The foreground colours an SGR list sets (30-37, 90-97, 38;5;n). */
function foregrounds(sgr: string): string[] {
  const parts = sgr.split(";");
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = Number(parts[i]);
    if (p === 38 && parts[i + 1] === "5") out.push(`38;5;${parts[(i += 2)]}`);
    else if ((p >= 30 && p <= 37) || (p >= 90 && p <= 97)) out.push(String(p));
  }
  return out;
}

/** The foreground in effect at `index` of a capture-pane -e screen (attributes carry across rows). */
function foregroundAt(screen: string, index: number): string {
  let fg = "default";
  for (const m of screen.slice(0, index).matchAll(/\x1b\[([0-9;]*)m/g)) {
    const parts = (m[1] || "0").split(";");
    for (let i = 0; i < parts.length; i++) {
      const p = Number(parts[i]);
      if (p === 0 || p === 39) fg = "default";
      else if (p === 38 && parts[i + 1] === "5") fg = `38;5;${parts[(i += 2)]}`;
      else if ((p >= 30 && p <= 37) || (p >= 90 && p <= 97)) fg = String(p);
    }
  }
  return fg;
}

tuiTest("every common TERM: grey roles get a colour the terminal has (never black), no terminfo noise, at 80x24 and 120x35", async (t) => {
  const sender = await newUser(server, "clr");
  const general = sender.ready.chats[0]!.id;
  const expected: Record<string, { colours: "none" | "8" | "256" }> = {
    xterm: { colours: "8" },
    "xterm-256color": { colours: "256" },
    screen: { colours: "8" },
    "screen-256color": { colours: "256" },
    "tmux-256color": { colours: "256" },
    vt100: { colours: "none" },
    linux: { colours: "8" },
  };
  for (const [term, want] of Object.entries(expected)) {
    const tui = await openTui(t, server.url, { width: 80, height: 24, term });
    const name = nick("tm");
    await logIn(tui, name, "term-password");
    // History first: a message that arrives while the first page loads can be counted unread
    // without being shown (seen once on a busy machine; not what this test is about).
    await tui.waitFor((s) => s.includes(`${name} joined`), 30_000);
    await sender.ok("message:send", { chatId: general, text: `colour check ${term}`, clientId: uuid() });
    for (const [w, h] of [[80, 24], [120, 35]] as const) {
      if (w !== 80) await tui.resize(w, h);
      const plain = await tui.waitFor((s) => s.includes(`colour check ${term}`) && s.includes(`${name} joined`) && s.split("\n").length >= h && /F1 help/.test(s), 30_000);
      t.notRegex(plain, /Error on|plab_norm|function/, `${term}: no terminfo error text`);
      t.regex(plain, /\d\d:\d\d --> \S+ joined/, `${term}: a join line`);
      t.regex(plain, /│/, `${term}: the pane separator`);
      const rows = (await tui.screenWithAttributes()).split("\n");
      const joinRow = rows.find((r) => / joined/.test(r.replace(/\x1b\[[0-9;]*m/g, "")))!;
      const msgRow = rows.find((r) => r.includes(`colour check ${term}`))!;
      const statusRow = rows.find((r) => r.includes("F1 help"))!;
      for (const [what, row] of [["join line", joinRow], ["message line", msgRow], ["status bar", statusRow]] as const) {
        const fgs = sgrs(row).flatMap(foregrounds);
        t.false(fgs.includes("30"), `${term} ${w}x${h} ${what}: no text in black (SGR 30): ${JSON.stringify(row)}`);
        if (want.colours === "none") t.deepEqual(fgs, [], `${term}: no colours at all on a terminal without them: ${JSON.stringify(row)}`);
        if (want.colours === "8") t.true(fgs.every((f) => /^3[1-7]$/.test(f)), `${term}: only the 8 colours it has: ${fgs.join(",")}`);
      }
      const whole = rows.join("\n");
      const stamp = whole.indexOf(msgRow) + (/\d\d:\d\d/.exec(msgRow)?.index ?? 0);
      const stampColour = foregroundAt(whole, stamp);
      // Timestamps: a mid grey where there are 256 colours, else the default colour (not black).
      t.is(stampColour, want.colours === "256" ? "38;5;245" : "default", `${term}: the timestamp's colour`);
      if (want.colours === "none") t.regex(rows.join("\n"), /\x1b\[[0-9;]*7[0-9;]*m 1:#general/, `${term}: the active tab in inverse video`);
    }
    t.is(await readFile(`${tui.config}.stderr`, "utf8").catch(() => ""), "", `${term}: nothing written to stderr`);
    await tui.kill();
  }
  sender.close();
});

tuiTest("LANG=C: an ASCII screen with a notice, other people's and one's own non-ASCII text as visible codes (never ?), --unicode overrides", async (t) => {
  const sender = await newUser(server, "asc");
  const general = sender.ready.chats[0]!.id;
  const tui = await openTui(t, server.url, { width: 80, height: 24, env: { LANG: "C", LC_ALL: "", LC_CTYPE: "" } });
  const form = await tui.waitFor(/Password/);
  t.regex(form, /ASCII mode: your locale \(C\) is not UTF-8; --unicode to override/, "said once in the status bar");
  t.regex(form, /^\s*\+-{20,}\+\s*$/m, "the login box has ASCII borders");
  t.notRegex(form, /[^\x00-\x7f]/, "nothing but ASCII on the screen");
  const name = nick("asc");
  await logIn(tui, name, "ascii-password");
  await sender.ok("message:send", { chatId: general, text: "Привет 😀 café", clientId: uuid() });
  const chat = await tui.waitFor(/<U\+041F><U\+0440>/);
  t.regex(chat, /ASCII mode: your locale \(C\)/, "the notice stays until the first key on the chat screen");
  t.regex(chat, /<U\+1F600> cafe/, "emoji as a code, accents dropped");
  t.regex(chat, /\|\* /, "separator and online marker in ASCII");
  t.notRegex(chat, /[^\x00-\x7f]/, "nothing but ASCII on the screen");
  t.notRegex(chat.split("\n").find((l) => l.includes("<U+041F>")) ?? "", /\?/, "no question marks");
  await tui.type("да");
  const typed = await tui.waitFor(/#general> <U\+0434><U\+0430>/);
  t.notRegex(typed, /ASCII mode/, "the notice went away with the first key");
  await tui.keys("Enter");
  t.is((await sender.next<MessageDto>("message:new", (m) => m.sender === name && m.text === "да")).text, "да", "what was sent is the real text");
  await tui.kill();

  // The terminal is UTF-8 although the locale is not: --unicode draws Unicode.
  const uni = await openTui(t, server.url, { width: 80, height: 24, env: { LANG: "C" }, args: "--unicode" });
  await logIn(uni, nick("uni"), "unicode-password");
  const screen = await uni.waitFor(/Привет 😀 café/);
  t.regex(screen, /│● /, "box characters and markers in Unicode");
  t.notRegex(screen, /ASCII mode/);
  sender.close();
});

tuiTest("the login form fits 80x24 and wraps a long ban reason; it shows no keys it does not handle; Esc asks before quitting", async (t) => {
  const adminNick = nick("lfa");
  await server.accounts.addUser({ nick: adminNick, password: "admin-password", role: "admin" });
  const admin = await connect(server.url, (await api<never>(server.url, "/api/v1/login", { nick: adminNick, password: "admin-password" })).body);
  const victim = nick("lfv");
  await register(server.url, victim, "victim-password");
  const reason = `${"a long and detailed reason for this ban, ".repeat(6)}END-OF-REASON`;
  await admin.ok("admin:ban", { nick: victim, durationSec: 3600, reason });
  const tui = await openTui(t, server.url, { width: 80, height: 24, user: victim });
  const form = await tui.waitFor(/Password/);
  t.regex(form, /Esc: quit/, "the Esc hint is visible at 80 columns");
  t.notRegex(form, /F1|Ctrl\+K/, "no hints for keys the form does not handle");
  await tui.type("victim-password");
  await tui.keys("Enter");
  const banned = await tui.waitFor(/END-OF-REASON/);
  t.regex(banned.replace(/[│\s]+/g, " "), /You are banned until .* UTC: a long and detailed reason .* END-OF-REASON/, "the whole reason, wrapped");
  const rows = banned.split("\n");
  t.true(rows.every((r) => termWidth(r) <= 80), "nothing wider than the terminal");
  t.regex(banned, /Esc: quit/, "the hints still fit below the error");
  await tui.keys("F1");
  await tui.keys("C-k");
  await new Promise((r) => setTimeout(r, 300));
  t.notRegex(await tui.screen(), /Keys|Go to:/, "F1 and Ctrl+K do nothing on the form");

  await tui.keys("Escape");
  await tui.waitFor(/Quit chat-tui\? Enter: quit · Esc: stay/);
  await tui.keys("Escape");
  await tui.waitFor((s) => !s.includes("Quit chat-tui?") && s.includes("Password"));
  await tui.keys("Escape");
  await tui.waitFor(/Quit chat-tui\?/);
  await tui.keys("Enter");
  await tui.waitFor(/EXITED 0/);

  // Wider terminals get a wider form: at 120 columns the error is on fewer lines.
  const wide = await openTui(t, server.url, { width: 120, height: 35, user: victim });
  await wide.waitFor(/Password/);
  await wide.type("victim-password");
  await wide.keys("Enter");
  const wideBanned = await wide.waitFor(/END-OF-REASON/);
  const errorRows = (sc: string) => sc.split("\n").filter((r) => /You are banned|long and detailed|END-OF-REASON/.test(r)).length;
  t.true(errorRows(wideBanned) < errorRows(banned), `fewer rows at 120 columns (${errorRows(wideBanned)} vs ${errorRows(banned)})`);
  admin.close();
});

tuiTest("main screen: help fits and lists every key at 80x24 and 120x35; Tab keeps the focus on a typed line; a multi-line paste is one message after asking; Esc asks before quitting", async (t) => {
  const { helpSections, keyLabel, KEYMAP } = await import("../tui/keys/keymap.js");
  const other = await newUser(server, "pst");
  const name = nick("hlp");
  const tui = await openTui(t, server.url, { width: 80, height: 24 });
  await logIn(tui, name, "help-password");
  for (const [w, h] of [[80, 24], [120, 35]] as const) {
    await tui.resize(w, h);
    await tui.waitFor((s) => s.split("\n").length >= h && /#general>/.test(s));
    await tui.keys("F1");
    let screen = await tui.waitFor(/Keys/);
    let seen = screen;
    for (let i = 0; i < 40 && /more: Down or PgDn/.test(screen); i++) {
      await tui.keys("PageDown");
      await new Promise((r) => setTimeout(r, 150));
      screen = await tui.screen();
      t.true(screen.split("\n").every((r) => termWidth(r) <= w), `${w}x${h}: the help fits the width`);
      seen += screen;
    }
    t.notRegex(screen, /more: Down or PgDn/, `${w}x${h}: the end of the help is reachable`);
    const flat = seen.replace(/[│\s]+/g, " ");
    for (const section of helpSections()) {
      t.true(flat.includes(section.title), `${w}x${h}: section ${section.title}`);
    }
    for (const [mode, table] of Object.entries(KEYMAP)) {
      for (const key of Object.keys(table)) {
        if (/^M-[2-9]$/.test(key)) continue;
        t.true(flat.includes(keyLabel(key)), `${w}x${h}: ${mode} key ${keyLabel(key)} is in the help`);
      }
    }
    for (const k of ["Ctrl+A", "Ctrl+E", "Alt+B", "Alt+F", "Alt+Backspace"]) t.true(flat.includes(k), `${w}x${h}: ${k}`);
    await tui.keys("Escape");
    await tui.waitFor((s) => !s.includes("Keys"));
  }

  // Tab with nothing to complete keeps typing in the input line.
  await tui.type("zzq");
  await tui.keys("Tab");
  await tui.type("x");
  const typed = await tui.waitFor(/#general> zzqx/);
  t.notRegex(typed, /\[users\]|\[history\]/, "the focus stayed on the input line");
  await tui.keys("C-u");

  // A multi-line paste: one message with its line breaks, after a question.
  await tui.paste("first pasted line\nsecond pasted line\nthird pasted line\n");
  await tui.waitFor(/Send 3 lines as one message\? Enter: send · Esc: cancel/);
  t.is(other.received("message:new", (m: MessageDto) => m.text.includes("pasted line")).length, 0, "nothing is sent before the answer");
  await tui.keys("Enter");
  const got = await other.next<MessageDto>("message:new", (m) => m.sender === name && m.text.includes("pasted line"));
  t.is(got.text, "first pasted line\nsecond pasted line\nthird pasted line", "one message, line breaks kept");
  // Waited for, not read once: until the ack replaces the outbox entry, the message may also be
  // on screen as its pending one-line form, just above the input.
  const rowsOf = (screen: string) => {
    const rows = screen.split("\n");
    return rows.filter((r, i) => r.includes("first pasted line") && /^\s+second pasted line/.test(rows[i + 1] ?? ""));
  };
  // Throws with the screen if the lines never stand on their own rows.
  const shown = await tui.waitFor((s) => s.includes("third pasted line") && rowsOf(s).length > 0);
  t.is(rowsOf(shown).length, 1, "each line of the message on its own row, once");
  await tui.paste("cancelled one\ncancelled two");
  await tui.waitFor(/Send 2 lines/);
  await tui.keys("Escape");
  await tui.waitFor((s) => !s.includes("Send 2 lines"));
  await tui.paste("just one line");
  await tui.waitFor(/#general> just one line/);
  t.is(other.received("message:new", (m: MessageDto) => m.text.includes("cancelled")).length, 0, "a cancelled paste is not sent");
  await tui.keys("C-u");

  await tui.keys("Escape");
  await tui.waitFor(/Quit chat-tui\?/);
  await tui.keys("Escape");
  await tui.waitFor((s) => !s.includes("Quit chat-tui?"));
  await tui.keys("Escape");
  await tui.waitFor(/Quit chat-tui\?/);
  await tui.keys("Enter");
  await tui.waitFor(/EXITED 0/);
  other.close();
});

tuiTest("moderation on screen: a hostile kick reason stays inert, a ban is explained at login, /shutdown counts down", async (t) => {
  const own = await startTestServer("pglite");
  t.teardown(() => own.stop());
  const adminNick = nick("adm");
  await own.accounts.addUser({ nick: adminNick, password: "admin-password", role: "admin" });
  const victimNick = nick("vic");
  const victim = await openTui(t, own.url);
  await logIn(victim, victimNick, "victim-password");
  const admin = await openTui(t, own.url);
  await logIn(admin, adminNick, "admin-password", false);

  // The reason comes over the network unfiltered: the victim's terminal must show it as text.
  const adminApi = await connect(own.url, (await api<never>(own.url, "/api/v1/login", { nick: adminNick, password: "admin-password" })).body);
  await adminApi.ok("admin:kick", { nick: victimNick, reason: "\x1b]0;pwned\x07\x1b[2J go away" });
  const kicked = await victim.waitFor(/You were kicked by/);
  t.regex(kicked, /You were kicked by \S+: \^\[\]0;pwned\^G\^\[\[2J go away/);
  t.regex(kicked, /Password/, "back on the login form");
  t.not(await victim.display("#{pane_title}"), "pwned");
  await admin.waitFor(new RegExp(`${victimNick} was kicked by ${adminNick}`));

  await logInAgain(victim, "victim-password");
  await sendLine(admin, `/ban ${victimNick} 1h spam`);
  await admin.waitFor(new RegExp(`${victimNick} is banned until .* UTC`));
  await victim.waitFor(/You were banned by \S+ until .* UTC: spam/);
  await victim.keys("C-u");
  await victim.type("victim-password");
  await victim.keys("Enter");
  await victim.waitFor(/You are banned until .* UTC: spam/);
  await sendLine(admin, `/unban ${victimNick}`);
  await admin.waitFor(new RegExp(`${victimNick} is unbanned`));
  await victim.keys("Enter");
  await victim.waitFor(/#general>/);

  await sendLine(victim, "/shutdown 5 nope");
  await victim.waitFor(/Only admins can shut the server down/);
  await sendLine(admin, "/shutdown 30 maintenance window");
  const announced = await victim.waitFor(/The server is shutting down in 30 s: maintenance window/);
  const first = Number(/server shutting down in (\d+) s/.exec(announced)?.[1]);
  t.true(first > 20 && first <= 30, `the status bar counts from 30: ${first}`);
  await victim.waitFor((sc) => Number(/server shutting down in (\d+) s/.exec(sc)?.[1] ?? 99) < first, 5000);
  adminApi.close();
});

tuiTest("a hostile server's nicks, room names, messages and notices are rendered inert", async (t) => {
  // chat-server refuses such names; a malicious or compromised server would not.
  const evil = "\x1b]0;pwned\x07\x1b[2J\x1b[31m";
  const http = createHttpServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ token: "T".repeat(43), user: { id: 1, nick: "me", role: "user" }, expiresAt: new Date(Date.now() + 1e6).toISOString() }));
  });
  const io = new IoServer(http, { transports: ["websocket"] });
  const peer = { id: 2, nick: `nick${evil}`, role: "user" as const };
  io.on("connection", (socket) => {
    const room = { id: 7, kind: "room", name: `room${evil}`, private: false, peer: null, open: true, lastReadId: 0, lastMessageId: 1, unread: 1 };
    socket.emit("session:ready", { user: { id: 1, nick: "me", role: "user" }, online: [peer], chats: [room], serverTime: new Date().toISOString() });
    socket.on("users:list", (_p: unknown, ack: (r: unknown) => void) => ack({ ok: true, data: { users: [{ ...peer, online: true }] } }));
    socket.on("history:fetch", (_p: unknown, ack: (r: unknown) => void) =>
      ack({ ok: true, data: { chatId: 7, hasMore: false, messages: [{ id: 1, chatId: 7, kind: "text", sender: peer.nick, senderId: 2, text: `text${evil}`, clientId: "c", createdAt: new Date().toISOString() }] } }));
    socket.on("ping:rtt", (_p: unknown, ack: (r: unknown) => void) => ack({ ok: true, data: { serverTime: new Date().toISOString() } }));
    socket.on("chat:read", (_p: unknown, ack: (r: unknown) => void) => ack({ ok: true, data: { chatId: 7, lastReadId: 1, unread: 0 } }));
    setTimeout(() => socket.emit("notice", { level: "error", text: `notice${evil}` }), 300);
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  t.teardown(() => void io.close());
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const tui = await openTui(t, url, { width: 100, height: 24 });
  const title = await tui.display("#{pane_title}");
  await tui.waitFor(/Password/);
  await tui.type("me");
  await tui.keys("Tab");
  await tui.type("whatever1");
  await tui.keys("Enter");
  const screen = await tui.waitFor((sc) => sc.includes("notice^[]0;pwned"), 15_000);
  const inert = "^[]0;pwned^G^[[2J^[[31m";
  t.true(screen.includes(`1:#room${inert}`.slice(0, 20)), "the room name in the tab bar is caret text");
  t.true(screen.includes(`<nick${inert}`.slice(0, 18)), "the sender's nick in the history is caret text");
  t.true(screen.includes(`text${inert}`), "the message is caret text");
  t.true(screen.includes(`● nick^[]0;pw`), "the nick in the user list is caret text");
  t.is(await tui.display("#{pane_title}"), title, "the terminal title did not change");
  t.regex(screen, /online/, "the screen was not cleared");
});

tuiTest("chat-tui dashboard shows live figures to an admin at 80x24 and refuses everyone else", async (t) => {
  const own = await startTestServer("pglite");
  t.teardown(() => own.stop());
  const dir = await tempDir(t);
  const adminNick = nick("dash");
  await own.accounts.addUser({ nick: adminNick, password: "admin-password", role: "admin" });
  const admin = await api<{ token: string }>(own.url, "/api/v1/login", { nick: adminNick, password: "admin-password" });
  const user = await register(own.url, nick("nodash"));
  const { writeFile } = await import("node:fs/promises");
  const save = async (file: string, session: { nick: string; token: string }) =>
    writeFile(file, JSON.stringify({ sessions: { [own.url]: session } }), { mode: 0o600 });
  await save(path.join(dir, "admin.json"), { nick: adminNick, token: admin.body.token });
  await save(path.join(dir, "user.json"), { nick: user.user.nick, token: user.token });

  const traffic = await connect(own.url, user);
  const room = await traffic.ok<ChatDto>("room:create", { name: `dash${Date.now().toString(36)}` });
  for (let i = 0; i < 6; i++) await traffic.ok("message:send", { chatId: room.id, text: `d${i}`, clientId: uuid() });

  const tmux = new Tmux();
  t.teardown(() => tmux.kill());
  await tmux.start(`node ${CLI} dashboard --server ${own.url} --config ${path.join(dir, "admin.json")}; echo "EXITED $?"; sleep 30`, { width: 80, height: 24 });
  const screen = await tmux.waitFor((s) => s.includes("Nodes") && new RegExp(`#${room.name}\\s+6`).test(s), 15_000);
  for (const title of ["Connections / online", "Messages per second", "Ack latency ms", "Event-loop lag ms / RSS MiB", "Rooms by activity", "Status"]) t.true(screen.includes(title), title);
  t.regex(screen, /● online/);
  t.regex(screen, /1 node\(s\)/);
  t.true(screen.split("\n").length <= 25, "fits 24 rows");
  await tmux.keys("q");
  await tmux.waitFor(/EXITED 0/);

  const refused = new Tmux();
  t.teardown(() => refused.kill());
  await refused.start(`node ${CLI} dashboard --server ${own.url} --config ${path.join(dir, "user.json")} 2>&1; echo "EXITED $?"; sleep 30`, { width: 80, height: 24 });
  const out = await refused.waitFor(/EXITED 2/);
  t.regex(out.replace(/\n/g, ""), /is not an admin; the dashboard is for admins/);
  traffic.close();
});

tuiTest("a notice that arrives while no chat is open is shown, not lost", async (t) => {
  const http = createHttpServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ token: "T".repeat(43), user: { id: 1, nick: "me", role: "user" }, expiresAt: new Date(Date.now() + 1e6).toISOString() }));
  });
  const io = new IoServer(http, { transports: ["websocket"] });
  io.on("connection", (socket) => {
    socket.emit("session:ready", { user: { id: 1, nick: "me", role: "user" }, online: [], chats: [], serverTime: new Date().toISOString() });
    socket.on("users:list", (_p: unknown, ack: (r: unknown) => void) => ack({ ok: true, data: { users: [] } }));
    socket.on("ping:rtt", (_p: unknown, ack: (r: unknown) => void) => ack({ ok: true, data: { serverTime: new Date().toISOString(), node: "n" } }));
    setTimeout(() => socket.emit("notice", { level: "info", text: "maintenance tonight at 22:00" }), 300);
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  t.teardown(() => void io.close());
  const tui = await openTui(t, `http://127.0.0.1:${(http.address() as AddressInfo).port}`, { width: 80, height: 24 });
  await tui.waitFor(/Password/);
  await tui.type("me");
  await tui.keys("Tab");
  await tui.type("whatever1");
  await tui.keys("Enter");
  const screen = await tui.waitFor(/-!- maintenance tonight at 22:00/);
  t.regex(screen, /No open chats/);
});
