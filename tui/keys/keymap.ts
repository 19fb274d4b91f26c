// Keys are data: a table from key names (as blessed names them) to command ids, per mode. The
// ids are typed (a typo fails to compile); users override keys in their config file.
import type { CommandId } from "../commands/ids.js";

export const MODES = ["login", "input", "users", "history", "select", "results", "switcher", "help", "confirm"] as const;
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
    "C-f": "search.open",
  },
  input: {
    enter: "composer.submit",
    tab: "composer.complete",
    backspace: "composer.backspace",
    delete: "composer.delete",
    left: "composer.left",
    right: "composer.right",
    "C-b": "composer.left",
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
    // Up from an empty input selects the newest message; with text (or while recalling) it recalls.
    up: "message.select",
    down: "composer.recallNext",
    "C-up": "composer.recallPrev",
    "M-p": "composer.recallPrev",
    "M-n": "composer.recallNext",
    "M-enter": "composer.newline",
    "S-enter": "composer.newline",
    escape: "composer.escape",
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
  /** A message selected in the history: act on it. */
  select: {
    up: "message.up",
    down: "message.down",
    k: "message.up",
    j: "message.down",
    r: "message.reply",
    e: "message.edit",
    d: "message.delete",
    "+": "message.react",
    escape: "message.leave",
    enter: "message.leave",
  },
  /** The search results or mentions window. */
  results: {
    up: "results.up",
    down: "results.down",
    enter: "results.choose",
    escape: "overlay.close",
    "C-c": "overlay.close",
    "C-f": "overlay.close",
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
    escape: "app.confirmQuit",
  },
  /** A yes/no question (quit? send a multi-line paste?): it takes every key until answered. */
  confirm: {
    enter: "confirm.yes",
    y: "confirm.yes",
    "S-y": "confirm.yes",
    escape: "confirm.no",
    n: "confirm.no",
    "S-n": "confirm.no",
    "C-c": "confirm.no",
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

/** What each command does, for the F1 overlay; every command in KEYMAP has a line (a test checks). */
export const COMMAND_HELP: Partial<Record<CommandId, string>> = {
  "app.quit": "quit (also /quit)",
  "app.confirmQuit": "quit, after asking",
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
  "composer.complete": "complete a nick or /command (Tab again: next match); in an empty line: next focus",
  "composer.backspace": "delete the character before the cursor",
  "composer.delete": "delete the character under the cursor",
  "composer.left": "cursor left",
  "composer.right": "cursor right",
  "composer.home": "start of the line (in an empty line: oldest message)",
  "composer.end": "end of the line (in an empty line: newest message)",
  "composer.wordLeft": "one word left",
  "composer.wordRight": "one word right",
  "composer.killWordBefore": "delete the word before the cursor",
  "composer.recallPrev": "previous line you sent",
  "composer.recallNext": "next line you sent",
  "composer.killBefore": "delete to the start of the line",
  "composer.escape": "cancel a completion; otherwise quit, after asking",
  "users.up": "user list: previous person",
  "users.down": "user list: next person",
  "users.openDm": "open a direct message with the selected person",
  "focus.input": "back to the input line",
  "history.lineUp": "history: one line up",
  "history.lineDown": "history: one line down",
  "history.escape": "history: back to the input line",
  "screen.redraw": "redraw the screen",
  "files.select": "select the newest file in the chat (then f/F: older/newer, Enter or d: download)",
  "files.older": "history: select the previous (older) file",
  "files.newer": "history: select the next (newer) file",
  "files.download": "history: download the selected file",
  "transfer.cancel": "cancel the newest upload or download in progress",
  "overlay.close": "close this window",
  "switcher.choose": "open the chosen chat, person or room",
  "switcher.up": "previous match",
  "switcher.down": "next match",
  "switcher.backspace": "delete the last character of the search",
  "help.up": "scroll this help up",
  "help.down": "scroll this help down",
  "help.pageUp": "scroll this help up a page",
  "help.pageDown": "scroll this help down a page",
  "login.submit": "log in",
  "login.register": "register the nick with the password",
  "login.nextField": "switch between nick and password",
  "login.backspace": "delete the last character",
  "login.clearField": "clear the field",
  "message.select": "in an empty input: select the newest message (then r/e/d/+); otherwise previous line you sent",
  "message.up": "selected message: the one before",
  "message.down": "selected message: the one after (past the newest: back to the input)",
  "message.leave": "leave the selection",
  "message.reply": "reply to the selected message (Esc cancels)",
  "message.edit": "edit your selected message (Enter saves, Esc cancels)",
  "message.delete": "delete the selected message (asks first)",
  "message.react": "react to the selected message: type an emoji or :shortname: (such as :+1:), Enter",
  "search.open": "search every chat you are in (/search <words>)",
  "results.up": "previous result",
  "results.down": "next result",
  "results.choose": "jump to the message, with the messages around it",
  "composer.newline": "a new line in the message (Shift+Enter too where the terminal tells it apart)",
  "confirm.yes": "yes",
  "confirm.no": "no",
};
for (let i = 2; i <= 9; i++) COMMAND_HELP[`tab.goto.${i}` as CommandId] = `go to tab ${i}`;

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
  if (mode === "login" || mode === "switcher" || mode === "help" || mode === "confirm" || mode === "results") return null;
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

/** The help's sections: which key tables, under which title. */
export const HELP_SECTIONS: { title: string; modes: ("global" | Mode)[] }[] = [
  { title: "Everywhere in the chat", modes: ["global"] },
  { title: "Input line", modes: ["input"] },
  { title: "User list (Tab or Shift+Tab to get there)", modes: ["users"] },
  { title: "History (Tab or Shift+Tab to get there)", modes: ["history"] },
  { title: "A selected message (Up from an empty input)", modes: ["select"] },
  { title: "Search results and mentions (/search, Ctrl+F, /mentions)", modes: ["results"] },
  { title: "Quick switcher (Ctrl+K)", modes: ["switcher"] },
  { title: "This help", modes: ["help"] },
  { title: "Login form", modes: ["login"] },
  { title: "Questions (quit? send a pasted text?)", modes: ["confirm"] },
];

/**
 * (keys, description) rows for the help overlay, generated from KEYMAP so it cannot drift:
 * one row per command of each table, with every key that runs it (Alt+2…Alt+9 folded into
 * the Alt+1 row).
 */
export function helpSections(keymap: Keymap = KEYMAP): { title: string; rows: { keys: string; text: string }[] }[] {
  return HELP_SECTIONS.map(({ title, modes }) => {
    const byCommand = new Map<string, string[]>();
    for (const m of modes) {
      for (const [key, cmd] of Object.entries(keymap[m] as Record<string, string>)) {
        if (/^M-[2-9]$/.test(key)) continue;
        const list = byCommand.get(cmd) ?? [];
        if (!list.includes(keyLabel(key))) list.push(keyLabel(key));
        byCommand.set(cmd, list);
      }
    }
    return { title, rows: [...byCommand].map(([cmd, keys]) => ({ keys: keys.join(", "), text: COMMAND_HELP[cmd as CommandId] ?? cmd })) };
  });
}

/** Every row of every section (what the help overlay shows). */
export function helpRows(keymap: Keymap = KEYMAP): { keys: string; text: string }[] {
  return helpSections(keymap).flatMap((s) => s.rows);
}
