import test from "ava";
import { checkNick, checkRoomName, foldKey } from "./names.js";

test("folding makes case, width and ß variants of a nick the same key", (t) => {
  t.is(foldKey("Alice"), foldKey("ALICE"));
  t.is(foldKey("\uFF21lice"), foldKey("alice"), "fullwidth A");
  t.is(foldKey("Straße"), foldKey("STRASSE"));
  t.is(foldKey("Юля"), foldKey("ЮЛЯ"));
  t.not(foldKey("alice"), foldKey("alicia"));
});

test("nicks have 3 to 24 characters, start with a letter and allow Cyrillic", (t) => {
  t.true(checkNick("Борис").ok);
  t.true(checkNick("bob_the-2nd").ok);
  t.false(checkNick("ab").ok);
  t.false(checkNick("a".repeat(25)).ok);
  t.false(checkNick("1abc").ok);
  t.false(checkNick("has space").ok);
  t.false(checkNick("evil\u001b[2J").ok);
  t.false(checkNick("bidi\u202Eevil").ok);
  const r = checkNick("  \uFF21lice  ");
  t.deepEqual(r, { ok: true, value: "Alice", key: "alice" });
});

test("room names drop a leading # and refuse separators and control characters", (t) => {
  t.deepEqual(checkRoomName("#Dev.Ops"), { ok: true, value: "Dev.Ops", key: "dev.ops" });
  t.true(checkRoomName("проекты").ok);
  t.false(checkRoomName("a").ok);
  t.false(checkRoomName("../etc").ok);
  t.false(checkRoomName("room\u0007").ok);
});
