// The client core's protocol 2 presence: session:ready's count and first page, batches, pages.
import test from "ava";
import type { SessionReady, UserDto } from "../../server/protocol/index.js";
import { chatReducer, initialChatState } from "./reducer.js";
import { onlineSummary } from "./selectors.js";

const u = (id: number): UserDto => ({ id, nick: `n${id}`, role: "user" });
const ready = (extra: Partial<SessionReady>): SessionReady => ({ user: u(1), online: [u(1), u(2)], chats: [], serverTime: "2026-12-02T00:00:00.000Z", ...extra });

test("a protocol 1 session:ready leaves the count unknown and the list complete", (t) => {
  const s = chatReducer(initialChatState("x"), { type: "session.ready", session: ready({}) });
  t.deepEqual(s.online, { count: null, next: null });
  t.true(s.users[2]!.online);
  t.deepEqual(onlineSummary(s), { online: 2, more: 0 });
});

test("a batch applies everyone in it and the count; a summary batch only the count", (t) => {
  let s = chatReducer(initialChatState("x"), { type: "session.ready", session: ready({ onlineCount: 2, onlineNext: null }) });
  t.deepEqual(s.online, { count: 2, next: null });
  s = chatReducer(s, { type: "presence.batch", batch: { online: [u(3), u(4)], offline: [u(2)], count: 3, summary: false } });
  t.deepEqual(Object.values(s.users).filter((x) => x.online).map((x) => x.id).sort(), [1, 3, 4]);
  t.false(s.users[2]!.online);
  t.is(s.online.count, 3);
  s = chatReducer(s, { type: "presence.batch", batch: { online: [], offline: [], count: 900, summary: true } });
  t.is(s.online.count, 900);
  t.is(Object.values(s.users).filter((x) => x.online).length, 3, "the known users stay as they were");
  t.true(s.users[1]!.online, "me, always");
});

test("a large server's first page, then pages in with the cursor", (t) => {
  let s = chatReducer(initialChatState("x"), { type: "session.ready", session: ready({ onlineCount: 500, onlineNext: "n2" }) });
  t.deepEqual(s.online, { count: 500, next: "n2" });
  t.deepEqual(onlineSummary(s), { online: 500, more: 498 });
  s = chatReducer(s, { type: "presence.page", page: { users: [u(5), u(6)], count: 501, next: "n6" } });
  t.deepEqual(s.online, { count: 501, next: "n6" });
  t.true(s.users[5]!.online && s.users[6]!.online);
  s = chatReducer(s, { type: "presence.page", page: { users: [u(7)], count: 501, next: null } });
  t.is(s.online.next, null);
  t.is(onlineSummary(s).more, 0);
});
