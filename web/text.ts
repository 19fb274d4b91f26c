// Other users' text made safe to show: control and bidi-override characters removed, and only
// http(s) URLs become links. Everything is rendered as text nodes (never innerHTML).
import { INVISIBLE_CHARS } from "../server/protocol/index.js";

// C0 controls but tab and newline, DEL and C1 controls (ESC sequences, terminal tricks).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Text as it is shown: no control characters, no bidi embeddings, overrides or isolates. */
export const clean = (text: string) => text.replace(CONTROL, "").replace(INVISIBLE_CHARS, "");

export type Segment = { text: string; href?: string; mention?: boolean };

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]}]/gi;

/** A link only when the URL parses as http or https (never javascript:, data: or the like). */
function safeHref(raw: string): string | null {
  try {
    const u = new URL(raw);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

/** Splits a message into plain text, links and mentions of `me`. */
export function segments(text: string, me: string | null): Segment[] {
  const t = clean(text);
  const out: Segment[] = [];
  let last = 0;
  for (const m of t.matchAll(URL_RE)) {
    const at = m.index ?? 0;
    if (at > last) out.push(...mentions(t.slice(last, at), me));
    const href = safeHref(m[0]);
    out.push(href ? { text: m[0], href } : { text: m[0] });
    last = at + m[0].length;
  }
  if (last < t.length) out.push(...mentions(t.slice(last), me));
  return out;
}

function mentions(text: string, me: string | null): Segment[] {
  if (!me) return [{ text }];
  const esc = me.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`(^|[^\\p{L}\\p{N}_])(@?${esc})(?![\\p{L}\\p{N}_])`, "giu");
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(re)) {
    const at = (m.index ?? 0) + (m[1]?.length ?? 0);
    if (at > last) out.push({ text: text.slice(last, at) });
    out.push({ text: m[2] ?? "", mention: true });
    last = at + (m[2]?.length ?? 0);
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/** A stable colour class for a nick (eight hues that read in dark and light mode). */
export function nickClass(nick: string): string {
  let h = 0;
  for (const ch of nick.toLowerCase()) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return `n${h % 8}`;
}

export const hhmm = (iso: string) => {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
};
