import test from "ava";
import { createPasteFilter } from "./paste.js";

test("bracketed paste is taken out of the key stream, whole, even when split across chunks", (t) => {
  const pastes: string[] = [];
  const filter = createPasteFilter((p) => pastes.push(p));
  const out = (chunks: string[]) => chunks.map((c) => filter(Buffer.from(c)).toString()).join("");
  t.is(out(["ab\x1b[200~one\r\ntwo\rthree\x1b[201~cd"]), "abcd");
  t.deepEqual(pastes, ["one\ntwo\nthree"]);
  // The end marker and a UTF-8 character split across chunks.
  const cyr = Buffer.from("д");
  t.is(filter(Buffer.concat([Buffer.from("\x1b[200~x"), cyr.subarray(0, 1)])).toString(), "");
  t.is(filter(Buffer.concat([cyr.subarray(1), Buffer.from("\ny\x1b[20")])).toString(), "");
  t.is(filter(Buffer.from("1~z")).toString(), "z");
  t.is(pastes[1], "xд\ny");
  t.is(out(["\x1b"]), "\x1b", "a lone Esc is passed on at once");
});
