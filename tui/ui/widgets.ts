// Widget content: pure functions from selector output to blessed-tagged text.
import { helpRows } from "../keys/keymap.js";
import { SLASH_COMMANDS } from "../keys/slash.js";
import { hiddenUnread, type Candidate, type Tab, type UserRow } from "../state/selectors.js";
import type { Composer, State, Transfer } from "../state/types.js";
import { formatBytes } from "../../server/protocol/index.js";
import { escapeTags, sanitizeLine } from "./sanitize.js";
import { charWidth, padTo, strWidth, truncate } from "./text.js";

/** The tab bar: "1:#general  2:alice(3)  3:#dev(1)!" with the active tab inverse. */
export function renderTabs(tabs: Tab[], width: number): string {
  const parts: string[] = [];
  let used = 0;
  for (const t of tabs) {
    const count = t.unread > 0 ? `(${t.unread > 999 ? "999+" : t.unread})` : "";
    const label = `${t.index + 1}:${truncate(sanitizeLine(t.label), 20)}${count}${t.mention ? "!" : ""}`;
    const w = strWidth(label) + 2;
    if (used + w > width) {
      parts.push("{gray-fg}…{/gray-fg}");
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
export function renderUsers(rows: UserRow[], opts: { width: number; height: number; cursor: number; focused: boolean }): string {
  const online = rows.filter((r) => r.online).length;
  const title = padTo(` Users ${online}/${rows.length}`, opts.width);
  const lines = [opts.focused ? `{inverse}${escapeTags(title)}{/inverse}` : `{bold}${escapeTags(title)}{/bold}`];
  const visible = Math.max(0, opts.height - 1);
  // Keep the cursor in view.
  const start = Math.max(0, Math.min(opts.cursor - visible + 1, rows.length - visible));
  rows.slice(start, start + visible).forEach((r, i) => {
    const unread = r.dmUnread > 0 ? ` (${r.dmUnread})` : "";
    const mark = r.online ? "●" : "○";
    const name = truncate(sanitizeLine(r.nick), Math.max(3, opts.width - 3 - strWidth(unread)));
    let text = escapeTags(padTo(`${mark} ${name}${unread}`, opts.width));
    if (!r.online) text = `{gray-fg}${text}{/gray-fg}`;
    else if (r.me) text = `{bold}${text}{/bold}`;
    else if (r.dmUnread > 0) text = `{yellow-fg}{bold}${text}{/bold}{/yellow-fg}`;
    if (opts.focused && start + i === opts.cursor) text = `{inverse}${text}{/inverse}`;
    lines.push(text);
  });
  return lines.join("\n");
}

/** The input line with a drawn cursor, scrolled horizontally to keep the cursor visible. */
export function renderComposer(c: Composer, opts: { width: number; focused: boolean; prompt: string }): string {
  const prompt = `${truncate(opts.prompt, 20)}> `;
  const room = Math.max(4, opts.width - strWidth(prompt) - 1);
  const chars = [...sanitizeLine(c.text)];
  // The cursor index in code points.
  const cursor = [...c.text.slice(0, c.cursor)].length;
  let start = 0;
  let w = 0;
  for (let i = cursor; i > 0; i--) {
    w += charWidth(chars[i - 1] ?? " ");
    if (w > room - 1) {
      start = i;
      break;
    }
  }
  let out = "";
  let used = 0;
  for (let i = start; i <= chars.length; i++) {
    const ch = chars[i] ?? " ";
    const cw = charWidth(ch);
    if (used + cw > room) break;
    used += cw;
    const e = escapeTags(ch);
    out += i === cursor && opts.focused ? `{inverse}${e}{/inverse}` : e;
  }
  const promptTag = opts.focused ? `{bold}${escapeTags(prompt)}{/bold}` : `{gray-fg}${escapeTags(prompt)}{/gray-fg}`;
  return promptTag + out;
}

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
  for (const hint of ["F1 help · Ctrl+K switch · Ctrl+C quit", "F1 help"]) {
    const gap = width - strWidth(plainLeft) - hint.length - 1;
    if (gap > 1) return `${left}${" ".repeat(gap)}{gray-fg}${hint}{/gray-fg}`;
  }
  return left;
}

/** The help overlay's lines; the view shows a window of them (Up/Down/PgUp/PgDn scroll). */
export function renderHelp(): string {
  const rows = helpRows();
  const keyW = Math.min(28, Math.max(...rows.map((r) => r.keys.length)));
  const lines = ["{bold}Keys{/bold}", ...rows.map((r) => `  {cyan-fg}${escapeTags(padTo(r.keys, keyW))}{/cyan-fg}  ${escapeTags(r.text)}`), "", "{bold}Commands{/bold}"];
  const usageW = Math.max(...SLASH_COMMANDS.map((s) => s.usage.length));
  for (const s of SLASH_COMMANDS) {
    const aliases = s.aliases.length ? ` (${s.aliases.map((a) => `/${a}`).join(" ")})` : "";
    lines.push(`  {cyan-fg}${escapeTags(padTo(s.usage, usageW))}{/cyan-fg}  ${escapeTags(s.help + aliases)}`);
  }
  lines.push("", "{gray-fg}Alt keys need Meta/Esc+ in your terminal; see the README. Esc closes this.{/gray-fg}");
  return lines.join("\n");
}

export function renderSwitcher(query: string, candidates: Candidate[], selected: number, opts: { width: number; height: number }): string {
  const lines = [`{bold}Go to:{/bold} ${escapeTags(sanitizeLine(query))}{inverse} {/inverse}`, ""];
  const visible = Math.max(1, opts.height - 3);
  const start = Math.max(0, Math.min(selected - visible + 1, candidates.length - visible));
  if (candidates.length === 0) lines.push("{gray-fg}  nothing matches{/gray-fg}");
  candidates.slice(start, start + visible).forEach((c, i) => {
    const what = c.kind === "chat" ? "open" : c.kind === "user" ? (c.online ? "person, online" : "person") : "room, join";
    const label = padTo(`  ${sanitizeLine(c.label)}`, Math.max(10, opts.width - what.length - 4));
    const text = `${escapeTags(label)} {gray-fg}${what}{/gray-fg}`;
    lines.push(start + i === selected ? `{inverse}${text}{/inverse}` : text);
  });
  return lines.join("\n");
}

export function renderLogin(state: State, width: number): string {
  const l = state.login;
  const field = (name: "nick" | "password", label: string, value: string) => {
    const active = l.field === name;
    const shown = padTo(value, Math.max(10, width - 16));
    const box = active ? `{inverse}${escapeTags(shown)}{/inverse}` : `{underline}${escapeTags(shown)}{/underline}`;
    return `${active ? "{bold}" : ""}${label.padStart(10)}${active ? "{/bold}" : ""}  ${box}`;
  };
  const lines = [
    "{bold}socket-messenger{/bold}",
    `{gray-fg}server ${escapeTags(truncate(state.conn.server, width - 10))}{/gray-fg}`,
    "",
    field("nick", "Nick", sanitizeLine(l.nick)),
    "",
    field("password", "Password", "•".repeat([...l.password].length)),
    "",
    l.busy ? "{yellow-fg}Working…{/yellow-fg}" : l.error ? `{red-fg}${escapeTags(sanitizeLine(l.error))}{/red-fg}` : "",
    "",
    "{gray-fg}Enter: log in   Ctrl+R: register this nick   Tab: next field   Esc: quit{/gray-fg}",
  ];
  return lines.join("\n");
}

const TRANSFER_LABEL: Record<Transfer["state"], string> = {
  hashing: "{yellow-fg}checking{/yellow-fg}",
  active: "",
  waiting: "{yellow-fg}offline: resumes when reconnected{/yellow-fg}",
  done: "{green-fg}done{/green-fg}",
  failed: "{red-fg}failed{/red-fg}",
  cancelled: "{gray-fg}cancelled{/gray-fg}",
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
  const bar = `{cyan-fg}${"█".repeat(filled)}{/cyan-fg}{gray-fg}${"░".repeat(barW - filled)}{/gray-fg}`;
  const parts = [`${arrow} ${escapeTags(name)}`, bar, `${String(Math.floor(pct * 100)).padStart(3)}%`, escapeTags(figures)];
  if (status) parts.push(status);
  if (hint) parts.push(`{gray-fg}${hint}{/gray-fg}`);
  return parts.join(" ");
}
