// The view: blessed widgets laid out on one screen, rendered from state at most once a frame.
import { createRequire } from "node:module";
import type { Widgets } from "blessed";
import { activeView, dmUnreadKey, historyEntries, moreBelow, onlineSummary, resultRows, scrollOf, selectedFileMessage, selectedMessage, sortedUsers, switcherCandidates, tabs } from "../state/selectors.js";
import type { Store } from "../state/store.js";
import type { State } from "../state/types.js";
import { toAscii } from "./glyphs.js";
import { DISABLE_PASTE, ENABLE_PASTE, interceptPaste } from "./paste.js";
import { createPalette, paint, type Palette } from "./palette.js";
import { escapeTags, sanitizeLine } from "./sanitize.js";
import { colourDepth, detectCharset, patchTerminfoReader, shareCursorMoves, type Charset, type TerminalCaps } from "./terminal-caps.js";
import { resolveKey } from "../keys/keymap.js";
import { buildRow, cachedRow, drawRows, rowSet, type Row } from "./history-rows.js";
import { charWidth, layoutHistory, strWidth, topIndex, wrap, type HistoryLine } from "./text.js";
import { createRenderTrace } from "./trace.js";
import { renderComposerLines, renderHelp, renderIntent, renderResults, renderLogin, renderStatus, renderSwitcher, renderTabs, renderTransfer, renderUsers } from "./widgets.js";

type Blessed = typeof import("blessed");

export interface View {
  readonly screen: Widgets.Screen;
  /** Lines of the active chat's history as laid out now, and the pane height (for scrolling). */
  historyLayout(): { lines: HistoryLine[]; height: number };
  redraw(): void;
  destroy(): void;
  /** Resolves after the first frame was written. */
  firstPaint: Promise<void>;
  /** Asks a yes/no question in a box; it takes the keys (see KEYMAP.confirm) until answered. */
  ask(question: string, onYes: () => void, onNo?: () => void): void;
  /** Gives a key to the open question; false when there is none (the key is the app's). */
  answer(key: string): boolean;
  /** Where bracketed pastes go (whole, line breaks kept), instead of being typed key by key. */
  onPaste(handler: (text: string) => void): void;
  /** Where Alt+Enter / Shift+Enter go (a new line in the input). */
  onNewline?(handler: () => void): void;
}

const FRAME_MS = 16;

/** The terminal a screen draws on: streams (a TTY, an SSH channel, in-memory streams in tests). */
export type TerminalStreams = {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** The terminal type (TERM). */
  term: string;
  /** The locale variables of that terminal's session (LANG, LC_ALL, LC_CTYPE). */
  env?: Record<string, string | undefined>;
};

export type ScreenOptions = {
  /** --unicode / --ascii; without it the locale decides (LC_ALL > LC_CTYPE > LANG). */
  charset?: Charset;
  env?: NodeJS.ProcessEnv;
  /** The streams to draw on (default: this process's stdin/stdout); its env is the session's. */
  terminal?: TerminalStreams;
};

/** How one screen draws: its terminal's capabilities, its palette, ASCII or Unicode. */
export type Display = { caps: TerminalCaps; palette: Palette; ascii: boolean; notice: string | null };
const displays = new WeakMap<Widgets.Screen, Display>();

export function displayOf(screen: Widgets.Screen): Display {
  const known = displays.get(screen);
  if (known) return known;
  const caps: TerminalCaps = { term: "xterm-256color", colours: 256, charset: "unicode", locale: "C.UTF-8", fromLocale: false };
  return { caps, palette: createPalette(256), ascii: false, notice: null };
}

// The history pane's lines as blessed's tag parser makes them (SGR sequences), in this screen's
// colours and charset; the pane draws each as a row of cells made once for the process
// (history-rows.ts), so this runs once per distinct line, not per frame.
type TagParser = { _parseTags(text: string): string };
const parseLine = (line: string, palette: Palette, ascii: boolean, parser: TagParser): string => parser._parseTags(palette.translate(ascii ? toAscii(line) : line));

/**
 * blessed's Element.render calls parseContent on every frame, and parseContent scans the whole
 * content for SGR sequences again (_parseAttr: its "nothing changed" test never holds). The
 * result depends only on the parsed lines and the element's default attribute: kept while both are the same.
 */
function keepParsedAttrs(el: Widgets.BoxElement) {
  const e = el as unknown as { _parseAttr(lines: string[]): unknown; sattr(style: unknown): number; style: unknown };
  const parse = e._parseAttr;
  let seen: string[] | null = null;
  let dattr = -1;
  let attrs: unknown;
  e._parseAttr = function (this: typeof e, lines: string[]) {
    const d = this.sattr(this.style);
    if (lines === seen && d === dattr) return attrs;
    attrs = parse.call(this, lines);
    seen = lines;
    dattr = d;
    return attrs;
  };
}

type TputState = { colors: number; unicode: boolean; brokenACS: boolean; numbers: Record<string, number>; terminal: string };

/** Creates the screen with the settings these terminals need (see README, "Terminals"). */
export function createScreen(opts: ScreenOptions = {}): Widgets.Screen {
  const env = (opts.terminal?.env ?? opts.env ?? process.env) as NodeJS.ProcessEnv;
  patchTerminfoReader();
  const { charset, locale, fromLocale } = detectCharset(env, opts.charset);
  const unicode = charset === "unicode";
  const blessed = createRequire(import.meta.url)("blessed") as Blessed;
  const t = opts.terminal;
  const screen = blessed.screen({
    ...(t ? { input: t.input as never, output: t.output as never, terminal: t.term } : {}),
    smartCSR: true,
    fullUnicode: unicode,
    forceUnicode: unicode,
    autoPadding: false,
    warnings: false,
    title: "chat-tui",
    dockBorders: false,
  });
  const tput = (screen as unknown as { tput: TputState }).tput;
  // Box characters drawn as themselves, never with the alternate character set (which many
  // SSH clients and terminals show as lqqqk): what NCURSES_NO_UTF8_ACS=1 does, for this screen.
  tput.brokenACS = true;
  shareCursorMoves(tput as unknown as Parameters<typeof shareCursorMoves>[0]);
  if (!unicode) {
    // Not UTF-8: blessed maps box characters to + - | (its own table) when it believes the
    // terminal has no Unicode at all; everything else is made ASCII before it gets here.
    tput.unicode = false;
    tput.numbers["U8"] = 0;
  }
  const caps: TerminalCaps = { term: tput.terminal, colours: colourDepth(tput.colors, env), charset, locale, fromLocale };
  const notice = !unicode && fromLocale ? `ASCII mode: your locale (${locale}) is not UTF-8; --unicode to override` : null;
  displays.set(screen, { caps, palette: createPalette(caps.colours), ascii: !unicode, notice });
  return screen;
}

export function createView(screen: Widgets.Screen, store: Store, opts: { traceFile?: string | undefined; /** false: every pane drawn by blessed from its content (what tests compare the row panes with). */ rowPanes?: boolean } = {}): View {
  const blessed = createRequire(import.meta.url)("blessed") as Blessed;
  const box = (o: Widgets.BoxOptions) => blessed.box({ tags: true, wrap: false, ...o });
  const display = displayOf(screen);
  const { palette, ascii } = display;
  let notice = display.notice;
  const tabBar = box({ top: 0, left: 0, height: 1, width: "100%", style: palette.styles.tabBar });
  // Draws rows of cells made once per line for the process (drawRows), not blessed's content.
  const history = box({ top: 1, left: 0, height: 10, width: 10, tags: false });
  const separator = box({ top: 1, height: 10, width: 1, style: palette.styles.separator });
  const users = box({ top: 1, height: 10, width: 10 });
  const composer = box({ height: 1, left: 0, width: "100%" });
  const transfers = box({ height: 1, left: 0, width: "100%", hidden: true });
  const status = box({ height: 1, left: 0, width: "100%", style: palette.styles.status });
  const login = box({ top: "center", left: "center", width: 60, height: 12, border: { type: "line" }, padding: { left: 1, right: 1 }, hidden: true });
  const overlay = box({ top: "center", left: "center", width: 70, height: 20, border: { type: "line" }, padding: { left: 1, right: 1 }, hidden: true, style: { border: palette.styles.border } });
  const question = box({ top: "center", left: "center", width: 50, height: 5, border: { type: "line" }, padding: { left: 1, right: 1 }, hidden: true, style: { border: palette.styles.border } });
  for (const w of [tabBar, history, separator, users, transfers, composer, status, login, overlay, question]) (keepParsedAttrs(w), screen.append(w));
  let asking: { text: string; yes: () => void; no: () => void } | null = null;
  let pasteHandler: (text: string) => void = () => {};
  let newlineHandler: () => void = () => {};
  const program = screen.program as unknown as { input: Parameters<typeof interceptPaste>[0]; output: NodeJS.WritableStream };
  const stopPaste = interceptPaste(program.input, (text) => pasteHandler(text), () => newlineHandler());
  program.output.write(ENABLE_PASTE);
  screen.program.hideCursor();

  /** The active chat's whole history layout (made on demand: see layout()). */
  let lastLines: () => HistoryLine[] = () => [];
  let lastHeight = 0;
  let scheduled: NodeJS.Timeout | null = null;
  let lastRender = 0;
  let wideRows = new Set<number>();
  let resolvePaint: () => void = () => {};
  const firstPaint = new Promise<void>((r) => (resolvePaint = r));

  // The panes of the chat screen (one line per row, no wrapping, no border) draw rows of cells
  // (drawRows), not blessed's content: the history and users panes' rows are shared by every
  // screen of the process (sessions of a gateway in one room show the same lines), the others'
  // (input, status, tabs: per session) are kept per pane while they are in use.
  const cellScreen = screen as unknown as Parameters<typeof buildRow>[0];
  const parser = tabBar as unknown as TagParser;
  type Pane = { lines: readonly string[]; wideRows(): readonly number[] };
  // Counts what writes cells besides the row panes: blessed's region fills (clearPos on a hide,
  // a move, setContent; padding) and a frame with a blessed box (login form, overlay, question)
  // on screen. While it stays the same, a pane leaves rows it drew last frame alone (drawRows).
  let cellsTouched = 0;
  {
    const sc = screen as unknown as { fillRegion: (...args: unknown[]) => unknown };
    const fill = sc.fillRegion;
    sc.fillRegion = function (this: unknown, ...args: unknown[]) {
      cellsTouched++;
      return fill.apply(this, args);
    };
  }
  const panes = new Map<Widgets.BoxElement, Pane>();
  function rowPane(el: Widgets.BoxElement, shared: boolean): Pane {
    let localKey = "";
    let local = new Map<string, Row>();
    const pane: Pane = { lines: [], wideRows: () => [] };
    const drawn = drawRows(el, (width, dattr) => {
      const key = `${palette.depth}|${ascii ? 1 : 0}|${cellScreen.fullUnicode ? 1 : 0}|${dattr}|${width}`;
      const make = (line: string): Row => buildRow(cellScreen, parseLine(line, palette, ascii, parser), width, dattr);
      if (shared) {
        const set = rowSet(key);
        return pane.lines.map((l) => cachedRow(set, l, make));
      }
      // Per pane: what was typed or shown once seldom comes back, so this set starts over when full.
      if (key !== localKey || local.size > 16) ((localKey = key), (local = new Map()));
      return pane.lines.map((l) => {
        let row = local.get(l);
        if (!row) local.set(l, (row = make(l)));
        return row;
      });
    }, () => cellsTouched);
    pane.wideRows = drawn.wideRows;
    panes.set(el, pane);
    return pane;
  }
  const rowPanes = opts.rowPanes ?? true;
  if (rowPanes) {
    for (const el of [tabBar, separator, composer, transfers, status]) rowPane(el, false);
    rowPane(users, true);
    rowPane(history, true);
  }
  function setHistory(lines: readonly string[]) {
    const pane = panes.get(history);
    if (pane) pane.lines = lines;
    else history.setContent(lines.map((l) => parseLine(l, palette, ascii, parser)).join("\n"));
  }

  // What each widget was last given: most frames (a message arriving) change one pane, so
  // unchanged content is not split or set again (blessed re-parses content on every setContent).
  const contents = new Map<Widgets.BoxElement, string>();
  /** Content as this terminal draws it: roles in its colours, ASCII where the locale is not UTF-8. */
  function set(widget: Widgets.BoxElement, content: string) {
    if (contents.get(widget) === content) return;
    contents.set(widget, content);
    const pane = panes.get(widget);
    if (pane) pane.lines = content.split("\n");
    else widget.setContent(palette.translate(ascii ? toAscii(content) : content));
  }

  // The users pane is rebuilt only when what it shows can have changed: the people, their DM
  // unread counts, the cursor, focus and size (not when a message arrives in a room).
  let usersKey: { users: State["users"]; online: State["online"]; me: number | undefined; dm: string; cursor: number; focused: boolean; width: number; height: number } | null = null;
  function setUsers(s: State, width: number, height: number) {
    const key = { users: s.users, online: s.online, me: s.me?.id, dm: dmUnreadKey(s), cursor: s.userCursor, focused: s.focus === "users", width, height };
    const k = usersKey;
    if (k && k.users === key.users && k.online === key.online && k.me === key.me && k.dm === key.dm && k.cursor === key.cursor && k.focused === key.focused && k.width === key.width && k.height === key.height) return;
    usersKey = key;
    set(users, renderUsers(sortedUsers(s), { width, height, cursor: s.userCursor, focused: key.focused, ascii, summary: onlineSummary(s) }));
  }

  /** The status bar; the ASCII-mode notice leads it until the first key. */
  function statusLine(s: State, width: number): string {
    const bar = renderStatus(s, width);
    return notice ? `${paint("warn", escapeTags(notice))}  ${bar}` : bar;
  }
  // Not once(): blessed's emitter skips the next listener when one removes itself mid-emit.
  // Shown until the first key on the chat screen (the login form's keys do not count).
  if (notice) screen.on("keypress", () => notice && store.getState().screen === "chat" && ((notice = null), schedule()));

  function layoutQuestion() {
    if (!asking) return void question.hide();
    const W = screen.width as number;
    const H = screen.height as number;
    question.width = Math.max(10, Math.min(W - 2, Math.max(40, strWidth(asking.text) + 6)));
    const lines = wrap(asking.text, (question.width as number) - 4);
    question.height = Math.min(H, lines.length + 2);
    set(question, lines.map((l) => `{bold}${escapeTags(l)}{/bold}`).join("\n"));
    question.show();
    question.setFront();
  }

  let composerMemo: { composer: State["composer"]; width: number; focused: boolean; prompt: string; lines: readonly string[] } | null = null;
  let separatorH = -1;
  let separatorText = "";
  function layout(s: State) {
    const W = screen.width as number;
    const H = screen.height as number;
    const chat = s.screen === "chat";
    for (const w of [tabBar, history, separator, users, composer, status]) chat ? w.show() : w.hide();
    if (!chat) transfers.hide();
    if (!chat) {
      login.show();
      // As wide as the terminal allows (up to 100), as tall as its wrapped content.
      login.width = Math.max(10, Math.min(W - 2, 100));
      const form = renderLogin(s, (login.width as number) - 4);
      login.height = Math.max(3, Math.min(H - 1, form.split("\n").length + 2));
      set(login, form);
      layoutQuestion();
      status.show();
      status.top = H - 1;
      set(status, statusLine(s, W));
      return;
    }
    login.hide();
    const usersW = W >= 60 ? Math.min(24, Math.max(14, Math.floor(W * 0.2))) : 0;
    // Up to three transfers get a line each above the input line while they run.
    const shownTransfers = s.transfers.slice(-3);
    // The input grows with a multi-line message; a reply or edit gets a banner line above it.
    const v0 = activeView(s);
    const prompt = v0 ? sanitizeLine(v0.chat.kind === "room" ? `#${v0.chat.name}` : v0.chat.name) : "";
    const focused = s.focus === "input" && s.overlay === null && !selectedMessage(s);
    // The input line is drawn again only when it, the width, focus or prompt changed (not for a message).
    const c = composerMemo;
    const typed = c && c.composer === s.composer && c.width === W && c.focused === focused && c.prompt === prompt ? c.lines : renderComposerLines(s.composer, { width: W, focused, prompt, ascii });
    composerMemo = { composer: s.composer, width: W, focused, prompt, lines: typed };
    const banner = renderIntent(s, W);
    const composerLines = banner ? [banner, ...typed] : typed;
    const composerH = composerLines.length;
    const bodyH = Math.max(1, H - 2 - composerH - shownTransfers.length);
    if (shownTransfers.length) {
      Object.assign(transfers, { top: 1 + bodyH, left: 0, width: W, height: shownTransfers.length });
      set(transfers, shownTransfers.map((t) => renderTransfer(t, W)).join("\n"));
      transfers.show();
    } else transfers.hide();
    const histW = Math.max(10, W - usersW - (usersW ? 1 : 0));
    Object.assign(history, { top: 1, left: 0, width: histW, height: bodyH });
    if (usersW) {
      Object.assign(separator, { top: 1, left: histW, height: bodyH });
      Object.assign(users, { top: 1, left: histW + 1, width: usersW, height: bodyH });
      if (separatorH !== bodyH) ((separatorH = bodyH), (separatorText = Array(bodyH).fill(ascii ? "|" : "│").join("\n")));
      set(separator, separatorText);
      setUsers(s, usersW, bodyH);
    } else {
      separator.hide();
      users.hide();
    }
    composer.top = H - 1 - composerH;
    composer.height = composerH;
    status.top = H - 1;
    set(tabBar, renderTabs(tabs(s), W, ascii));

    const v = activeView(s);
    if (v) {
      const entries = historyEntries(s, v.chat.id);
      const opts = {
        hasOlder: v.hasOlder && v.loaded,
        loadingOlder: v.loadingOlder,
        hasNewer: v.hasNewer,
        selectedId: selectedMessage(s)?.id ?? selectedFileMessage(s)?.id ?? null,
        selectHint: selectedMessage(s) ? (selectedMessage(s)!.senderId === s.me?.id ? "r: reply · e: edit · d: delete · +: react · Esc: back" : "r: reply · d: delete · +: react · Esc: back") : undefined,
        ascii,
      };
      const anchor = scrollOf(s, v.chat.id);
      // Following the newest line, only the newest entries can be on screen (each is at least one
      // line): lay out from a message at least bodyH + 1 entries back (so day separators come out
      // as in the whole layout), and the whole window (up to WINDOW_MAX messages) only when a
      // command asks for it (scrolling, selecting).
      let from = anchor === null ? entries.length - bodyH - 1 : 0;
      while (from > 0 && entries[from]!.kind !== "message") from--;
      let laid: HistoryLine[];
      if (from > 0) {
        laid = layoutHistory(entries.slice(from), histW, opts);
        let whole: HistoryLine[] | null = null;
        lastLines = () => (whole ??= layoutHistory(entries, histW, opts));
      } else {
        laid = layoutHistory(entries, histW, opts);
        lastLines = () => laid;
      }
      const top = topIndex(laid, anchor, bodyH);
      const visible = laid.slice(top, top + bodyH);
      const marker = s.focus === "history" ? "{inverse} history {/inverse} " : "";
      const lines = visible.map((l) => l.text);
      if (marker && lines.length) lines[0] = marker + lines[0];
      const below = moreBelow(s);
      if (below && lines.length >= bodyH) {
        const news = below.unread > 0 ? ` · ${below.unread} new` : "";
        lines[lines.length - 1] = `{inverse} ${ascii ? "v" : "↓"} more below${news} · End: jump to the newest {/inverse}`;
      }
      if (!v.loaded && lines.length === 0) lines.push(paint("muted", "loading history…"));
      setHistory(lines);
    } else {
      lastLines = () => [];
      const head =
        s.conn.status === "online"
          ? paint("muted", "No open chats. Ctrl+K finds people and rooms; /join <room> joins one.")
          : paint("muted", `Connecting to ${escapeTags(s.conn.server)}…${s.conn.error ? ` (${escapeTags(sanitizeLine(s.conn.error))})` : ""}`);
      // Notices that arrived with no chat open (they have nowhere else to go).
      const notices = s.notices.slice(-(bodyH - 2)).map((n) => paint(n.level === "error" ? "error" : "info", `-!- ${escapeTags(sanitizeLine(n.text))}`));
      setHistory([head, "", ...notices]);
    }
    lastHeight = bodyH;
    set(composer, composerLines.join("\n"));
    set(status, statusLine(s, W));

    layoutQuestion();
    if (s.overlay === null) overlay.hide();
    else {
      overlay.show();
      overlay.width = Math.min(W - 2, s.overlay.kind === "help" ? 110 : s.overlay.kind === "results" ? 100 : 84);
      overlay.height = Math.min(H - 2, s.overlay.kind === "help" ? 40 : 18);
      if (s.overlay.kind === "help") {
        const lines = renderHelp((overlay.width as number) - 4).split("\n");
        const room = (overlay.height as number) - 2;
        const offset = Math.min(s.overlay.offset, Math.max(0, lines.length - room));
        const more = offset + room < lines.length;
        const shown = lines.slice(offset, offset + room);
        if (more && shown.length) shown[shown.length - 1] = paint("hint", "… more: Down or PgDn");
        set(overlay, shown.join("\n"));
      }
      else if (s.overlay.kind === "results") {
        set(overlay, renderResults(s, resultRows(s), { width: (overlay.width as number) - 4, height: (overlay.height as number) - 2 }));
      }
      else {
        const cands = switcherCandidates(s);
        set(overlay, renderSwitcher(s.overlay.query, cands, Math.min(s.overlay.selected, Math.max(0, cands.length - 1)), { width: (overlay.width as number) - 4, height: (overlay.height as number) - 2 }));
      }
      overlay.setFront();
    }
  }

  // blessed leaves stale cells behind when a row that held wide characters is redrawn with
  // other text (see README, "Terminals"); invalidating exactly those rows forces a clean rewrite.
  function invalidateWideRows() {
    const s = screen as unknown as { olines: [number, string][][]; lines: ([number, string][] & { dirty?: boolean })[] };
    for (const y of wideRows) {
      const o = s.olines[y];
      const l = s.lines[y];
      if (!o || !l) continue;
      for (let x = 0; x < o.length; x++) o[x] = [-1, "\u0000"];
      l.dirty = true;
    }
  }

  function recordWideRows() {
    // The row panes know their rows; only boxes drawn by blessed over them (login form, overlay,
    // question) can put other characters on screen, and then every cell is looked at.
    const rows = new Set<number>();
    for (const p of panes.values()) for (const y of p.wideRows()) rows.add(y);
    if (rowPanes && login.hidden && overlay.hidden && question.hidden) return void (wideRows = rows);
    const lines = (screen as unknown as { lines: [number, string][][] }).lines;
    lines.forEach((row, y) => {
      if (rows.has(y)) return;
      for (const cell of row) {
        const ch = cell[1];
        // Nothing below U+1100 is wide; above it, ask the (emoji-aware) width table.
        if (ch && ch.length > 0 && ch.charCodeAt(0) >= 0x1100 && charWidth(ch) > 1) {
          rows.add(y);
          break;
        }
      }
    });
    wideRows = rows;
  }

  const trace = createRenderTrace(opts.traceFile);

  function render() {
    const startedAt = performance.now();
    scheduled = null;
    lastRender = Date.now();
    layout(store.getState());
    if (!login.hidden || !overlay.hidden || !question.hidden) cellsTouched++;
    invalidateWideRows();
    screen.render();
    recordWideRows();
    resolvePaint();
    trace?.(startedAt);
  }

  function schedule() {
    if (scheduled) return;
    const wait = Math.max(0, FRAME_MS - (Date.now() - lastRender));
    scheduled = setTimeout(render, wait);
  }

  store.subscribe(schedule);
  screen.on("resize", () => {
    schedule();
  });
  render();

  return {
    screen,
    firstPaint,
    historyLayout: () => ({ lines: lastLines(), height: lastHeight }),
    ask(text, yes, no = () => {}) {
      asking = { text, yes, no };
      schedule();
    },
    answer(key) {
      if (!asking) return false;
      const command = resolveKey("confirm", key);
      const q = asking;
      if (command === "confirm.yes" || command === "confirm.no") {
        asking = null;
        schedule();
        (command === "confirm.yes" ? q.yes : q.no)();
      }
      return true;
    },
    redraw() {
      screen.realloc();
      render();
    },
    onPaste(handler) {
      pasteHandler = handler;
    },
    onNewline(handler) {
      newlineHandler = handler;
    },
    destroy() {
      if (scheduled) clearTimeout(scheduled);
      program.output.write(DISABLE_PASTE);
      stopPaste();
      screen.program.showCursor();
      screen.destroy();
    },
  };
}
