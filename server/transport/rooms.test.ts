// Broadcast exclusions looked up in place, and a new message sent only in the wire versions its room's members speak (single node).
import { createServer } from "node:http";
import test, { type ExecutionContext } from "ava";
import type { MessageDto } from "../protocol/index.js";
import { COMPACT_MESSAGE } from "../protocol/index.js";
import { createIo, createNotifier, roomOf, wireRoom, type ChatServer } from "./io.js";
import { adapterCheck, roomHasMemberOf, type LocalAdapter } from "./rooms.js";

type Adapter = LocalAdapter & {
  addAll(id: string, rooms: Set<string>): void;
  del(id: string, room: string): void;
  broadcast(packet: { data: unknown[] }, opts: { rooms: Set<string>; except?: Set<string> }): void;
  apply(opts: { rooms: Set<string>; except?: Set<string> }, fn: (socket: { id: string }) => void): void;
  nsp: { sockets: Map<string, { id: string }> };
};

function server(t: ExecutionContext, opts: { cluster?: boolean } = {}) {
  const http = createServer();
  const plain = createIo(http, { allowedOrigins: [] });
  // A cluster adapter stands in as a subclass of the node's own (same rooms, same broadcast): what counts is that one was given.
  const Base = (plain.of("/").adapter as unknown as { constructor: new (nsp: unknown) => Adapter }).constructor;
  const io: ChatServer = opts.cluster ? createIo(createServer(), { allowedOrigins: [], adapter: class extends Base {} as never }) : plain;
  t.teardown(() => {
    void plain.close();
    void io.close();
  });
  const adapter = io.of("/").adapter as unknown as Adapter;
  /** A socket of `protocol` in `rooms` (as connection setup joins them: its own id, its wire room, then the chat rooms). */
  const member = (id: string, protocol: 1 | 2, ...rooms: string[]) => {
    adapter.nsp.sockets.set(id, { id });
    adapter.addAll(id, new Set([id, wireRoom(protocol), ...rooms]));
  };
  const sent: string[] = [];
  adapter.broadcast = (packet) => void sent.push(String(packet.data[0]));
  return { io, adapter, member, sent, notifier: createNotifier(io) };
}

const message = { id: 1, chatId: 7, kind: "text", senderNick: "a", text: "hi", clientId: "c", createdAt: new Date(0).toISOString() } as unknown as MessageDto;

test("socket.io-adapter's Adapter looks as the exclusion lookup expects", (t) => {
  t.is(adapterCheck(), null);
});

test("a broadcast's exclusions are looked up when the adapter asks, not copied when it starts", (t) => {
  const { adapter, member } = server(t);
  member("a", 1, roomOf(7));
  member("b", 2, roomOf(7));
  const except = adapter.computeExceptSids!(new Set([wireRoom(2), "a"]));
  t.true(except.has("a"));
  t.true(except.has("b"));
  // A copy made at the start would not see a socket that joined after it, nor one that left.
  member("c", 2, roomOf(7));
  adapter.del("b", wireRoom(2));
  t.true(except.has("c"));
  t.false(except.has("b"));
  t.false(adapter.computeExceptSids!(new Set()).has("a"));
  const reached: string[] = [];
  adapter.apply({ rooms: new Set([roomOf(7)]), except: new Set([wireRoom(2)]) }, (s) => reached.push(s.id));
  t.deepEqual(reached.sort(), ["a", "b"]);
});

test("on a single node a new message goes out only in the wire versions its room's members speak", (t) => {
  const { member, sent, notifier } = server(t);
  member("v1", 1, roomOf(7));
  member("v2", 2, roomOf(8));
  member("v2b", 2, roomOf(8), roomOf(9));
  member("v1b", 1, roomOf(9));
  notifier.message({ chatId: 7 }, message);
  t.deepEqual(sent.splice(0), ["message:new"]);
  notifier.message({ chatId: 8 }, message);
  t.deepEqual(sent.splice(0), [COMPACT_MESSAGE]);
  notifier.message({ chatId: 9 }, message);
  t.deepEqual(sent.splice(0), ["message:new", COMPACT_MESSAGE]);
  // The sender's own socket is excluded from the compact frame: if it is the only one, none goes out.
  notifier.message({ chatId: 9 }, message, "v2b");
  t.deepEqual(sent.splice(0), ["message:new"]);
  notifier.message({ chatId: 10 }, message);
  t.deepEqual(sent.splice(0), []);
});

test("with a cluster adapter a new message goes out in both wire versions (other nodes' members count)", (t) => {
  const { member, sent, notifier } = server(t, { cluster: true });
  member("v1", 1, roomOf(7));
  notifier.message({ chatId: 7 }, message);
  t.deepEqual(sent.splice(0), ["message:new", COMPACT_MESSAGE]);
});

test("roomHasMemberOf walks the smaller room and skips the excluded socket", (t) => {
  const rooms = new Map([["r", new Set(["a", "b"])], ["v", new Set(["b", "c", "d"])]]);
  t.true(roomHasMemberOf(rooms, "r", "v"));
  t.false(roomHasMemberOf(rooms, "r", "v", "b"));
  t.false(roomHasMemberOf(rooms, "r", "missing"));
  t.false(roomHasMemberOf(rooms, "missing", "v"));
});
