// Keys are data: a table from key names (as blessed names them) to command ids, per mode. The
// ids are typed (a typo fails to compile); users override keys in their config file.
import type { CommandId } from "../commands/ids.js";

export const MODES = ["login", "input", "users", "history", "switcher", "help"] as const;
export type Mode = (typeof MODES)[number];
export type Keymap = Record<"global" | Mode, Readonly<Record<string, CommandId>>>;
/** The user's changes: per mode, key name -> command id (null: the key does nothing). */
export type KeyOverrides = Partial<Record<"global" | Mode, Record<string, CommandId | null>>>;

const tabKeys: Record<string, CommandId> = {};
for (let i = 1; i <= 9; i++) tabKeys[`M-${i}`] = `tab.goto.${i}` as CommandId;

export const KEYMAP = {
  /** Apply in every chat mode unless the mode's own table names the key. */
  global: {
    "C-c": "app.quit",
    f1: "overlay.help",
    ...tabKeys,
    "C-n": "tab.next",
    "C-p": "tab.prev",
    "M-right": "tab.next",
    "M-left": "tab.prev",
    "M-a": "tab.nextUnread",
    "C-w": "tab.close",
    "C-k": "switcher.open",
    "S-tab": "focus.prev",
    pageup: "history.pageUp",
    pagedown: "history.pageDown",
    "C-l": "screen.redraw",
    "C-o": "files.select",
    "C-x": "transfer.cancel",
  },
  input: {
    enter: "composer.submit",
    tab: "composer.complete",
    backspace: "composer.backspace",
    delete: "composer.delete",
    left: "composer.left",
    right: "composer.right",
    "C-b": "composer.left",
    "C-f": "composer.right",
    home: "composer.home",
    end: "composer.end",
    "C-a": "composer.home",
    "C-e": "composer.end",
    "M-b": "composer.wordLeft",
    "M-f": "composer.wordRight",
    "C-left": "composer.wordLeft",
    "C-right": "composer.wordRight",
    "C-u": "composer.killBefore",
    "M-backspace": "composer.killWordBefore",
    "C-h": "composer.backspace",
    up: "composer.recallPrev",
    down: "composer.recallNext",
    escape: "composer.clearCompletion",
  },
  users: {
    up: "users.up",
    down: "users.down",
    k: "users.up",
    j: "users.down",
    enter: "users.openDm",
    tab: "focus.next",
    escape: "focus.input",
  },
  history: {
    up: "history.lineUp",
    down: "history.lineDown",
    k: "history.lineUp",
    j: "history.lineDown",
    home: "history.top",
    end: "history.bottom",
    g: "history.top",
    "S-g": "history.bottom",
    f: "files.older",
    "S-f": "files.newer",
    d: "files.download",
    enter: "files.download",
    tab: "focus.next",
    escape: "history.escape",
  },
  switcher: {
    escape: "overlay.close",
    "C-c": "overlay.close",
    "C-k": "overlay.close",
    enter: "switcher.choose",
    up: "switcher.up",
    down: "switcher.down",
    "C-p": "switcher.up",
    "C-n": "switcher.down",
    backspace: "switcher.backspace",
  },
  help: {
    up: "help.up",
    down: "help.down",
    pageup: "help.pageUp",
    pagedown: "help.pageDown",
    escape: "overlay.close",
    f1: "overlay.close",
    q: "overlay.close",
    enter: "overlay.close",
    "C-c": "app.quit",
  },
  login: {
    enter: "login.submit",
    tab: "login.nextField",
    "S-tab": "login.nextField",
    up: "login.nextField",
    down: "login.nextField",
    "C-r": "login.register",
    backspace: "login.backspace",
    "C-u": "login.clearField",
    "C-c": "app.quit",
    escape: "app.quit",
  },
} as const satisfies Keymap;

/** The keymap with the user's overrides applied (null removes a key). */
export function withOverrides(base: Keymap, overrides: KeyOverrides): Keymap {
  const out = { ...base } as Record<"global" | Mode, Record<string, CommandId>>;
  for (const [mode, table] of Object.entries(overrides) as ["global" | Mode, Record<string, CommandId | null>][]) {
    const merged: Record<string, CommandId> = { ...base[mode] };
    for (const [key, id] of Object.entries(table)) {
      if (id === null) delete merged[key];
      else merged[key] = id;
    }
    out[mode] = merged;
  }
  return out;
}

/** What each command does, for the F1 overlay. */
export const COMMAND_HELP: Partial<Record<CommandId, string>> = {
  "app.quit": "quit (also /quit)",
  "overlay.help": "show or hide this help",
  "tab.goto.1": "go to tab 1 (Alt+1 … Alt+9: tab N)",
  "tab.next": "next tab",
  "tab.prev": "previous tab",
  "tab.nextUnread": "next tab with unread messages",
  "tab.close": "close the active tab (a room stays joined)",
  "switcher.open": "quick switcher: find people and rooms",
  "focus.next": "cycle focus: input, users, history",
  "focus.prev": "cycle focus backwards",
  "history.pageUp": "scroll history up (loads older messages)",
  "history.pageDown": "scroll history down",
  "history.top": "oldest message (history focus; also Home in an empty input)",
  "history.bottom": "newest message (history focus; also End in an empty input)",
  "composer.submit": "send the message or run the /command",
  "composer.complete": "complete a nick or /command (Tab again: next match); with nothing to complete: next focus",
  "composer.recallPrev": "previous line you sent",
  "composer.recallNext": "next line you sent",
  "composer.killBefore": "delete to the start of the line",
  "users.openDm": "open a direct message with the selected person",
  "screen.redraw": "redraw the screen",
  "files.select": "select the newest file in the chat (then f/F: older/newer, Enter or d: download)",
  "files.older": "history: select the previous (older) file",
  "files.newer": "history: select the next (newer) file",
  "files.download": "history: download the selected file",
  "transfer.cancel": "cancel the newest upload or download in progress",
};

/**
 * blessed names a few keys differently depending on the terminal; fold them together. For one
 * Enter ("\r") it emits two keypresses, "enter" and then "return": only "enter" runs a command.
 */
export function normalizeKey(full: string): string {
  switch (full) {
    case "linefeed":
      return "enter";
    case "C-j":
      return "enter";
    case "C-i":
      return "tab";
    case "C-?":
      return "backspace";
    default:
      return full;
  }
}

/** The command a key runs in a mode: the mode's table first, then the global one (not on the login form or in overlays). */
export function resolveKey(mode: Mode, key: string, keymap: Keymap = KEYMAP): CommandId | null {
  const name = normalizeKey(key);
  const own = keymap[mode][name];
  if (own) return own;
  if (mode === "login" || mode === "switcher" || mode === "help") return null;
  return keymap.global[name] ?? null;
}

/** Key labels as people write them, for the help overlay: "M-1" -> "Alt+1". */
export function keyLabel(key: string): string {
  const m = /^((?:[CMS]-)*)(.+)$/.exec(key);
  const mods = (m?.[1] ?? "").split("-").filter(Boolean).map((x) => ({ C: "Ctrl+", M: "Alt+", S: "Shift+" })[x] ?? "").join("");
  const name = m?.[2] ?? key;
  const special: Record<string, string> = { pageup: "PgUp", pagedown: "PgDn", escape: "Esc" };
  const label = special[name] ?? (/^f\d+$/.test(name) ? name.toUpperCase() : name.length === 1 && mods ? name.toUpperCase() : name.length > 1 ? name[0]!.toUpperCase() + name.slice(1) : name);
  return mods + label;
}

/** (keys, description) rows for the help overlay, one per documented command. */
export function helpRows(keymap: Keymap = KEYMAP): { keys: string; text: string }[] {
  const byCommand = new Map<string, string[]>();
  for (const table of [keymap.global, keymap.input, keymap.users, keymap.history] as Record<string, string>[]) {
    for (const [key, cmd] of Object.entries(table)) {
      if (!COMMAND_HELP[cmd as CommandId] || /^M-[2-9]$/.test(key)) continue;
      const list = byCommand.get(cmd) ?? [];
      if (!list.includes(keyLabel(key))) list.push(keyLabel(key));
      byCommand.set(cmd, list);
    }
  }
  return Object.entries(COMMAND_HELP).flatMap(([cmd, text]) => {
    const keys = byCommand.get(cmd);
    return keys ? [{ keys: keys.join(", "), text }] : [];
  });
}
