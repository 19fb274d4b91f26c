// Pure text rules of conversations: @mentions in a message, search query syntax, match marks.
import { foldKey } from "../protocol/index.js";

/** Words as PostgreSQL's default text-search parser sees them, near enough: letters and digits. */
const WORD = /[\p{L}\p{M}\p{N}]+/gu;
// A nick is letters, marks, digits, "_" and "-" (see NICK_RE); the @ must not follow a word character.
const MENTION = /(?<![\p{L}\p{M}\p{N}_@-])@([\p{L}][\p{L}\p{M}\p{N}_-]{0,23})/gu;

/** Folded nicks mentioned as @nick, and whether @room or @here was written. */
export function parseMentions(text: string): { nickKeys: string[]; everyone: boolean } {
  const keys = new Set<string>();
  let everyone = false;
  for (const m of text.matchAll(MENTION)) {
    const key = foldKey(m[1]!);
    if (key === "room" || key === "here") everyone = true;
    else keys.add(key);
  }
  return { nickKeys: [...keys], everyone };
}

export type ParsedSearch = { words: string[]; phrases: string[]; from: string | null; room: string | null };

/**
 * Splits a search: "quoted phrases", from:nick, in:#room (or in:room), and words. Every word and
 * phrase must match; words are cut as the database cuts them, so punctuation never matters.
 */
export function parseSearch(query: string): ParsedSearch {
  const phrases: string[] = [];
  let from: string | null = null;
  let room: string | null = null;
  const rest = query.replace(/"([^"]*)"?/g, (_, p: string) => {
    const words = p.match(WORD);
    if (words && words.length > 1) phrases.push(words.join(" "));
    else if (words) return ` ${words[0]} `;
    return " ";
  });
  const words: string[] = [];
  for (const token of rest.split(/\s+/)) {
    const f = /^from:@?(.+)$/i.exec(token);
    if (f) {
      from = f[1]!;
      continue;
    }
    const i = /^in:#?(.+)$/i.exec(token);
    if (i) {
      room = i[1]!;
      continue;
    }
    for (const w of token.match(WORD) ?? []) words.push(w.toLowerCase());
  }
  return { words: [...new Set(words)], phrases, from, room };
}

/** [start, end) UTF-16 ranges of the words of `text` that are among the searched words or phrases. */
export function matchMarks(text: string, search: Pick<ParsedSearch, "words" | "phrases">): [number, number][] {
  const wanted = new Set([...search.words, ...search.phrases.flatMap((p) => p.match(WORD) ?? [])].map((w) => w.toLowerCase()));
  const marks: [number, number][] = [];
  for (const m of text.matchAll(WORD)) {
    if (wanted.has(m[0].toLowerCase())) marks.push([m.index, m.index + m[0].length]);
  }
  return marks;
}
