import test from "ava";
import type { CommandId } from "../commands/ids.js";
import { checkSettings } from "../config.js";
import { KEYMAP, resolveKey, withOverrides, type Keymap } from "./keymap.js";

test("keymap command ids are typed: a typo fails to compile", (t) => {
  const ok = { "C-q": "app.quit" } satisfies Record<string, CommandId>;
  // @ts-expect-error: "app.quti" is not a command id
  const typo = { "C-q": "app.quti" } satisfies Record<string, CommandId>;
  // @ts-expect-error: a keymap table holds command ids only
  const table: Keymap["global"] = { "C-q": "tab.gotoo.1" };
  t.truthy(ok && typo && table);
});

test("the user's key overrides apply per mode; null unbinds; global ones reach every chat mode", (t) => {
  const { keys } = checkSettings({ keys: { global: { "C-q": "app.quit", "C-w": null }, input: { "C-t": "tab.next" } } });
  const map = withOverrides(KEYMAP, keys);
  t.is(resolveKey("input", "C-q", map), "app.quit");
  t.is(resolveKey("history", "C-q", map), "app.quit");
  t.is(resolveKey("input", "C-w", map), null, "Ctrl+W was unbound");
  t.is(resolveKey("input", "C-t", map), "tab.next");
  t.is(resolveKey("users", "C-t", map), null, "an input override stays in the input");
  t.is(resolveKey("input", "C-w"), "tab.close", "the built-in map is unchanged");
  t.is(resolveKey("input", "C-q"), null);
});

test("unknown command ids, modes and bell values in the config file are refused with a sentence that says what to write", (t) => {
  const e1 = t.throws(() => checkSettings({ keys: { global: { "C-q": "app.quti" as CommandId } } }, "/home/u/.config/socket-messenger/tui.json"));
  t.regex(e1!.message, /tui\.json: keys\.global\."C-q" names the unknown command "app\.quti"\. Did you mean app\.quit/);
  const e2 = t.throws(() => checkSettings({ keys: { chat: { x: "app.quit" } } as never }));
  t.regex(e2!.message, /keys\."chat" is not a mode; use one of global, login, input/);
  const e3 = t.throws(() => checkSettings({ bell: "loud" as never }));
  t.regex(e3!.message, /"bell" must be one of off, mentions, all/);
  t.is(checkSettings({}).bell, "mentions", "mentions and DMs by default");
});
