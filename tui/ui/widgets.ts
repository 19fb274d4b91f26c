// Widget content: pure functions from selector output to blessed-tagged text.
import { helpSections } from "../keys/keymap.js";
import { SLASH_COMMANDS } from "../../client/slash.js";
import { hiddenUnread, type Candidate, type Tab, type UserRow } from "../state/selectors.js";
import type { Composer, State, Transfer } from "../state/types.js";
import { formatBytes } from "../../server/protocol/names.js";
import { forScreen } from "./glyphs.js";
import { paint } from "./palette.js";
import { escapeTags, sanitizeLine } from "./sanitize.js";
import { padTo, strWidth, truncate, wrap } from "./text.js";

/** The tab bar: "1:#general  2:alice(3)  3:#dev(1)!" with the active tab inverse. */
export function renderTabs(tabs: Tab[], width: number, ascii = false): string {
  const parts: string[] = [];
  let used = 0;
  for (const t of tabs) {
    const count = t.unread > 0 ? `(${t.unread > 999 ? "999+" : t.unread})` : "";
    const label = `${t.index + 1}:${truncate(forScreen(ascii, sanitizeLine(t.label)), 20)}${count}${t.mention ? "!" : ""}`;
    const w = strWidth(label) + 2;
    if (used + w > width) {
      parts.push(paint("muted", ascii ? "." : "…"));
      break;
    }
    used += w;
    const text = escapeTags(label);
    if (t.active) parts.push(`{inverse}{bold} ${text} {/bold}{/inverse}`);
    else if (t.mention) parts.push(` {red-fg}{bold}${text}{/bold}{/red-fg} `);
    else if (t.unread > 0) parts.push(` {yellow-fg}{bold}${text}{/bold}{/yellow-fg} `);
    else parts.push(` ${text} `);
  }
  return parts.join("");
}

/** The users pane: a title, then people online first; offline dimmed; unread DMs counted. */
export function renderUsers(rows: UserRow[], opts: { width: number; height: number; cursor: number; focused: boolean; ascii?: boolean; summary?: { online: number; more: number } }): string {
  // A large server (protocol 2) says how many are online; the list holds the pages fetched so far.
  const more = opts.summary?.more ?? 0;
  const online = opts.summary?.online ?? rows.filter((r) => r.online).length;
  const title = padTo(more > 0 ? ` Users ${online} online` : ` Users ${online}/${rows.length}`, opts.width);
  const lines = [opts.focused ? `{inverse}${escapeTags(title)}{/inverse}` : `{bold}${escapeTags(title)}{/bold}`];
  const visible = Math.max(0, opts.height - 1);
  // Keep the cursor in view.
  const start = Math.max(0, Math.min(opts.cursor - visible + 1, rows.length - visible));
  rows.slice(start, start + visible).forEach((r, i) => {
    const unread = r.dmUnread > 0 ? ` (${r.dmUnread})` : "";
    const mark = opts.ascii ? (r.online ? "*" : "o") : r.online ? "●" : "○";
    const name = truncate(forScreen(opts.ascii, sanitizeLine(r.nick)), Math.max(3, opts.width - 3 - strWidth(unread)));
    let text = escapeTags(padTo(`${mark} ${name}${unread}`, opts.width));
    if (!r.online) text = paint("offline", text);
    else if (r.me) text = `{bold}${text}{/bold}`;
    else if (r.dmUnread > 0) text = `{yellow-fg}{bold}${text}{/bold}{/yellow-fg}`;
    if (opts.focused && start + i === opts.cursor) text = `{inverse}${text}{/inverse}`;
    lines.push(text);
  });
  if (more > 0 && visible > 0) {
    const tail = paint("offline", escapeTags(padTo(`  ${more} more`, opts.width)));
    if (lines.length > visible) lines[lines.length - 1] = tail;
    else lines.push(tail);
  }
  return lines.join("\n");
}

/** The input line with a drawn cursor, scrolled horizontally to keep the cursor visible. */
export function renderComposer(c: Composer, opts: { width: number; focused: boolean; prompt: string; ascii?: boolean }): string {
  const prompt = `${truncate(forScreen(opts.ascii, opts.prompt), 20)}> `;
  const room = Math.max(4, opts.width - strWidth(prompt) - 1);
  // One unit per grapheme cluster of what was typed, each shown as the screen can draw it
  // (in ASCII mode "д" is "<U+0434>", never "?"), so the cursor never splits a cluster.
  const units: { shown: string; width: number; at: number }[] = [];
  for (const { segment, index } of graphemes.segment(c.text)) {
    const shown = forScreen(opts.ascii, sanitizeLine(segment));
    units.push({ shown, width: strWidth(shown), at: index });
  }
  let cursor = units.findIndex((u) => u.at >= c.cursor);
  if (cursor < 0) cursor = units.length;
  units.push({ shown: " ", width: 1, at: c.text.length });
  let start = 0;
  let w = 0;
  for (let i = cursor; i > 0; i--) {
    w += units[i - 1]!.width;
    if (w > room - 1) {
      start = i;
      break;
    }
  }
  let out = "";
  let used = 0;
  for (let i = start; i < units.length; i++) {
    const u = units[i]!;
    if (used + u.width > room) break;
    used += u.width;
    const e = escapeTags(u.shown);
    out += i === cursor && opts.focused ? `{inverse}${e}{/inverse}` : e;
  }
  const promptTag = opts.focused ? `{bold}${escapeTags(prompt)}{/bold}` : paint("muted", escapeTags(prompt));
  return promptTag + out;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

const STATUS_LABEL: Record<State["conn"]["status"], string> = {
  online: "{green-fg}● online{/green-fg}",
  connecting: "{yellow-fg}◌ connecting{/yellow-fg}",
  reconnecting: "{yellow-fg}◌ reconnecting{/yellow-fg}",
  offline: "{red-fg}○ offline{/red-fg}",
};

/** The status bar: connection, server, nick, latency, what is queued, and a key hint. */
export function renderStatus(state: State, width: number): string {
  const c = state.conn;
  const attempt = c.status === "reconnecting" && c.attempt > 0 ? ` (attempt ${c.attempt})` : "";
  const rtt = c.status === "online" && c.rttMs !== null ? ` rtt ${c.rttMs} ms` : "";
  const queued = state.pending.length ? ` {yellow-fg}${state.pending.length} unsent{/yellow-fg}` : "";
  const focus = state.focus !== "input" ? ` [${state.focus}]` : "";
  const closed = hiddenUnread(state);
  const hidden = closed.unread > 0 ? ` {yellow-fg}${closed.unread} unread in ${closed.rooms} closed tab${closed.rooms > 1 ? "s" : ""} (Ctrl+K){/yellow-fg}` : "";
  const left = `${STATUS_LABEL[c.status]}${attempt} ${escapeTags(truncate(c.server, 30))} ${escapeTags(sanitizeLine(state.me?.nick ?? ""))}${rtt}${queued}${hidden}${focus}`;
  if (state.shutdown) {
    const secs = Math.max(0, Math.ceil((state.shutdown.at - state.now) / 1000));
    const text = `server shutting down ${secs > 0 ? `in ${secs} s` : "now"}: ${truncate(sanitizeLine(state.shutdown.reason), 40)}`;
    return `${left} {red-fg}{bold}${escapeTags(text)}{/bold}{/red-fg}`;
  }
  const plainLeft = left.replace(/\{[^}]*\}/g, "");
  // The login form has its own hints (F1 and Ctrl+K do nothing there).
  if (state.screen !== "chat") return left;
  for (const hint of ["F1 help · Ctrl+K switch · Ctrl+C quit", "F1 help"]) {
    const gap = width - strWidth(plainLeft) - hint.length - 1;
    if (gap > 1) return `${left}${" ".repeat(gap)}${paint("hint", hint)}`;
  }
  return left;
}

/**
 * The help overlay's lines for a window `width` cells wide, generated from the keymap; the
 * view shows a window of them (Up/Down/PgUp/PgDn scroll). Long descriptions wrap.
 */
export function renderHelp(width = 80): string {
  const lines: string[] = [];
  const item = (keys: string, text: string, keyW: number) => {
    const textW = Math.max(10, width - keyW - 4);
    const wrapped = wrap(text, textW);
    const keyLines = keys.length > keyW ? wrap(keys, keyW) : [keys];
    for (let i = 0; i < Math.max(wrapped.length, keyLines.length); i++) {
      lines.push(`  ${paint("accent", escapeTags(padTo(keyLines[i] ?? "", keyW)))}  ${escapeTags(wrapped[i] ?? "")}`);
    }
  };
  const sections = helpSections();
  const keyW = Math.min(Math.max(12, Math.floor(width / 3)), Math.max(...sections.flatMap((x) => x.rows.map((r) => r.keys.length))));
  lines.push("{bold}Keys{/bold}");
  for (const section of sections) {
    lines.push("", `{bold}${escapeTags(section.title)}{/bold}`);
    for (const r of section.rows) item(r.keys, r.text, keyW);
  }
  lines.push("", "{bold}Commands{/bold}");
  const usageW = Math.min(Math.floor(width / 2), Math.max(...SLASH_COMMANDS.map((x) => x.usage.length)));
  for (const c of SLASH_COMMANDS) {
    const aliases = c.aliases.length ? ` (${c.aliases.map((a) => `/${a}`).join(" ")})` : "";
    item(c.usage, c.help + aliases, usageW);
  }
  lines.push("");
  for (const l of wrap("Alt keys need Meta/Esc+ in your terminal; see the README. Esc closes this.", width)) lines.push(paint("hint", escapeTags(l)));
  return lines.join("\n");
}

export function renderSwitcher(query: string, candidates: Candidate[], selected: number, opts: { width: number; height: number }): string {
  const lines = [`{bold}Go to:{/bold} ${escapeTags(sanitizeLine(query))}{inverse} {/inverse}`, ""];
  const visible = Math.max(1, opts.height - 3);
  const start = Math.max(0, Math.min(selected - visible + 1, candidates.length - visible));
  if (candidates.length === 0) lines.push("{@muted}  nothing matches{/@muted}");
  candidates.slice(start, start + visible).forEach((c, i) => {
    const what = c.kind === "chat" ? "open" : c.kind === "user" ? (c.online ? "person, online" : "person") : "room, join";
    const label = padTo(`  ${sanitizeLine(c.label)}`, Math.max(10, opts.width - what.length - 4));
    const text = `${escapeTags(label)} {@muted}${what}{/@muted}`;
    lines.push(start + i === selected ? `{inverse}${text}{/inverse}` : text);
  });
  return lines.join("\n");
}

/** The login form for a box `width` cells wide: errors and hints wrap, nothing is cut off. */
export function renderLogin(state: State, width: number): string {
  const l = state.login;
  const w = Math.max(20, width);
  const field = (name: "nick" | "password", label: string, value: string) => {
    const active = l.field === name;
    const shown = padTo(value, Math.max(8, w - 12));
    const box = active ? `{inverse}${escapeTags(shown)}{/inverse}` : `{underline}${escapeTags(shown)}{/underline}`;
    return `${active ? "{bold}" : ""}${label.padStart(10)}${active ? "{/bold}" : ""}  ${box}`;
  };
  const wrapped = (text: string, style: (s: string) => string) => wrap(text, w).map((x) => style(escapeTags(x)));
  const message = l.busy ? [paint("warn", "Working…")] : l.error ? wrapped(sanitizeLine(l.error), (x) => paint("error", x)) : [""];
  // Hints wrap between items, never inside one.
  const hints: string[] = [];
  for (const hint of ["Enter: log in", "Ctrl+R: register this nick", "Tab: next field", "Esc: quit"]) {
    const last = hints.length - 1;
    if (last >= 0 && strWidth(hints[last]!) + 3 + strWidth(hint) <= w) hints[last] += `   ${hint}`;
    else hints.push(hint);
  }
  const lines = [
    "{bold}socket-messenger{/bold}",
    ...wrapped(`server ${state.conn.server}`, (x) => paint("muted", x)),
    "",
    field("nick", "Nick", sanitizeLine(l.nick)),
    "",
    field("password", "Password", "•".repeat([...l.password].length)),
    "",
    ...message,
    "",
    ...hints.map((h) => paint("hint", h)),
  ];
  return lines.join("\n");
}

const TRANSFER_LABEL: Record<Transfer["state"], string> = {
  hashing: "{yellow-fg}checking{/yellow-fg}",
  active: "",
  waiting: "{yellow-fg}offline: resumes when reconnected{/yellow-fg}",
  done: "{green-fg}done{/green-fg}",
  failed: "{red-fg}failed{/red-fg}",
  cancelled: "{@muted}cancelled{/@muted}",
};

/** One line per transfer: direction, name, a bar, bytes, rate, and how to cancel. */
export function renderTransfer(t: Transfer, width: number): string {
  const arrow = t.direction === "up" ? "↑" : "↓";
  const pct = t.total > 0 ? Math.min(1, t.bytes / t.total) : t.state === "done" ? 1 : 0;
  const figures = `${formatBytes(t.bytes)}/${formatBytes(t.total)}${t.state === "active" && t.rateBps > 0 ? ` ${formatBytes(Math.round(t.rateBps))}/s` : ""}`;
  const status = TRANSFER_LABEL[t.state];
  const statusPlain = status.replace(/\{[^}]*\}/g, "");
  const hint = t.state === "active" || t.state === "waiting" || t.state === "hashing" ? "Ctrl+X cancel" : "";
  const barW = Math.max(5, Math.min(30, Math.floor(width / 4)));
  const fixed = 2 + barW + 2 + 5 + figures.length + 1 + (statusPlain ? statusPlain.length + 1 : 0) + (hint ? hint.length + 1 : 0);
  const name = truncate(sanitizeLine(t.name), Math.max(4, Math.min(40, width - fixed - 1)));
  const filled = Math.round(pct * barW);
  const bar = `{cyan-fg}${"█".repeat(filled)}{/cyan-fg}{@muted}${"░".repeat(barW - filled)}{/@muted}`;
  const parts = [`${arrow} ${escapeTags(name)}`, bar, `${String(Math.floor(pct * 100)).padStart(3)}%`, escapeTags(figures)];
  if (status) parts.push(status);
  if (hint) parts.push(`{@muted}${hint}{/@muted}`);
  return parts.join(" ");
}

/** The most lines the input grows to (Alt+Enter adds lines); longer text scrolls inside it. */
export const COMPOSER_LINES = 6;

/**
 * The input line, or lines: a multi-line message shows each line (the prompt on the first, the
 * others indented), at most COMPOSER_LINES, those around the cursor.
 */
export function renderComposerLines(c: Composer, opts: { width: number; focused: boolean; prompt: string; ascii?: boolean }): string[] {
  if (!c.text.includes("\n")) return [renderComposer(c, opts)];
  const parts = c.text.split("\n");
  let offset = 0;
  const rows: string[] = [];
  const promptW = strWidth(`${truncate(forScreen(opts.ascii, opts.prompt), 20)}> `);
  let cursorRow = 0;
  parts.forEach((line, i) => {
    const start = offset;
    const end = offset + line.length;
    const here = c.cursor >= start && c.cursor <= end;
    if (here) cursorRow = i;
    const sub: Composer = { ...c, text: line, cursor: here ? c.cursor - start : -1 };
    const drawn = renderComposer(sub, { ...opts, focused: opts.focused && here, prompt: i === 0 ? opts.prompt : "" });
    // Lines after the first: the prompt's room as spaces, not a second "> ".
    rows.push(i === 0 ? drawn : " ".repeat(promptW) + drawn.replace(/^(\{bold\}> \{\/bold\}|\{@muted\}> \{\/@muted\})/, ""));
    offset = end + 1;
  });
  const first = Math.max(0, Math.min(cursorRow - COMPOSER_LINES + 1, rows.length - COMPOSER_LINES));
  return rows.slice(first, first + COMPOSER_LINES);
}

/** The banner above the input for a reply, edit or reaction being typed. */
export function renderIntent(s: State, width: number): string | null {
  const i = s.intent;
  if (!i) return null;
  const m = s.chats[i.chatId]?.messages.find((x) => x.id === i.messageId);
  const who = sanitizeLine(m?.sender ?? "?");
  const excerpt = sanitizeLine((m?.text ?? "").replace(/\s+/g, " "));
  const what = i.kind === "reply" ? `replying to ${who}: ${excerpt}` : i.kind === "edit" ? "editing your message · Enter: save" : `react to ${who}: ${excerpt} · type an emoji or :name:, Enter`;
  return paint("accent", escapeTags(truncate(`${what} · Esc: cancel`, width)));
}

/** Marks the [start, end) ranges of a line (search matches) in the match role. */
function marked(text: string, marks: [number, number][]): string {
  let out = "";
  let at = 0;
  for (const [a, b] of [...marks].sort((x, y) => x[0] - y[0])) {
    if (a < at || b <= a) continue;
    out += escapeTags(sanitizeLine(text.slice(at, a))) + paint("match", escapeTags(sanitizeLine(text.slice(a, b))));
    at = b;
  }
  return out + escapeTags(sanitizeLine(text.slice(at)));
}

/** The line of a message that holds its first match (or its first line), with marks moved onto it. */
export function matchingLine(text: string, marks: [number, number][]): { line: string; marks: [number, number][] } {
  const first = marks.length ? Math.min(...marks.map((m) => m[0])) : 0;
  const start = text.lastIndexOf("\n", first - 1) + 1;
  const endAt = text.indexOf("\n", first);
  const end = endAt < 0 ? text.length : endAt;
  const moved = marks.filter(([a, b]) => a >= start && b <= end).map(([a, b]): [number, number] => [a - start, b - start]);
  return { line: text.slice(start, end), marks: moved };
}

/** The search results or mentions window: chat, time, sender, the matching line with the words marked. */
export function renderResults(s: State, rows: { chatName: string; message: { text: string; sender: string; createdAt: string; deleted?: unknown }; marks: [number, number][]; read?: boolean }[], opts: { width: number; height: number }): string {
  if (s.overlay?.kind !== "results") return "";
  const search = s.overlay.source === "search";
  const status = search ? s.search : s.mentions;
  const title = search ? `Search: ${sanitizeLine(s.search?.query ?? "")}` : `Mentions${s.mentions ? ` (${s.mentions.unread} unread)` : ""}`;
  const out = [`{bold}${escapeTags(truncate(title, opts.width))}{/bold}`];
  if (status?.loading && rows.length === 0) out.push(paint("muted", "searching…"));
  else if (status?.error) out.push(paint("error", escapeTags(truncate(sanitizeLine(status.error), opts.width))));
  else if (rows.length === 0) out.push(paint("muted", search ? "No messages match." : "Nobody mentioned you."));
  const room = Math.max(1, opts.height - 2);
  const sel = Math.min(s.overlay.selected, Math.max(0, rows.length - 1));
  const first = Math.max(0, Math.min(sel - Math.floor(room / 2), rows.length - room));
  rows.slice(first, first + room).forEach((r, k) => {
    const i = first + k;
    const d = new Date(r.message.createdAt);
    const when = `${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")} ${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
    const head = `${truncate(sanitizeLine(r.chatName), 14)} ${when} <${truncate(sanitizeLine(r.message.sender), 12)}> `;
    const { line, marks } = r.message.deleted ? { line: "(deleted)", marks: [] } : matchingLine(r.message.text, r.marks);
    const cut = truncate(line, Math.max(4, opts.width - strWidth(head) - 2));
    const unread = r.read === false ? "* " : "";
    const text = `${unread}${escapeTags(head)}${marked(cut, marks.filter(([, b]) => b <= cut.length))}`;
    out.push(i === sel ? `{inverse}${text}{/inverse}` : text);
  });
  out.push(paint("hint", "Up/Down: move · Enter: jump to the message · Esc: close"));
  return out.join("\n");
}
