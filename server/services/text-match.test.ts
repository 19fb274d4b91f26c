// Unit tests of the pure conversation text rules: mentions, search syntax, match marks.
import test from "ava";
import { matchMarks, parseMentions, parseSearch } from "./text-match.js";

test("mentions are @nick words, folded, and @room/@here mean everyone", (t) => {
  t.deepEqual(parseMentions("hi @Alice and @боб, mail bob@example.org"), { nickKeys: ["alice", "боб"], everyone: false });
  t.deepEqual(parseMentions("@here lunch"), { nickKeys: [], everyone: true });
  t.deepEqual(parseMentions("no mention here"), { nickKeys: [], everyone: false });
});

test("a search splits into words, quoted phrases, from: and in:", (t) => {
  t.deepEqual(parseSearch('Deploy "release notes" from:@bob in:#ops Привет!'), {
    words: ["deploy", "привет"], phrases: ["release notes"], from: "bob", room: "ops",
  });
  t.deepEqual(parseSearch('"one"'), { words: ["one"], phrases: [], from: null, room: null });
});

test("marks cover every matched word, case-insensitively, in UTF-16 offsets", (t) => {
  const text = "Привет, world! привет";
  t.deepEqual(matchMarks(text, { words: ["привет"], phrases: [] }), [[0, 6], [15, 21]]);
  t.deepEqual(matchMarks("the release notes", { words: [], phrases: ["release notes"] }), [[4, 11], [12, 17]]);
});
