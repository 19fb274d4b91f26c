// The view following the newest line lays out only the newest entries: what it draws, and the
// layout it hands to commands, must be those of the whole window.
import { createRequire } from "node:module";
import test, { type ExecutionContext } from "ava";
import { createClient } from "../../client/client.js";
import { fakePorts, fakeServer } from "../../client/fake.js";
import type { Widgets } from "blessed";
import { chat, dm, loggedInActions, ME, msg, ready } from "../state/fixtures.js";
import { historyEntries } from "../state/selectors.js";
import { createStore } from "../state/store.js";
import { memoryTerminal, screenText } from "../testing/memory-terminal.js";
import { layoutHistory } from "./text.js";
import { toAscii } from "./glyphs.js";
import { createScreen, createView, displayOf } from "./view.js";

const plain = (s: string) => s.replace(/\{\/?[^{}]*\}/g, "").trimEnd();

function check(t: ExecutionContext, noticesAfter: number, secondDay: number) {
  const term = memoryTerminal({ columns: 100, rows: 30, env: { LANG: "C.UTF-8" } });
  const client = createClient({ server: "http://127.0.0.1:1", ports: fakePorts(fakeServer()) });
  for (const a of loggedInActions()) client.dispatch(a);
  const store = createStore(client);
  const screen = createScreen({ terminal: term });
  const view = createView(screen, store);
  try {
    // Two days, long messages that wrap (further up), and two notices in a row between messages
    // (entries that are not messages) near the top of the pane.
    for (let i = 1; i <= 130; i++) {
      const day = i < secondDay ? "2026-11-21" : "2026-11-22";
      const text = i < 90 && i % 7 === 0 ? `long message ${i} `.repeat(12) : `message ${i}`;
      client.dispatch({ type: "message.received", message: msg(i, 1, 2, text, { createdAt: `${day}T10:${String(i % 60).padStart(2, "0")}:00.000Z` }) });
      if (i === noticesAfter) (client.notice(`first notice after ${i}`, "info", 1), client.notice(`second notice after ${i}`, "info", 1));
    }
    view.redraw();
    const { lines, height } = view.historyLayout();
    const whole = layoutHistory(historyEntries(store.getState(), 1), 79, { hasOlder: false, loadingOlder: false, hasNewer: false, selectedId: null, ascii: false });
    t.deepEqual(lines.map((l) => l.text), whole.map((l) => l.text));
    const rows = screenText(screen).split("\n").slice(1, 1 + height).map((r) => r.slice(0, 79).trimEnd());
    t.deepEqual(rows, whole.slice(-height).map((l) => plain(l.text)), `notices after message ${noticesAfter}, second day from ${secondDay}`);
    // The second day's separator is on screen only when it starts inside the pane.
    t.is(rows.some((r) => r.includes("22 November 2026")), secondDay > 110);
  } finally {
    view.destroy();
  }
}

test("following the newest line, the history pane and the layout for commands are those of the whole window", (t) => {
  for (const secondDay of [95, 115]) for (let after = 98; after <= 108; after++) check(t, after, secondDay);
});

test("the history pane, parsed line by line once for the process, draws the cells blessed draws for the whole tagged content", (t) => {
  const term = memoryTerminal({ columns: 100, rows: 30, env: { LANG: "C.UTF-8" } });
  const client = createClient({ server: "http://127.0.0.1:1", ports: fakePorts(fakeServer()) });
  for (const a of loggedInActions()) client.dispatch(a);
  const store = createStore(client);
  const screen = createScreen({ terminal: term });
  const view = createView(screen, store);
  const ref = memoryTerminal({ columns: 100, rows: 30, env: { LANG: "C.UTF-8" } });
  const refScreen = createScreen({ terminal: ref });
  try {
    // Colours, bold own lines, a mention, tags typed by a user (they stay text), wide characters, code.
    const texts = ["plain words", "{red-fg}not red{/red-fg} {bold}nor bold{/bold} {/}", "hey @alice look", "Привет 👋 世界 wide", "```\ncode {x}\n```", "long line ".repeat(15)];
    for (let i = 1; i <= 40; i++) client.dispatch({ type: "message.received", message: msg(i, 1, i % 3 === 0 ? 1 : 2, texts[i % texts.length]!) });
    view.redraw();
    const { lines, height } = view.historyLayout();
    const shown = lines.slice(-height).map((l) => l.text);
    const { palette } = displayOf(screen);
    const blessed = createRequire(import.meta.url)("blessed") as typeof import("blessed");
    const box = blessed.box({ parent: refScreen, top: 1, left: 0, width: 79, height, tags: true, wrap: false });
    box.setContent(palette.translate(shown.join("\n")));
    refScreen.render();
    const cells = (s: typeof screen) => (s as unknown as { lines: [number, string][][] }).lines.slice(1, 1 + height).map((row) => row.slice(0, 79).map((c) => `${c[0]}:${c[1]}`).join(" "));
    t.deepEqual(cells(screen), cells(refScreen));
    t.true(screenText(screen).includes("{red-fg}not red{/red-fg}"));
  } finally {
    view.destroy();
    refScreen.destroy();
  }
});

test("after new messages scroll the pane frame by frame, its cells are blessed's for the whole content (Unicode and ASCII)", async (t) => {
  const blessed = createRequire(import.meta.url)("blessed") as typeof import("blessed");
  for (const env of [{ LANG: "C.UTF-8" }, { LANG: "C" }]) {
    const views = [0, 1].map(() => {
      const term = memoryTerminal({ columns: 100, rows: 30, env });
      const client = createClient({ server: "http://127.0.0.1:1", ports: fakePorts(fakeServer()) });
      for (const a of loggedInActions()) client.dispatch(a);
      const screen = createScreen({ terminal: term });
      return { client, screen, view: createView(screen, createStore(client)) };
    });
    const ref = createScreen({ terminal: memoryTerminal({ columns: 100, rows: 30, env }) });
    try {
      const texts = ["plain", "Привет 👋 世界 wide", "{bold}typed tags{/bold}", "e\u0301 combining", "hey @alice", "tab\there"];
      let id = 0;
      for (let frame = 0; frame < 8; frame++) {
        // Each frame adds 1-3 messages (each session its own copy, as from its own socket).
        for (let k = 0; k <= frame % 3; k++) {
          id++;
          for (const v of views) v.client.dispatch({ type: "message.received", message: msg(id, 1, id % 3 === 0 ? 1 : 2, texts[id % texts.length]!) });
        }
        await new Promise((r) => setTimeout(r, 40)); // the next frame (16 ms) has been drawn
      }
      await new Promise((r) => setTimeout(r, 200)); // the last one, also on a loaded machine
      const { screen, view } = views[0]!;
      const { lines, height } = view.historyLayout();
      const shown = lines.slice(-height).map((l) => l.text);
      const { palette, ascii } = displayOf(screen);
      t.is(ascii, env.LANG === "C");
      const box = blessed.box({ parent: ref, top: 1, left: 0, width: 79, height, tags: true, wrap: false });
      box.setContent(palette.translate(ascii ? shown.map(toAscii).join("\n") : shown.join("\n")));
      ref.render();
      const cells = (s: typeof screen) => (s as unknown as { lines: [number, string][][] }).lines.slice(1, 1 + height).map((row) => row.slice(0, 79).map((c) => `${c[0]}:${c[1]}`).join(" "));
      // The last frame may come late on a loaded machine.
      const drawn = () => views.every((v) => cells(v.screen).join("\n") === cells(ref).join("\n"));
      for (let i = 0; i < 150 && !drawn(); i++) await new Promise((r) => setTimeout(r, 20));
      t.deepEqual(cells(screen), cells(ref), env.LANG);
      t.deepEqual(cells(views[1]!.screen), cells(ref), env.LANG);
      t.true(screenText(screen).includes(ascii ? "typed tags" : "Привет"), env.LANG);
    } finally {
      for (const v of views) v.view.destroy();
      ref.destroy();
    }
  }
});

test("every pane drawn from rows of cells shows the cells blessed draws from its content: people, input, tabs, status, focus, overlay, a narrow screen, ASCII", async (t) => {
  for (const env of [{ LANG: "C.UTF-8" }, { LANG: "C" }]) {
    const make = (rowPanes: boolean) => {
      const term = memoryTerminal({ columns: 100, rows: 30, env });
      const client = createClient({ server: "http://127.0.0.1:1", ports: fakePorts(fakeServer()) });
      const people = [ME, ...["bob", "Zoë", "世界人", "dave", "{bold}eve{/bold}"].map((nick, i) => ({ id: i + 2, nick, role: "user" as const }))];
      client.dispatch({ type: "session.ready", session: ready([chat(1, "general"), chat(2, "dév", { unread: 3 }), dm(3, { id: 2, nick: "bob" }, { unread: 1 })], people.slice(0, 4)) });
      for (const id of [1, 2, 3]) client.dispatch({ type: "history.loaded", page: { chatId: id, messages: [], hasMore: false }, direction: "latest" });
      const store = createStore(client);
      const screen = createScreen({ terminal: term });
      return { term, client, store, screen, view: createView(screen, store, { rowPanes }) };
    };
    const both = [make(true), make(false)];
    const frame = () => new Promise((r) => setTimeout(r, 40));
    const cells = (s: Widgets.Screen) => (s as unknown as { lines: [number, string][][] }).lines.map((row) => row.map((c) => `${c[0]}:${c[1]}`).join(" "));
    // Both draw their next frame 16 ms after a change; on a loaded machine later: until both did.
    const same = async (what: string) => {
      await frame();
      for (let i = 0; i < 150 && cells(both[0]!.screen).join("\n") !== cells(both[1]!.screen).join("\n"); i++) await new Promise((r) => setTimeout(r, 20));
      t.deepEqual(cells(both[0]!.screen), cells(both[1]!.screen), `${env.LANG}: ${what}`);
    };
    try {
      for (let i = 1; i <= 12; i++) for (const v of both) v.client.dispatch({ type: "message.received", message: msg(i, 1, 2, i % 4 === 0 ? "wide 世界 👋" : `message ${i}`) });
      await same("messages and people");
      for (const v of both) v.store.dispatch({ type: "composer.insert", text: "typed 世界 {red-fg}x" });
      await same("typed input");
      for (const v of both) (v.store.dispatch({ type: "focus.set", focus: "users" }), v.store.dispatch({ type: "users.move", delta: 2 }));
      await same("the user list focused, cursor moved");
      for (const v of both) v.store.dispatch({ type: "overlay.help" });
      await same("the help overlay");
      for (const v of both) v.store.dispatch({ type: "overlay.close" });
      await same("the overlay closed");
      for (const v of both) v.term.resize(50, 20);
      await same("a narrow screen (no user list)");
      for (const v of both) v.term.resize(100, 30);
      await same("wide again");
    } finally {
      for (const v of both) v.view.destroy();
    }
  }
});
