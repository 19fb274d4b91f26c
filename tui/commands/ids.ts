// Every command a key can run, by domain. Keymaps are checked against this list by the
// compiler (KEYMAP) and at start-up (the user's overrides in the config file).
const APP = ["app.quit", "app.confirmQuit", "confirm.yes", "confirm.no", "screen.redraw", "overlay.help", "overlay.close", "help.up", "help.down", "help.pageUp", "help.pageDown"] as const;
const TABS = [
  "tab.next", "tab.prev", "tab.nextUnread", "tab.close",
  "tab.goto.1", "tab.goto.2", "tab.goto.3", "tab.goto.4", "tab.goto.5", "tab.goto.6", "tab.goto.7", "tab.goto.8", "tab.goto.9",
  "switcher.open", "switcher.choose", "switcher.up", "switcher.down", "switcher.backspace",
] as const;
const FOCUS = ["focus.next", "focus.prev", "focus.input", "users.up", "users.down", "users.openDm"] as const;
const HISTORY = ["history.pageUp", "history.pageDown", "history.lineUp", "history.lineDown", "history.top", "history.bottom", "history.escape"] as const;
const FILES = ["files.select", "files.older", "files.newer", "files.download", "transfer.cancel"] as const;
const COMPOSER = [
  "composer.submit", "composer.complete", "composer.backspace", "composer.delete", "composer.left", "composer.right", "composer.home", "composer.end",
  "composer.wordLeft", "composer.wordRight", "composer.killBefore", "composer.killWordBefore", "composer.recallPrev", "composer.recallNext",
  "composer.escape",
] as const;
const MESSAGE = [
  "message.select", "message.up", "message.down", "message.leave", "message.reply", "message.edit", "message.delete", "message.react",
  "search.open", "results.up", "results.down", "results.choose", "composer.newline",
] as const;
const LOGIN = ["login.submit", "login.register", "login.nextField", "login.backspace", "login.clearField"] as const;

export const COMMAND_IDS = [...APP, ...TABS, ...FOCUS, ...HISTORY, ...FILES, ...COMPOSER, ...MESSAGE, ...LOGIN] as const;
export type CommandId = (typeof COMMAND_IDS)[number];
export type AppCommandId = (typeof APP)[number];
export type TabCommandId = (typeof TABS)[number];
export type FocusCommandId = (typeof FOCUS)[number];
export type HistoryCommandId = (typeof HISTORY)[number];
export type FileCommandId = (typeof FILES)[number];
export type ComposerCommandId = (typeof COMPOSER)[number];
export type MessageCommandId = (typeof MESSAGE)[number];
export type LoginCommandId = (typeof LOGIN)[number];

export const isCommandId = (s: string): s is CommandId => (COMMAND_IDS as readonly string[]).includes(s);
