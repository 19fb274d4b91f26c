// chat-tui on a terminal it is given: the screen on the terminal's streams, the view of the
// store, keys -> commands. No process globals: the caller owns exiting, signals and the
// client (tui/cli.ts for a local terminal; tests run several in one process).
import type { Widgets } from "blessed";
import type { ChatClient } from "../client/client.js";
import { wantsAttention } from "../client/state/attention.js";
import { createCommands, type CommandTable } from "./commands/index.js";
import type { CommandContext, ViewPort } from "./commands/context.js";
import type { BellMode } from "./config.js";
import { KEYMAP, resolveKey, withOverrides, type KeyOverrides, type Keymap, type Mode } from "./keys/keymap.js";
import type { Action } from "./state/actions.js";
import { initialUiState } from "./state/reducer.js";
import { createStore, type Store } from "./state/store.js";
import { activeView, selectedMessage } from "./state/selectors.js";
import type { State } from "./state/types.js";
import { createScreen, createView, type TerminalStreams, type View } from "./ui/view.js";

/** The terminal chat-tui draws on and reads keys from. */
export type Terminal = TerminalStreams & {
  /** The size now (columns x rows); read again on every resize signal. */
  size?: () => { columns: number; rows: number };
  /** Subscribes to size changes; returns an unsubscribe function. */
  onResize?: (listener: () => void) => () => void;
};

export type RunAppOptions = {
  terminal: Terminal;
  client: ChatClient;
  /** Called once when the user quits (after the screen is restored). */
  onExit: (code: number) => void;
  /** The nick to log in as (pre-fills the form; picks the saved session). */
  user?: string | undefined;
  keys?: KeyOverrides;
  bell?: BellMode;
  /** --unicode / --ascii (otherwise the terminal's locale decides). */
  charset?: "unicode" | "ascii" | undefined;
  /** CHAT_TUI_TRACE: a file that gets one JSON line per rendered frame. */
  traceFile?: string | undefined;
};

export type App = {
  store: Store;
  view: View;
  client: ChatClient;
  commands: CommandTable;
  key(ch: string | undefined, key: Widgets.Events.IKeyEventArg | undefined): void;
  quit(): Promise<void>;
  /** Resolves after the saved session (if any) was resumed or found missing. */
  started: Promise<void>;
};

export function runApp(opts: RunAppOptions): App {
  const { terminal } = opts;
  const screen = createScreen({ terminal, ...(opts.charset ? { charset: opts.charset } : {}) });
  const store = createStore(opts.client, initialUiState(opts.user ?? ""));
  const view = createView(screen, store, { traceFile: opts.traceFile });
  const output = terminal.output as NodeJS.WritableStream & { columns?: number; rows?: number; emit?: (e: string) => boolean };
  // An injected size signal (an SSH window-change): update the stream's size, then tell blessed.
  const unResize = terminal.onResize?.(() => {
    const size = terminal.size?.();
    if (size) Object.assign(output, { columns: size.columns, rows: size.rows });
    output.emit?.("resize");
  });
  let exited = false;
  const controller = createController({
    client: opts.client,
    store,
    view,
    keymap: withOverrides(KEYMAP, opts.keys ?? {}),
    quit: async () => {
      if (exited) return;
      exited = true;
      await opts.client.stop();
      unResize?.();
      unBell();
      store.dispose();
      view.destroy();
      opts.onExit(0);
    },
  });
  // The terminal bell for messages that want attention (see client/state/attention.ts).
  let before = opts.client.getState();
  const unBell = opts.client.subscribe((after, action) => {
    if (wantsAttention(before, after, action, opts.bell ?? "mentions")) terminal.output.write("\x07");
    before = after;
  });
  screen.on("keypress", (ch: string | undefined, key: Widgets.Events.IKeyEventArg | undefined) => controller.key(ch, key));
  view.onPaste((text) => controller.paste(text));
  view.onNewline?.(() => controller.key(undefined, { full: "M-enter", name: "enter", meta: true } as Widgets.Events.IKeyEventArg));
  const started = opts.client.start(opts.user).catch((e: Error) => controller.notice(`Could not resume the session: ${e.message}`, "error"));
  return { store, view, client: opts.client, commands: controller.commands, key: controller.key, quit: controller.quit, started };
}

export function createController(deps: { client: ChatClient; store: Store; view: ViewPort; keymap?: Keymap; quit: () => Promise<void> }) {
  const { client, store } = deps;
  const keymap = deps.keymap ?? KEYMAP;
  const dispatch = (a: Action) => store.dispatch(a);
  const state = () => store.getState();
  const ctx: CommandContext = {
    client,
    store,
    view: deps.view,
    state,
    dispatch,
    notice: (text, level = "info", chatId) => client.notice(text, level, chatId),
    quit: deps.quit,
  };
  const commands = createCommands(ctx);

  function mode(s: State): Mode {
    if (s.screen === "login") return "login";
    if (s.overlay) return s.overlay.kind;
    if (selectedMessage(s)) return "select";
    return s.focus;
  }

  function insertText(s: State, text: string) {
    const m = mode(s);
    if (m === "login") dispatch({ type: "login.edit", field: s.login.field, value: s.login[s.login.field] + text });
    else if (m === "switcher" && s.overlay?.kind === "switcher") dispatch({ type: "switcher.query", query: s.overlay.query + text });
    else if (m === "help") return;
    else {
      // Typing while the user list or history has focus goes to the input line.
      if (m === "select") dispatch({ type: "message.select", chatId: s.active ?? 0, messageId: null });
      if (m !== "input") dispatch({ type: "focus.set", focus: "input" });
      dispatch({ type: "composer.insert", text });
    }
  }

  function key(ch: string | undefined, k: Widgets.Events.IKeyEventArg | undefined) {
    const s = state();
    const full = k?.full ?? ch ?? "";
    if (deps.view.answer(full)) return; // an open question (quit? send a paste?) takes every key
    const command = resolveKey(mode(s), full, keymap);
    if (command) {
      const fail = (e: Error) => ctx.notice(`Internal error: ${e.message}`, "error");
      try {
        void Promise.resolve(commands[command]()).catch(fail);
      } catch (e) {
        fail(e as Error);
      }
      return;
    }
    // Printable input: a character with no Ctrl/Alt, including pasted text and wide characters.
    if (ch && !k?.ctrl && !k?.meta && !/[\u0000-\u001f\u007f]/.test(ch)) insertText(s, ch);
  }

  /** A bracketed paste: one line is typed; several become one message, after asking. */
  function paste(text: string) {
    const s = state();
    const v = activeView(s);
    const body = text.replace(/\n+$/, "");
    const count = body.split("\n").length;
    if (count < 2 || mode(s) === "login" || mode(s) === "switcher" || !v) return insertText(s, body.replace(/\n/g, " "));
    deps.view.ask(`Send ${count} lines as one message? Enter: send · Esc: cancel`, () => {
      const c = state().composer;
      dispatch({ type: "composer.set", text: "" });
      client.send(v.chat.id, c.text.slice(0, c.cursor) + body + c.text.slice(c.cursor));
    });
  }

  return { key, paste, quit: deps.quit, commands, dispatch, notice: ctx.notice };
}
