// chat-tui end to end for conversations (issue 15): two chat-tuis in tmux against a real server
// (both under screen-256color, whose receiving side once lost a reacted line); reply, react, edit, a multi-line message with a
// code block, delete, then search and jump, each seen on the other screen.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import { PACKAGE_ROOT } from "../server/paths.js";
import { nick, startTestServer, type TestServer } from "./helpers/harness.js";
import { hasTmux, Tmux } from "./helpers/tmux.js";

const CLI = path.join(PACKAGE_ROOT, "dist", "tui", "cli.js");
const tuiTest = hasTmux ? test.serial : test.skip;
if (!hasTmux) test.skip("chat-tui conversation tests (skipped: tmux is not installed)", () => {});

let server: TestServer;
test.before(async () => {
  if (hasTmux) server = await startTestServer("pglite");
});
test.after.always(async () => {
  await server?.stop();
});

async function openTui(t: ExecutionContext, term: string): Promise<Tmux> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "chat-tui-conv-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const tmux = new Tmux();
  t.teardown(() => tmux.kill());
  const config = path.join(dir, "tui.json");
  await tmux.start(`node ${CLI} --server ${server.url} --config ${config} 2>>${config}.stderr; echo "EXITED $?"; sleep 60`, {
    width: 100,
    height: 30,
    env: { TERM: term, LANG: "C.UTF-8" },
  });
  return tmux;
}

async function register(tui: Tmux, name: string) {
  await tui.waitFor(/Password/);
  await tui.keys("C-u");
  await tui.type(name);
  await tui.keys("Tab");
  await tui.type("correct horse battery");
  await tui.keys("C-r");
  await tui.waitFor(/#general>/);
}

tuiTest("reply, react, edit, a code block, delete, search and jump: done in one chat-tui, seen in another", async (t) => {
  const alice = await openTui(t, "screen-256color");
  const bob = await openTui(t, "screen-256color");
  const a = nick("al");
  const b = nick("bo");
  await register(alice, a);
  await register(bob, b);

  await bob.type("hello from bob about the zeppelin");
  await bob.keys("Enter");
  await alice.waitFor(/hello from bob about the zeppelin/);

  // Reply: Up selects the newest message, r starts a reply with a banner, Enter sends it.
  await alice.keys("Up");
  await alice.waitFor(/r: reply · d: delete · \+: react/);
  await alice.keys("r");
  await alice.waitFor(new RegExp(`replying to ${b}: hello from bob`));
  await alice.type("agreed");
  await alice.keys("Enter");
  await bob.waitFor((s) => new RegExp(`┌ ${b}: hello from bob about the zeppelin[^\\n]*\\n[^\\n]*<${a}> agreed`).test(s));

  // React to bob's message (two up: past alice's reply) with a short name.
  await alice.keys("Up");
  await alice.keys("Up");
  await alice.keys("+");
  await alice.waitFor(/type an emoji or :name:/);
  await alice.type(":+1:");
  await alice.keys("Enter");
  await bob.waitFor(/👍 1/);

  // Edit one's own reply: e fills the input with its text, Enter saves.
  await alice.keys("Up");
  await alice.waitFor(/r: reply · e: edit/);
  await alice.keys("e");
  await alice.waitFor(/editing your message/);
  await alice.keys("C-u");
  await alice.type("agreed, with the details");
  await alice.keys("Enter");
  await bob.waitFor(new RegExp(`<${a}> agreed, with the details \\(edited\\)`));

  // A multi-line message with a fenced code block: Alt+Enter adds lines; the input grows.
  await alice.type("the fix:");
  for (const line of ["```", "  if (x) {", "    return x + 1", "  }", "```"]) {
    await alice.keys("M-Enter");
    await alice.type(line);
  }
  await alice.waitFor((s) => /the fix:/.test(s) && /^\s+```\s*$/m.test(s));
  await alice.keys("Enter");
  const shown = await bob.waitFor(/│     return x \+ 1/);
  t.regex(shown, new RegExp(`<${a}> the fix:[^\\n]*\\n\\s+│   if \\(x\\) \\{[^\\n]*\\n\\s+│     return x \\+ 1[^\\n]*\\n\\s+│   \\}`));
  t.notRegex(shown, /```/);

  // Delete it: d asks first, Enter deletes; the other screen shows the tombstone.
  await alice.keys("Up");
  await alice.keys("d");
  await alice.waitFor(/Delete your message "the fix:/);
  await alice.keys("Enter");
  await bob.waitFor(new RegExp(`<${a}> message deleted by ${a}`));
  t.notRegex(await bob.screen(), /return x \+ 1/);

  // Search from bob's side and jump to the hit: the results show the chat, sender and line.
  await bob.type("/search zeppelin");
  await bob.keys("Enter");
  await bob.waitFor(/Search: zeppelin[\s\S]*general .*<.*> hello from bob about the zeppelin/);
  await bob.keys("Enter");
  // The hit is selected in its chat (bob's own message: e is offered too).
  await bob.waitFor((s) => !/Search: zeppelin/.test(s) && /r: reply · e: edit · d: delete · \+: react/.test(s));
  await bob.keys("Escape");
  await bob.waitFor((s) => !/r: reply · e: edit/.test(s));
});
