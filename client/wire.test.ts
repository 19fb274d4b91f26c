// The client core's decoding of protocol 2's compact frame: every field of a MessageDto
// survives the round trip, defaults are restored, malformed frames are dropped, and
// socketConnection hands decoded frames to the same `message` callback as message:new.
import test from "ava";
import { COMPACT_MESSAGE, decodeMessage, encodeMessage, type MessageDto } from "../server/protocol/index.js";
import { socketConnection, type ConnectionEvents, type SocketLike } from "./connection.js";
import type { Clock } from "./ports.js";

const base: MessageDto = {
  id: 41, chatId: 3, kind: "text", sender: "alice", senderId: 7, text: "hello, bob", clientId: "00000000-0000-4000-8000-000000000001",
  createdAt: "2026-12-03T06:14:32.123Z", replyTo: null, editedAt: null, deleted: null, reactions: [],
};
const noClientId = (m: MessageDto) => ({ ...m, clientId: "" });

test("a plain text message is six positions and decodes to the DTO without its clientId", (t) => {
  const frame = encodeMessage(base);
  t.deepEqual(frame, [41, 3, 7, "alice", "hello, bob", Date.parse(base.createdAt)]);
  t.deepEqual(decodeMessage(JSON.parse(JSON.stringify(frame))), noClientId(base));
});

test("every non-default field travels in the seventh element and comes back", (t) => {
  const file = { id: 5, chatId: 3, name: "notes.txt", size: 12, sha256: "ab".repeat(32), sender: "alice", senderId: 7, createdAt: base.createdAt };
  const variants: MessageDto[] = [
    { ...base, kind: "file", text: "notes.txt", file },
    { ...base, replyTo: { id: 40, sender: "bob", excerpt: "hi", deleted: false } },
    { ...base, editedAt: "2026-12-03T06:15:00.000Z", reactions: [{ emoji: "👍", count: 2, nicks: ["bob", "carol"] }] },
    { ...base, text: "", deleted: { by: "alice", at: "2026-12-03T06:16:00.000Z" } },
    { ...base, kind: "join", text: "" },
  ];
  for (const m of variants) {
    const frame = encodeMessage(m);
    t.is(frame.length, 7, JSON.stringify(m));
    t.deepEqual(decodeMessage(JSON.parse(JSON.stringify(frame))), noClientId(m));
  }
  t.deepEqual(encodeMessage(variants[4]!)[6], { kind: "join" }, "only what differs from the defaults");
});

test("frames that are not compact messages decode to null", (t) => {
  const good = encodeMessage(base) as unknown[];
  for (const bad of [null, {}, "m", [], good.slice(0, 5), [...good, {}, 1], ["41", ...good.slice(1)], [...good.slice(0, 5), "yesterday"], [...good, { kind: "shout" }], [...good, [1]], [1.5, ...good.slice(1)]]) {
    t.is(decodeMessage(bad), null, JSON.stringify(bad));
  }
});

test("socketConnection delivers message:new and the compact frame through the same callback", (t) => {
  const handlers = new Map<string, (p: unknown) => void>();
  const socket: SocketLike = {
    connected: true,
    on: (event, fn) => handlers.set(event, fn as (p: unknown) => void),
    io: { on: () => undefined },
    timeout: () => ({ emitWithAck: async () => ({ ok: true, data: null }) }),
    connect: () => undefined,
    close: () => undefined,
  };
  const got: MessageDto[] = [];
  const noop = () => {};
  const on: ConnectionEvents = { ready: noop, message: (m) => got.push(m), presence: noop, chatUpdated: noop, notice: noop, status: noop, authFailed: noop, sessionEnded: noop, shutdown: noop, syncRequired: noop };
  const clock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} } as unknown as Clock;
  socketConnection(socket, on, { clock });
  handlers.get("message:new")!(base);
  handlers.get(COMPACT_MESSAGE)!(JSON.parse(JSON.stringify(encodeMessage({ ...base, id: 42 }))));
  handlers.get(COMPACT_MESSAGE)!(["garbage"]);
  t.deepEqual(got, [base, noClientId({ ...base, id: 42 })]);
});
