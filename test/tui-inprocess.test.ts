// chat-tui without a process of its own: two instances in this test's process, each on an
// in-memory terminal, logged into a real server, exchange messages and see them on screen.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import { runApp, type App } from "../tui/app.js";
import { createLocalClient } from "../tui/local.js";
import { memoryTerminal, screenText, waitForScreen, type MemoryTerminal } from "../tui/testing/memory-terminal.js";
import type { ChatDto } from "../server/protocol/index.js";
import { newUser, nick, startTestServer, uuid, type TestServer } from "./helpers/harness.js";

let server: TestServer;
test.before(async () => {
  server = await startTestServer("pglite");
});
test.after.always(async () => {
  await server?.stop();
});

async function openApp(t: ExecutionContext, user: string, size = { columns: 100, rows: 30 }): Promise<App & { term: MemoryTerminal; exits: number[] }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "chat-tui-mem-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const term = memoryTerminal(size);
  const exits: number[] = [];
  const client = createLocalClient({ server: server.url, configPath: path.join(dir, "tui.json"), downloadDir: dir });
  const app = runApp({ terminal: term, client, user, onExit: (code) => exits.push(code) });
  t.teardown(() => app.quit());
  await app.started;
  return Object.assign(app, { term, exits });
}

/** Registers through the form: the nick is pre-filled (--user), so type the password, Ctrl+R. */
async function register(app: App & { term: MemoryTerminal }, password = "correct horse battery") {
  await waitForScreen(app.view.screen, (s) => s.includes("Password"));
  app.term.type(password);
  app.term.type("\x12");
  await waitForScreen(app.view.screen, (s) => s.includes("#general>") && s.includes("● online"));
}

test.serial("two chat-tui instances in one process, on in-memory terminals, exchange messages and each screen shows them", async (t) => {
  const [an, bn] = [nick("mema"), nick("memb")];
  const a = await openApp(t, an);
  const b = await openApp(t, bn, { columns: 120, rows: 35 });
  t.not(a.view.screen, b.view.screen);
  await register(a);
  await register(b);
  a.term.type(`hello from ${an}\r`);
  await waitForScreen(b.view.screen, (s) => s.includes(`hello from ${an}`));
  b.term.type(`and back from ${bn}\r`);
  const sa = await waitForScreen(a.view.screen, (s) => s.includes(`and back from ${bn}`) && s.includes(`hello from ${an}`));
  const sb = await waitForScreen(b.view.screen, (s) => s.includes(`and back from ${bn}`));
  // Each drew at its own size, on its own stream.
  t.true(sa.split("\n").every((l) => l.length <= 100));
  t.is(sb.split("\n").length, 35);
  t.true(a.term.written().includes(`hello from ${an}`));
  // Typing into one never reaches the other.
  a.term.type("draft only in a");
  await waitForScreen(a.view.screen, (s) => s.includes("draft only in a"));
  t.false(screenText(b.view.screen).includes("draft only in a"));

  // A resize signal reaches only its own screen.
  a.term.resize(80, 24);
  await waitForScreen(a.view.screen, (s) => s.split("\n").length === 24);
  t.is(screenText(b.view.screen).split("\n").length, 35);

  // Quitting one calls its exit callback and leaves the other running.
  a.term.type("\x03");
  const deadline = Date.now() + 30_000;
  while (!a.exits.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(a.exits, [0]);
  t.deepEqual(b.exits, []);
  b.term.type("still here\r");
  await waitForScreen(b.view.screen, (s) => s.includes("still here"));
});

/** Rows of the screen with blessed's attributes: [text, cells] (cell = [attr, char]). */
function rows(app: App): { text: string; cells: [number, string][] }[] {
  const lines = (app.view.screen as unknown as { lines: [number, string][][] }).lines;
  return lines.map((cells) => ({ text: cells.map((c) => c[1]).join(""), cells }));
}
const bells = (app: App & { term: MemoryTerminal }) => app.term.written().split("\x07").length - 1;

test.serial("attention: a closed room tab still counts and reopens on a mention with a bell; new-messages line, highlighted mention, more-below when scrolled up", async (t) => {
  const an = nick("atta");
  const a = await openApp(t, an);
  await register(a);
  const bob = await newUser(server, "attb");
  const room = await bob.ok<ChatDto>("room:create", { name: `att${Math.random().toString(36).slice(2, 8)}` });
  a.term.type(`/join ${room.name}\r`);
  await waitForScreen(a.view.screen, (s) => s.includes(`#${room.name}>`));
  // Ctrl+W closes the tab, but a stays in the room.
  a.term.type("\x17");
  await waitForScreen(a.view.screen, (s) => s.includes("#general>") && s.includes("you are still in it"));
  t.false(screenText(a.view.screen).split("\n")[0]!.includes(room.name), "the tab is gone from the tab bar");
  const bellsBefore = bells(a);
  await bob.ok("message:send", { chatId: room.id, text: "plain talk", clientId: uuid() });
  await waitForScreen(a.view.screen, (s) => /1 unread in 1 closed tab/.test(s));
  t.is(bells(a), bellsBefore, "a plain room message does not ring (bell: mentions)");
  await bob.ok("message:send", { chatId: room.id, text: `${an}: can you look at this?`, clientId: uuid() });
  await waitForScreen(a.view.screen, (s) => s.split("\n")[0]!.includes(room.name));
  t.is(bells(a), bellsBefore + 1, "the mention rang the bell once");
  t.false(/closed tab/.test(screenText(a.view.screen)));

  // The reopened tab is the second one: Alt+2. A "new messages" line sits above what was unread.
  a.term.type("\x1b2");
  const shown = await waitForScreen(a.view.screen, (s) => s.includes(`#${room.name}>`) && s.includes("can you look"));
  const lines = shown.split("\n");
  const marker = lines.findIndex((l) => l.includes("new messages"));
  t.true(marker >= 0 && marker < lines.findIndex((l) => l.includes("plain talk")), "the marker is above the first unread message");
  // The mention's row is drawn bold (blessed attr flag 1 at bit 18), the plain one is not.
  const boldAt = (text: string) => {
    const row = rows(a).find((r) => r.text.includes(text))!;
    return ((row.cells[row.text.indexOf(text)]![0] >> 18) & 1) === 1;
  };
  t.true(boldAt("can you look"));
  t.false(boldAt("plain talk"));

  // Enough history to scroll: PgUp shows "more below"; a new message while up is counted.
  for (let i = 0; i < 40; i++) await bob.ok("message:send", { chatId: room.id, text: `filler ${i}`, clientId: uuid() });
  await waitForScreen(a.view.screen, (s) => s.includes("filler 39"));
  a.term.type("\x1b[5~");
  await waitForScreen(a.view.screen, (s) => s.includes("more below") && !s.includes("filler 39"));
  await bob.ok("message:send", { chatId: room.id, text: "while you read", clientId: uuid() });
  await waitForScreen(a.view.screen, (s) => s.includes("more below · 1 new"));
  a.term.type("\x1b[F");
  await waitForScreen(a.view.screen, (s) => s.includes("while you read") && !s.includes("more below"));
  t.pass();
});
