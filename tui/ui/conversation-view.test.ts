// How replies, edits, tombstones, reactions, code blocks, the multi-line input and the
// results window are drawn; and the UI state of selections and intents.
import test from "ava";
import { loggedIn, msg, run } from "../state/fixtures.js";
import { selectedMessage } from "../state/selectors.js";
import { layoutHistory, textBlocks } from "./text.js";
import { matchingLine, renderComposerLines, renderResults } from "./widgets.js";

const plain = (s: string) => s.replace(/\{\/?[^{}]*\}/g, "");
const lines = (m: ReturnType<typeof msg>, width = 60) => layoutHistory([{ kind: "message", message: m, own: false }], width, { hasOlder: false, loadingOlder: false, hasNewer: false }).slice(1).map((l) => plain(l.text));

test("a reply has a one-line quote above it; an edit is marked; a tombstone replaces the text; reactions go under it", (t) => {
  const m = msg(2, 1, 2, "sure, after lunch", { replyTo: { id: 1, sender: "bob", excerpt: "lunch?\nat noon", deleted: false }, editedAt: "2026-11-21T10:05:00.000Z", reactions: [{ emoji: "👍", count: 3, nicks: [] }, { emoji: "🎉", count: 1, nicks: [] }] });
  const out = lines(m);
  t.regex(out[0]!, /^\s+┌ bob: lunch\? at noon$/);
  t.regex(out[1]!, /<u2> sure, after lunch \(edited\)$/);
  t.regex(out[2]!, /^\s+👍 3  🎉 1$/);
  const gone = lines(msg(3, 1, 2, "", { deleted: { by: "carol", at: "2026-11-21T10:06:00.000Z" }, reactions: [{ emoji: "👍", count: 1, nicks: [] }] }));
  t.deepEqual(gone.length, 1);
  t.regex(gone[0]!, /<u2> message deleted by carol$/);
  const quoteOfDeleted = lines(msg(4, 1, 2, "ok", { replyTo: { id: 3, sender: "u2", excerpt: "", deleted: true } }));
  t.regex(quoteOfDeleted[0]!, /┌ u2: \(message deleted\)/);
});

test("fenced code is a block in the code role, cut at the edge but never re-wrapped at spaces; hostile text stays text", (t) => {
  t.deepEqual(textBlocks("a\n```\nx y\n```\nb").map((b) => [b.code, b.lines]), [[false, ["a"]], [true, ["x y"]], [false, ["b"]]]);
  const long = "const value = compute(alpha, beta, gamma, delta, epsilon);";
  const m = msg(5, 1, 2, `see:\n\`\`\`\n${long}\n\`\`\``);
  const raw = layoutHistory([{ kind: "message", message: m, own: false }], 40, { hasOlder: false, loadingOlder: false, hasNewer: false }).slice(1);
  t.true(raw[1]!.text.includes("{@code}"));
  const out = raw.map((l) => plain(l.text));
  t.regex(out[0]!, /<u2> see:$/);
  // Cut at the pane's edge (14 of indent + "│ "), continued on the next line: joined back it is the line.
  const code = out.slice(1).map((l) => l.replace(/^\s+│ /, ""));
  t.is(code.join(""), long);
  t.true(code.length >= 2);
  const evil = layoutHistory([{ kind: "message", message: msg(6, 1, 2, "```\n{red-fg}x\x1b[2J\n```"), own: false }], 60, { hasOlder: false, loadingOlder: false, hasNewer: false }).map((l) => l.text).join("\n");
  t.false(evil.includes("\x1b"));
  // The braces are escaped: blessed draws them, it does not take them as a colour.
  t.false(evil.includes("{red-fg}x"));
});

test("the input grows with Alt+Enter lines up to six; selection and intents are UI state", (t) => {
  const c = { text: "a\nb\nc\nd\ne\nf\ng\nh", cursor: 15, history: [], historyIndex: null, draft: "", completion: null };
  const rows = renderComposerLines(c, { width: 40, focused: true, prompt: "#general" });
  t.is(rows.length, 6);
  t.regex(plain(rows.at(-1)!), /^\s+h/);
  let s = run(loggedIn(), { type: "message.received", message: msg(7, 1, 2, "hi") });
  s = run(s, { type: "message.select", chatId: 1, messageId: 7 });
  t.is(selectedMessage(s)?.id, 7);
  // Another tab in front: the selection does not apply there.
  t.is(selectedMessage(run(s, { type: "tab.goto", index: 1 })), null);
  s = run(s, { type: "composer.set", text: "ab" }, { type: "composer.move", to: "left" }, { type: "composer.newline" });
  t.is(s.composer.text, "a\nb");
  t.is(s.composer.cursor, 2);
  s = run(s, { type: "intent.set", intent: { kind: "reply", chatId: 1, messageId: 7 } });
  t.deepEqual(s.intent, { kind: "reply", chatId: 1, messageId: 7 });
});

test("results: the matching line with its words marked, the selected row inverse", (t) => {
  t.deepEqual(matchingLine("first\nthe zeppelin flies", [[10, 18]]), { line: "the zeppelin flies", marks: [[4, 12]] });
  let s = run(loggedIn(), { type: "search.started", query: "zeppelin", append: false });
  s = run(s, { type: "search.loaded", query: "zeppelin", append: false, page: { hasMore: false, hits: [{ message: msg(9, 1, 2, "the zeppelin flies"), chatName: "general", marks: [[4, 12]] }] } }, { type: "overlay.results", source: "search" });
  const out = renderResults(s, [{ chatName: "general", message: msg(9, 1, 2, "the zeppelin flies"), marks: [[4, 12]] }], { width: 80, height: 10 });
  t.true(out.includes("{@match}zeppelin{/@match}"));
  t.regex(plain(out), /Search: zeppelin\ngeneral .* <u2> the zeppelin flies/);
  t.true(out.includes("{inverse}"));
});
