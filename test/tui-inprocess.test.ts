// chat-tui without a process of its own: two instances in this test's process, each on an
// in-memory terminal, logged into a real server, exchange messages and see them on screen.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import { runApp, type App } from "../tui/app.js";
import { createLocalClient } from "../tui/local.js";
import { memoryTerminal, screenText, waitForScreen, type MemoryTerminal } from "../tui/testing/memory-terminal.js";
import { nick, startTestServer, type TestServer } from "./helpers/harness.js";

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
  const deadline = Date.now() + 10_000;
  while (!a.exits.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(a.exits, [0]);
  t.deepEqual(b.exits, []);
  b.term.type("still here\r");
  await waitForScreen(b.view.screen, (s) => s.includes("still here"));
});
