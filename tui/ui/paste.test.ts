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

test("Alt+Enter and Shift+Enter are taken out of the input in order with the keys around them; Esc alone is not", async (t) => {
  const { interceptPaste } = await import("./paste.js");
  const { EventEmitter } = await import("node:events");
  const input = new EventEmitter();
  const seen: string[] = [];
  input.on("data", (d: Buffer) => seen.push(d.toString()));
  interceptPaste(input, () => {}, () => seen.push("<NL>"));
  input.emit("data", Buffer.from("ab\x1b\rcd\x1b[13;2u\x1b[27;2;13~e"));
  input.emit("data", Buffer.from("\x1b"));
  input.emit("data", Buffer.from("\r"));
  t.deepEqual(seen, ["ab", "<NL>", "cd", "<NL>", "<NL>", "e", "\x1b", "\r"]);
});
