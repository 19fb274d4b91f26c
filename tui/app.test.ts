import test from "ava";
import { createClient } from "../client/client.js";
import { fakePorts, fakeServer } from "../client/fake.js";
import { createController } from "./app.js";
import { COMMAND_IDS } from "./commands/ids.js";
import { KEYMAP } from "./keys/keymap.js";
import { loggedInActions } from "./state/fixtures.js";
import { createStore } from "./state/store.js";
import type { View } from "./ui/view.js";

const fakeView = { historyLayout: () => ({ lines: [], height: 20 }), redraw() {}, ask() {}, answer: () => false, onPaste() {} } as unknown as View;

function loggedInApp() {
  const client = createClient({ server: "http://127.0.0.1:1", ports: fakePorts(fakeServer()) });
  for (const a of loggedInActions()) client.dispatch(a);
  const store = createStore(client);
  const app = createController({ client, store, view: fakeView, quit: async () => {} });
  return { client, store, app };
}

test("every command the keymap names is one the app can run, and every command id has an implementation", (t) => {
  const { app } = loggedInApp();
  const known = new Set(Object.keys(app.commands));
  const missing = Object.values(KEYMAP).flatMap((m) => Object.values(m) as string[]).filter((c) => !known.has(c));
  t.deepEqual(missing, []);
  t.deepEqual([...known].sort(), [...COMMAND_IDS].sort());
});

test("typed characters go to the focused field; Alt+digit switches tabs; typing in the user list returns to the input", (t) => {
  const { store, app } = loggedInApp();
  for (const ch of "hé漢") app.key(ch, { full: ch, name: ch, ctrl: false, meta: false, shift: false, sequence: ch } as never);
  t.is(store.getState().composer.text, "hé漢");
  app.key(undefined, { full: "M-2", name: "2", ctrl: false, meta: true, shift: false, sequence: "\x1b2" } as never);
  t.is(store.getState().active, 2);
  app.key(undefined, { full: "S-tab", name: "tab", ctrl: false, meta: false, shift: true, sequence: "\x1b[Z" } as never);
  t.not(store.getState().focus, "input");
  app.key(undefined, { full: "C-a", name: "a", ctrl: true, meta: false, shift: false, sequence: "\x01" } as never);
  app.key("x", { full: "x", name: "x", ctrl: false, meta: false, shift: false, sequence: "x" } as never);
  t.is(store.getState().focus, "input");
  t.true(store.getState().composer.text.endsWith("x"));
  app.key("\x1b", { full: "escape", name: "escape", ctrl: false, meta: false, shift: false, sequence: "\x1b" } as never);
  t.false(store.getState().composer.text.includes("\x1b"), "control characters are never inserted");
});

test("Tab never moves focus away from a line with text in it; from an empty line it does", (t) => {
  const { store, app } = loggedInApp();
  const tab = () => app.key("\t", { full: "tab", name: "tab", ctrl: false, meta: false, shift: false, sequence: "\t" } as never);
  for (const ch of "zzqx ") app.key(ch, { full: ch, name: ch, ctrl: false, meta: false, shift: false, sequence: ch } as never);
  tab();
  t.is(store.getState().focus, "input", "nothing to complete: focus stays");
  t.is(store.getState().composer.text, "zzqx ");
  store.dispatch({ type: "composer.set", text: "" });
  tab();
  t.is(store.getState().focus, "users", "an empty line: Tab moves to the user list");
});
