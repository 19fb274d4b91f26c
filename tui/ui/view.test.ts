// The view following the newest line lays out only the newest entries: what it draws, and the
// layout it hands to commands, must be those of the whole window.
import { createRequire } from "node:module";
import test, { type ExecutionContext } from "ava";
import { createClient } from "../../client/client.js";
import { fakePorts, fakeServer } from "../../client/fake.js";
import { loggedInActions, msg } from "../state/fixtures.js";
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
      const { screen, view } = views[0]!;
      const { lines, height } = view.historyLayout();
      const shown = lines.slice(-height).map((l) => l.text);
      const { palette, ascii } = displayOf(screen);
      t.is(ascii, env.LANG === "C");
      const box = blessed.box({ parent: ref, top: 1, left: 0, width: 79, height, tags: true, wrap: false });
      box.setContent(palette.translate(ascii ? shown.map(toAscii).join("\n") : shown.join("\n")));
      ref.render();
      const cells = (s: typeof screen) => (s as unknown as { lines: [number, string][][] }).lines.slice(1, 1 + height).map((row) => row.slice(0, 79).map((c) => `${c[0]}:${c[1]}`).join(" "));
      t.deepEqual(cells(screen), cells(ref), env.LANG);
      t.deepEqual(cells(views[1]!.screen), cells(ref), env.LANG);
      t.true(screenText(screen).includes(ascii ? "typed tags" : "Привет"), env.LANG);
    } finally {
      for (const v of views) v.view.destroy();
      ref.destroy();
    }
  }
});
