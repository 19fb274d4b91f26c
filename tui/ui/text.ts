// Display width and wrapping with blessed's own width table (so layout matches what it draws),
// and the history layout: entries -> screen lines, plus scroll anchors over those lines.
import { createRequire } from "node:module";
// names.js, not index.js: the index also loads the zod schemas (about 8 MiB of RSS).
import { formatBytes } from "../../server/protocol/names.js";
import type { MessageDto } from "../../server/protocol/index.js";
import type { HistoryEntry } from "../state/selectors.js";
import type { ScrollAnchor } from "../state/types.js";
import { forScreen } from "./glyphs.js";
import { close, open, paint } from "./palette.js";
import { escapeTags, sanitizeLine } from "./sanitize.js";

type Unicode = {
  charWidth(str: string | number, i?: number): number;
  codePointAt(str: string, i: number): number;
  chars: { all: RegExp; wide: RegExp };
};
const unicode = (createRequire(import.meta.url)("blessed") as { unicode: Unicode }).unicode;

/**
 * blessed 0.1.81 counts emoji (Emoji_Presentation, e.g. 😀 ✅) as one cell, but terminals draw
 * them two cells wide, so everything after an emoji on a line shifts right. Teach its width
 * table and its "wide character" pattern about them, once: blessed then pads them like CJK.
 */
function patchEmojiWidths(u: Unicode): void {
  if ((u as { emojiPatched?: boolean }).emojiPatched) return;
  const isEmoji = /\p{Emoji_Presentation}/u;
  const bmp: string[] = [];
  const astral = new Map<number, number[]>();
  for (let cp = 0x2000; cp <= 0x2bff; cp++) if (isEmoji.test(String.fromCodePoint(cp))) bmp.push(`\\u${cp.toString(16).padStart(4, "0")}`);
  for (let cp = 0x1f000; cp <= 0x1faff; cp++) {
    if (!isEmoji.test(String.fromCodePoint(cp))) continue;
    const s = String.fromCodePoint(cp);
    const hi = s.charCodeAt(0);
    const list = astral.get(hi) ?? [];
    list.push(s.charCodeAt(1));
    astral.set(hi, list);
  }
  const hex = (n: number) => `\\u${n.toString(16)}`;
  const pairs = [...astral].map(([hi, los]) => `${hex(hi)}[${los.map(hex).join("")}]`);
  const emoji = [...pairs, `[${bmp.join("")}]`].join("|");
  // Non-unicode-mode pattern, like blessed's own: matches surrogate pairs explicitly.
  u.chars.all = new RegExp(`(${emoji}|${u.chars.all.source.slice(1, -1)})`, "g");
  const original = u.charWidth.bind(u);
  u.charWidth = (str: string | number, i = 0) => {
    // blessed asks for every cell it draws in fullUnicode mode: printable ASCII is one cell.
    const c0 = typeof str === "number" ? str : str.charCodeAt(i);
    if (c0 >= 0x20 && c0 < 0x7f) return 1;
    const cp = typeof str === "number" ? str : u.codePointAt(str, i);
    if ((cp >= 0x1f000 && cp <= 0x1faff) || (cp >= 0x2000 && cp <= 0x2bff)) {
      if (isEmoji.test(String.fromCodePoint(cp))) return 2;
    }
    return original(str, i);
  };
  (u as { emojiPatched?: boolean }).emojiPatched = true;
}
patchEmojiWidths(unicode);

/** Width in terminal cells of one code point. */
export function charWidth(ch: string): number {
  // Printable ASCII is one cell: most text is, and blessed's table lookup is the costly part of a frame.
  const c = ch.charCodeAt(0);
  if (ch.length === 1 && c >= 0x20 && c < 0x7f) return 1;
  return unicode.charWidth(ch, 0);
}

/** True when every character is printable ASCII (one cell each: width = length). */
function printableAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

export function strWidth(text: string): number {
  if (printableAscii(text)) return text.length;
  let w = 0;
  for (const ch of text) w += charWidth(ch);
  return w;
}

export const hasWide = (text: string): boolean => {
  if (printableAscii(text)) return false;
  for (const ch of text) if (charWidth(ch) > 1) return true;
  return false;
};

/** Cuts text to at most `width` cells. */
export function truncate(text: string, width: number, ellipsis = "…"): string {
  if (printableAscii(text)) return text.length <= width ? text : text.slice(0, Math.max(0, width - 1)) + ellipsis;
  if (strWidth(text) <= width) return text;
  let out = "";
  let w = 0;
  for (const ch of text) {
    const cw = charWidth(ch);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + ellipsis;
}

/** Pads with spaces to exactly `width` cells (truncating when longer). */
export function padTo(text: string, width: number): string {
  const t = truncate(text, width, "");
  return t + " ".repeat(Math.max(0, width - strWidth(t)));
}

/** Wraps at spaces when it can, hard-breaks long words, never splits a wide character. */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const lines: string[] = [];
  let line = "";
  let lineW = 0;
  let lastSpace = -1; // index in `line` after the last space
  let widthAtSpace = 0;
  for (const ch of text) {
    const cw = charWidth(ch);
    if (lineW + cw > w) {
      if (lastSpace > 0 && ch !== " ") {
        lines.push(line.slice(0, lastSpace).trimEnd());
        line = line.slice(lastSpace);
        lineW -= widthAtSpace;
      } else {
        lines.push(line.trimEnd());
        line = "";
        lineW = 0;
      }
      lastSpace = -1;
      if (ch === " " && line === "") continue;
    }
    line += ch;
    lineW += cw;
    if (ch === " ") {
      lastSpace = line.length;
      widthAtSpace = lineW;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/** One screen line of the history; `key` ties it to a message id for scroll anchors. */
export type HistoryLine = { text: string; messageId: number | null; wide: boolean };

const NICK_COLOURS = ["cyan", "green", "yellow", "magenta", "blue", "red"] as const;
export function nickColour(nick: string): string {
  let h = 0;
  for (const ch of nick.toLowerCase()) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return NICK_COLOURS[h % NICK_COLOURS.length]!;
}

/** A nick in its colour; one's own nick bold in the default colour (readable on any theme). */
const nickTagged = (shown: string, nick: string, own: boolean): string =>
  own ? paint("own", escapeTags(shown)) : `{${nickColour(nick)}-fg}${escapeTags(shown)}{/${nickColour(nick)}-fg}`;

const pad2 = (n: number) => String(n).padStart(2, "0");
export const clock = (d: Date) => `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
const dayKey = (d: Date) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
const DAY_FMT = new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric" });

function block(prefixPlain: string, prefixTagged: string, body: string, width: number, bodyStyle: (s: string) => string): { text: string; wide: boolean }[] {
  const indent = prefixPlain.length <= width / 2 ? strWidth(prefixPlain) : 2;
  const firstWidth = width - strWidth(prefixPlain);
  const out: { text: string; wide: boolean }[] = [];
  const parts = firstWidth >= 10 ? wrap(body, firstWidth) : [];
  const first = parts.shift();
  if (first === undefined) {
    out.push({ text: prefixTagged, wide: hasWide(prefixPlain) });
    for (const l of wrap(body, width - indent)) out.push({ text: " ".repeat(indent) + bodyStyle(escapeTags(l)), wide: hasWide(l) });
    return out;
  }
  out.push({ text: prefixTagged + bodyStyle(escapeTags(first)), wide: hasWide(prefixPlain + first) });
  const rest = parts.join(" ");
  if (rest) for (const l of wrap(rest, width - indent)) out.push({ text: " ".repeat(indent) + bodyStyle(escapeTags(l)), wide: hasWide(l) });
  return out;
}

/** Tags removed: what the line shows (for measuring). */
const stripTags = (s: string) => s.replace(/\{\/?[^{}]*\}/g, "");

/** Cuts a line into pieces of at most `width` cells without looking for spaces (code keeps its shape). */
export function hardWrap(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const out: string[] = [];
  let line = "";
  let lineW = 0;
  for (const ch of text) {
    const cw = charWidth(ch);
    if (lineW + cw > w && line) {
      out.push(line);
      line = "";
      lineW = 0;
    }
    line += ch;
    lineW += cw;
  }
  out.push(line);
  return out;
}

/** A message's text as blocks: plain lines and ``` fenced code (an unclosed fence runs to the end). */
export function textBlocks(text: string): { code: boolean; fence: boolean; lines: string[] }[] {
  const out: { code: boolean; fence: boolean; lines: string[] }[] = [];
  let cur: { code: boolean; fence: boolean; lines: string[] } | null = null;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (/^\s*```/.test(line)) {
      if (cur?.code) cur = null;
      else {
        cur = { code: true, fence: true, lines: [] };
        out.push(cur);
      }
      continue;
    }
    if (!cur || cur.code !== false) {
      if (cur?.code) {
        cur.lines.push(line);
        continue;
      }
      cur = { code: false, fence: false, lines: [] };
      out.push(cur);
    }
    cur.lines.push(line);
  }
  return out.filter((b) => b.lines.length > 0 || b.code);
}

const cache = new WeakMap<MessageDto, { width: number; own: boolean; ascii: boolean; lines: { text: string; wide: boolean }[] }>();

function messageLines(m: MessageDto, own: boolean, width: number, ascii: boolean): { text: string; wide: boolean }[] {
  const hit = cache.get(m);
  if (hit && hit.width === width && hit.own === own && hit.ascii === ascii) return hit.lines;
  const time = clock(new Date(m.createdAt));
  const show = (s: string) => forScreen(ascii, sanitizeLine(s));
  const nick = show(m.sender);
  const ts = paint("timestamp", time);
  let lines: { text: string; wide: boolean }[];
  if (m.kind === "text") {
    const nickTag = nickTagged(nick, m.sender, own);
    const prefix = `${time} <${nick}> `;
    const indent = prefix.length <= width / 2 ? strWidth(prefix) : 2;
    const pad = " ".repeat(indent);
    lines = [];
    if (m.replyTo) {
      // The message replied to, one line above: "┌ bob: the excerpt" (the server sends the excerpt).
      const q = m.replyTo;
      const quote = truncate(`${show(q.sender)}: ${q.deleted ? "(message deleted)" : show(q.excerpt.replace(/\s+/g, " "))}`, Math.max(4, width - indent - 2));
      lines.push({ text: pad + paint("muted", `┌ ${escapeTags(quote)}`), wide: hasWide(quote) });
    }
    if (m.deleted) {
      lines.push(...block(prefix, `${ts} <${nickTag}> `, `message deleted by ${show(m.deleted.by)}`, width, (s) => paint("muted", s)));
    } else {
      const style = own ? (s: string) => `{bold}${s}{/bold}` : (s: string) => s;
      const [first, ...more] = textBlocks(m.text);
      const head = first && !first.code ? first.lines : [""];
      const rest = first && !first.code ? more : first ? [first, ...more] : [];
      // A multi-line message keeps its lines, each under the first; code blocks are never reflowed.
      const [h0 = "", ...hRest] = head.map(show);
      lines.push(...block(prefix, `${ts} <${nickTag}> `, h0, width, style));
      for (const line of hRest) for (const part of wrap(line, width - indent)) lines.push({ text: pad + style(escapeTags(part)), wide: hasWide(part) });
      for (const b of rest) {
        for (const raw of b.lines) {
          const line = show(raw);
          const parts = b.code ? hardWrap(line, width - indent - 2) : wrap(line, width - indent);
          for (const part of parts) lines.push({ text: pad + (b.code ? paint("code", `${b.fence ? "│" : "│"} ${escapeTags(part)}`) : style(escapeTags(part))), wide: hasWide(part) });
        }
      }
      if (m.editedAt) {
        const last = lines[lines.length - 1]!;
        const mark = paint("muted", "(edited)");
        if (strWidth(stripTags(last.text)) + 9 <= width) last.text = `${last.text} ${mark}`;
        else lines.push({ text: pad + mark, wide: false });
      }
    }
    if (m.reactions?.length && !m.deleted) {
      // "👍 3  🎉 1" under the message; emoji made safe to measure like any other text.
      const row = m.reactions.map((r) => `${show(r.emoji)} ${r.count}`).join("  ");
      for (const part of wrap(row, width - indent)) lines.push({ text: pad + paint("accent", escapeTags(part)), wide: hasWide(part) });
    }
  } else if (m.kind === "file") {
    const name = show(m.file?.name ?? m.text);
    const what = m.file ? `${name} (${formatBytes(m.file.size)})` : `${name} (no longer available)`;
    const id = m.file ? ` #${m.file.id}` : "";
    lines = block(`${time} <${nick}> [file${id}] `, `${ts} <${nickTagged(nick, m.sender, own)}> ${paint("file", `[file${id}]`)} `, what, width, (s) => `{underline}${s}{/underline}`);
  } else {
    const verb = m.kind === "join" ? "joined" : "left";
    const arrow = m.kind === "join" ? "-->" : "<--";
    lines = block(`${time} ${arrow} `, `${ts} ${paint(m.kind === "join" ? "ok" : "error", arrow)} `, `${nick} ${verb}`, width, (s) => paint("system", s));
  }
  cache.set(m, { width, own, ascii, lines });
  return lines;
}

/** The day a message was sent on (local time), per message: every frame lays out the newest ones again. */
const days = new WeakMap<MessageDto, { at: string; day: string }>();
function dayOf(m: MessageDto): string {
  const hit = days.get(m);
  if (hit && hit.at === m.createdAt) return hit.day;
  const day = dayKey(new Date(m.createdAt));
  days.set(m, { at: m.createdAt, day });
  return day;
}

/**
 * A message's history lines (mention role applied), kept with messageLines' own lines: the same
 * objects frame after frame, so a frame lays out the newest messages without making new lines.
 * Callers never change them (a selection copies).
 */
const laidCache = new WeakMap<{ text: string; wide: boolean }[], { mention: boolean; laid: HistoryLine[] }>();
function laidLines(m: MessageDto, own: boolean, width: number, ascii: boolean, mention: boolean): readonly HistoryLine[] {
  const lines = messageLines(m, own, width, ascii);
  const hit = laidCache.get(lines);
  if (hit && hit.mention === mention) return hit.laid;
  // A line that names the user stands out (the palette's mention role; its own colours still apply inside).
  const laid = lines.map((l) => ({ text: mention ? paint("mention", l.text) : l.text, messageId: m.id, wide: l.wide }));
  laidCache.set(lines, { mention, laid });
  return laid;
}

/** Lays out history entries for a pane `width` cells wide, with day separators. */
export function layoutHistory(
  entries: HistoryEntry[],
  width: number,
  opts: { hasOlder: boolean; loadingOlder: boolean; hasNewer: boolean; selectedId?: number | null; ascii?: boolean; selectHint?: string | null },
): HistoryLine[] {
  const out: HistoryLine[] = [];
  const ascii = opts.ascii ?? false;
  if (opts.hasOlder) {
    const text = opts.loadingOlder ? "··· loading older messages ···" : "··· older messages: PgUp ···";
    out.push({ text: paint("muted", forScreen(ascii, text)), messageId: null, wide: false });
  }
  let lastDay = "";
  let lastMessageId: number | null = null;
  for (const e of entries) {
    if (e.kind === "message") {
      const day = dayOf(e.message);
      lastMessageId = e.message.id;
      if (day !== lastDay) {
        const d = new Date(e.message.createdAt);
        if (lastDay !== "" || !opts.hasOlder) {
          const label = ` ${DAY_FMT.format(d)} `;
          const side = Math.max(2, Math.floor((width - strWidth(label)) / 2));
          const rule = ascii ? "-" : "─";
          out.push({ text: paint("separator", `${rule.repeat(side)}${label}${rule.repeat(Math.max(0, width - side - strWidth(label)))}`), messageId: e.message.id, wide: false });
        }
        lastDay = day;
      }
      const selected = opts.selectedId === e.message.id;
      const laid = laidLines(e.message, e.own, width, ascii, e.mention === true);
      if (selected) for (const l of laid) out.push({ ...l, text: `{inverse}${l.text}{/inverse}` });
      else for (const l of laid) out.push(l);
      // The hint under a selection: the file keys (Ctrl+O), the message keys, or none (a jump target).
      const hint = opts.selectHint === undefined ? "Enter or d: download · f/F: older/newer file · Esc: back" : opts.selectHint;
      if (selected && hint) out.push({ text: `{inverse} ${escapeTags(hint)} {/inverse}`, messageId: e.message.id, wide: false });
    } else if (e.kind === "marker") {
      // Where the unread messages start: "──── new messages ────" across the pane.
      const label = " new messages ";
      const side = Math.max(2, Math.floor((width - label.length) / 2));
      const rule = ascii ? "-" : "─";
      out.push({ text: paint("warn", `${rule.repeat(side)}${label}${rule.repeat(Math.max(0, width - side - label.length))}`), messageId: lastMessageId, wide: false });
    } else if (e.kind === "local") {
      const role = e.line.level === "error" ? "error" : "info";
      for (const l of block(`${clock(new Date(e.line.at))} -!- `, `${paint("timestamp", clock(new Date(e.line.at)))} ${paint(role, "-!-")} `, forScreen(ascii, sanitizeLine(e.line.text)), width, (s) => paint(role, s))) {
        out.push({ text: l.text, messageId: lastMessageId, wide: l.wide });
      }
    } else {
      const p = e.pending;
      const label = p.state === "queued" ? "(queued until reconnected)" : "(sending)";
      for (const l of block(`${clock(new Date(p.at))} ~ `, `${open("muted")}${clock(new Date(p.at))} ~ `, `${forScreen(ascii, sanitizeLine(p.text))} ${label}`, width, (s) => `${s}${close("muted")}`)) {
        out.push({ text: l.text.endsWith(close("muted")) ? l.text : `${l.text}${close("muted")}`, messageId: lastMessageId, wide: l.wide });
      }
    }
  }
  if (opts.hasNewer) out.push({ text: paint("muted", forScreen(ascii, "··· newer messages: PgDn or End ···")), messageId: null, wide: false });
  return out;
}

/** Index of the top visible line for an anchor (null: the bottom). */
export function topIndex(lines: HistoryLine[], anchor: ScrollAnchor, height: number): number {
  const maxTop = Math.max(0, lines.length - height);
  if (anchor === null) return maxTop;
  const first = lines.findIndex((l) => l.messageId !== null && l.messageId >= anchor.id);
  if (first < 0) return maxTop;
  const exact = lines[first]?.messageId === anchor.id;
  return Math.max(0, Math.min(maxTop, first + (exact ? anchor.line : 0)));
}

/** Moves the view by `delta` lines; returns the new anchor and whether the top is reached. */
export function moveAnchor(lines: HistoryLine[], anchor: ScrollAnchor, delta: number, height: number): { anchor: ScrollAnchor; atTop: boolean; atBottom: boolean } {
  const maxTop = Math.max(0, lines.length - height);
  const top = Math.max(0, Math.min(maxTop, topIndex(lines, anchor, height) + delta));
  if (top >= maxTop) return { anchor: null, atTop: top === 0, atBottom: true };
  return { anchor: anchorAt(lines, top), atTop: top === 0, atBottom: false };
}

/** The anchor that keeps line `top` at the top of the view. */
export function anchorAt(lines: HistoryLine[], top: number): ScrollAnchor {
  // Anchor to the first message line at or after top, so an anchor always names a message.
  for (let i = top; i < lines.length; i++) {
    const id = lines[i]?.messageId;
    if (id !== null && id !== undefined) {
      const first = lines.findIndex((l) => l.messageId === id);
      return { id, line: top - first };
    }
  }
  return null;
}
