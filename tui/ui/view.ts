// The view: blessed widgets laid out on one screen, rendered from state at most once a frame.
import { createRequire } from "node:module";
import type { Widgets } from "blessed";
import { activeView, historyEntries, moreBelow, scrollOf, selectedFileMessage, sortedUsers, switcherCandidates, tabs } from "../state/selectors.js";
import type { Store } from "../state/store.js";
import type { State } from "../state/types.js";
import { escapeTags, sanitizeLine } from "./sanitize.js";
import { charWidth, layoutHistory, topIndex, type HistoryLine } from "./text.js";
import { createRenderTrace } from "./trace.js";
import { renderComposer, renderHelp, renderLogin, renderStatus, renderSwitcher, renderTabs, renderTransfer, renderUsers } from "./widgets.js";

type Blessed = typeof import("blessed");

export interface View {
  readonly screen: Widgets.Screen;
  /** Lines of the active chat's history as laid out now, and the pane height (for scrolling). */
  historyLayout(): { lines: HistoryLine[]; height: number };
  redraw(): void;
  destroy(): void;
  /** Resolves after the first frame was written. */
  firstPaint: Promise<void>;
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

/**
 * Creates the screen with the settings these terminals need (see README, "Terminals"), on the
 * given streams. Nothing global is touched: two screens can live in one process.
 */
export function createScreen(terminal: TerminalStreams): Widgets.Screen {
  const env = terminal.env ?? {};
  const locale = `${env["LC_ALL"] ?? ""}${env["LC_CTYPE"] ?? ""}${env["LANG"] ?? ""}`;
  const utf8 = /utf-?8/i.test(locale);
  const blessed = createRequire(import.meta.url)("blessed") as Blessed;
  const screen = blessed.screen({
    input: terminal.input as never,
    output: terminal.output as never,
    terminal: terminal.term,
    forceUnicode: utf8,
    smartCSR: true,
    fullUnicode: true,
    autoPadding: false,
    warnings: false,
    title: "chat-tui",
    dockBorders: false,
  });
  // Unicode box characters instead of the alternate character set, which many SSH clients
  // and terminals show as letters (lqqk): per screen, what NCURSES_NO_UTF8_ACS=1 does globally.
  if (utf8) {
    const tput = (screen.program as unknown as { tput: { brokenACS: boolean; features?: { brokenACS: boolean } } }).tput;
    tput.brokenACS = true;
    if (tput.features) tput.features.brokenACS = true;
  }
  return screen;
}

export function createView(screen: Widgets.Screen, store: Store, opts: { traceFile?: string | undefined } = {}): View {
  const blessed = createRequire(import.meta.url)("blessed") as Blessed;
  const box = (o: Widgets.BoxOptions) => blessed.box({ tags: true, wrap: false, ...o });
  const tabBar = box({ top: 0, left: 0, height: 1, width: "100%", style: { bg: "blue", fg: "white" } });
  const history = box({ top: 1, left: 0, height: 10, width: 10 });
  const separator = box({ top: 1, height: 10, width: 1, style: { fg: "gray" } });
  const users = box({ top: 1, height: 10, width: 10 });
  const composer = box({ height: 1, left: 0, width: "100%" });
  const transfers = box({ height: 1, left: 0, width: "100%", hidden: true });
  const status = box({ height: 1, left: 0, width: "100%", style: { bg: "black", fg: "white" } });
  const login = box({ top: "center", left: "center", width: 60, height: 12, border: { type: "line" }, padding: { left: 1, right: 1 }, hidden: true });
  const overlay = box({ top: "center", left: "center", width: 70, height: 20, border: { type: "line" }, padding: { left: 1, right: 1 }, hidden: true, style: { border: { fg: "cyan" } } });
  for (const w of [tabBar, history, separator, users, transfers, composer, status, login, overlay]) screen.append(w);
  screen.program.hideCursor();

  let lastLines: HistoryLine[] = [];
  let lastHeight = 0;
  let scheduled: NodeJS.Timeout | null = null;
  let lastRender = 0;
  let wideRows = new Set<number>();
  let resolvePaint: () => void = () => {};
  const firstPaint = new Promise<void>((r) => (resolvePaint = r));

  function layout(s: State) {
    const W = screen.width as number;
    const H = screen.height as number;
    const chat = s.screen === "chat";
    for (const w of [tabBar, history, separator, users, composer, status]) chat ? w.show() : w.hide();
    if (!chat) transfers.hide();
    if (!chat) {
      login.show();
      login.width = Math.min(W - 2, 72);
      login.height = 14;
      login.setContent(renderLogin(s, (login.width as number) - 4));
      status.show();
      status.top = H - 1;
      status.setContent(renderStatus(s, W));
      return;
    }
    login.hide();
    const usersW = W >= 60 ? Math.min(24, Math.max(14, Math.floor(W * 0.2))) : 0;
    // Up to three transfers get a line each above the input line while they run.
    const shownTransfers = s.transfers.slice(-3);
    const bodyH = Math.max(1, H - 3 - shownTransfers.length);
    if (shownTransfers.length) {
      Object.assign(transfers, { top: 1 + bodyH, left: 0, width: W, height: shownTransfers.length });
      transfers.setContent(shownTransfers.map((t) => renderTransfer(t, W)).join("\n"));
      transfers.show();
    } else transfers.hide();
    const histW = Math.max(10, W - usersW - (usersW ? 1 : 0));
    Object.assign(history, { top: 1, left: 0, width: histW, height: bodyH });
    if (usersW) {
      Object.assign(separator, { top: 1, left: histW, height: bodyH });
      Object.assign(users, { top: 1, left: histW + 1, width: usersW, height: bodyH });
      separator.setContent(Array(bodyH).fill("│").join("\n"));
      users.setContent(renderUsers(sortedUsers(s), { width: usersW, height: bodyH, cursor: s.userCursor, focused: s.focus === "users" }));
    } else {
      separator.hide();
      users.hide();
    }
    composer.top = H - 2;
    status.top = H - 1;
    tabBar.setContent(renderTabs(tabs(s), W));

    const v = activeView(s);
    if (v) {
      lastLines = layoutHistory(historyEntries(s, v.chat.id), histW, {
        hasOlder: v.hasOlder && v.loaded,
        loadingOlder: v.loadingOlder,
        hasNewer: v.hasNewer,
        selectedId: selectedFileMessage(s)?.id ?? null,
      });
      const top = topIndex(lastLines, scrollOf(s, v.chat.id), bodyH);
      const visible = lastLines.slice(top, top + bodyH);
      const marker = s.focus === "history" ? "{inverse} history {/inverse} " : "";
      const lines = visible.map((l) => l.text);
      if (marker && lines.length) lines[0] = marker + lines[0];
      const below = moreBelow(s);
      if (below && lines.length >= bodyH) {
        const news = below.unread > 0 ? ` · ${below.unread} new` : "";
        lines[lines.length - 1] = `{inverse} ↓ more below${news} · End: jump to the newest {/inverse}`;
      }
      if (!v.loaded && lines.length === 0) lines.push("{gray-fg}loading history…{/gray-fg}");
      history.setContent(lines.join("\n"));
    } else {
      lastLines = [];
      const head =
        s.conn.status === "online"
          ? "{gray-fg}No open chats. Ctrl+K finds people and rooms; /join <room> joins one.{/gray-fg}"
          : `{gray-fg}Connecting to ${escapeTags(s.conn.server)}…${s.conn.error ? ` (${escapeTags(sanitizeLine(s.conn.error))})` : ""}{/gray-fg}`;
      // Notices that arrived with no chat open (they have nowhere else to go).
      const notices = s.notices.slice(-(bodyH - 2)).map((n) => `${n.level === "error" ? "{red-fg}" : "{cyan-fg}"}-!- ${escapeTags(sanitizeLine(n.text))}{/}`);
      history.setContent([head, "", ...notices].join("\n"));
    }
    lastHeight = bodyH;
    const prompt = v ? sanitizeLine(v.chat.kind === "room" ? `#${v.chat.name}` : v.chat.name) : "";
    composer.setContent(renderComposer(s.composer, { width: W, focused: s.focus === "input" && s.overlay === null, prompt }));
    status.setContent(renderStatus(s, W));

    if (s.overlay === null) overlay.hide();
    else {
      overlay.show();
      overlay.width = Math.min(W - 2, 84);
      overlay.height = Math.min(H - 2, s.overlay.kind === "help" ? 34 : 18);
      if (s.overlay.kind === "help") {
        const lines = renderHelp().split("\n");
        const room = (overlay.height as number) - 2;
        const offset = Math.min(s.overlay.offset, Math.max(0, lines.length - room));
        const more = offset + room < lines.length;
        const shown = lines.slice(offset, offset + room);
        if (more && shown.length) shown[shown.length - 1] = "{gray-fg}… more: Down or PgDn{/gray-fg}";
        overlay.setContent(shown.join("\n"));
      }
      else {
        const cands = switcherCandidates(s);
        overlay.setContent(renderSwitcher(s.overlay.query, cands, Math.min(s.overlay.selected, Math.max(0, cands.length - 1)), { width: (overlay.width as number) - 4, height: (overlay.height as number) - 2 }));
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
    const lines = (screen as unknown as { lines: [number, string][][] }).lines;
    const rows = new Set<number>();
    lines.forEach((row, y) => {
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
    historyLayout: () => ({ lines: lastLines, height: lastHeight }),
    redraw() {
      screen.realloc();
      render();
    },
    destroy() {
      if (scheduled) clearTimeout(scheduled);
      screen.program.showCursor();
      screen.destroy();
    },
  };
}
