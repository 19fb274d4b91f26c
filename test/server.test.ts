// End-to-end tests of chat-server: real server on port 0, real socket.io clients, on PGlite
// and (with DATABASE_URL) on a fresh PostgreSQL database.
import test, { type ExecutionContext } from "ava";
import {
  api, BACKENDS, connect, newUser, nick, perBackend, rawSocket, refusedHandshake, register, SKIPPED_BACKENDS, sleep, uuid, type Backend,
} from "./helpers/harness.js";
import { CLIENT_EVENTS, type ChatDto, type ChatUpdated, type MessageDto, type PresenceUpdate } from "../server/protocol/index.js";

const servers = perBackend(test);
for (const b of SKIPPED_BACKENDS) test.skip(`${b}: every server test (skipped: DATABASE_URL is not set)`, () => {});

const general = (c: { ready: { chats: ChatDto[] } }) => c.ready.chats.find((x) => x.name === "general")!;

for (const backend of BACKENDS) {
  const srv = () => servers.get(backend as Backend)!;
  const it = (title: string, fn: (t: ExecutionContext) => Promise<void>) => test(`${backend}: ${title}`, fn);

  it("registration returns a token and the user; nicks are unique after case folding and NFKC", async (t) => {
    const name = nick("Dup");
    const first = await api<any>(srv().url, "/api/v1/register", { nick: name, password: "password1" });
    t.is(first.status, 201);
    t.regex(first.body.token, /^[A-Za-z0-9_-]{43}$/);
    t.is(first.body.user.nick, name);
    t.is(first.body.user.role, "user");
    const upper = await api<any>(srv().url, "/api/v1/register", { nick: name.toUpperCase(), password: "password1" });
    t.is(upper.status, 409);
    t.is(upper.body.error.code, "NICK_TAKEN");
    t.regex(upper.body.error.message, /taken/);
    // Fullwidth letters fold to ASCII under NFKC.
    const wide = name.replace(/^D/, "\uFF24");
    const fw = await api<any>(srv().url, "/api/v1/register", { nick: wide, password: "password1" });
    t.is(fw.status, 409);
    const cyr = await api<any>(srv().url, "/api/v1/register", { nick: `Борис${Math.floor(Math.random() * 1e6)}`, password: "пароль-пароль" });
    t.is(cyr.status, 201, "Cyrillic nicks are welcome");
  });

  it("registration rejects bad nicks, bad passwords and non-JSON with a clear 4xx", async (t) => {
    const cases: [unknown, number, string, RegExp][] = [
      [{ nick: "ab", password: "password1" }, 400, "VALIDATION_FAILED", /3 to 24/],
      [{ nick: "bad nick!", password: "password1" }, 400, "VALIDATION_FAILED", /letters/],
      [{ nick: nick(), password: "short" }, 400, "VALIDATION_FAILED", /at least 8/],
      [{ nick: nick(), password: "x".repeat(129) }, 400, "VALIDATION_FAILED", /at most 128/],
      [{ password: "password1" }, 400, "VALIDATION_FAILED", /nick/],
      ["{not json", 400, "VALIDATION_FAILED", /not valid JSON/],
      [{ nick: nick(), password: "y".repeat(20_000) }, 413, "PAYLOAD_TOO_LARGE", /larger than/],
    ];
    for (const [body, status, code, message] of cases) {
      const r = await api<any>(srv().url, "/api/v1/register", body);
      t.is(r.status, status, JSON.stringify(body).slice(0, 60));
      t.is(r.body.error.code, code);
      t.regex(r.body.error.message, message);
    }
  });

  it("login succeeds with the right password and refuses a wrong password or nick alike", async (t) => {
    const name = nick("Login");
    await register(srv().url, name, "right password");
    const ok = await api<any>(srv().url, "/api/v1/login", { nick: name.toLowerCase(), password: "right password" });
    t.is(ok.status, 200);
    t.is(ok.body.user.nick, name);
    const wrong = await api<any>(srv().url, "/api/v1/login", { nick: name, password: "wrong password" });
    const unknown = await api<any>(srv().url, "/api/v1/login", { nick: nick("nobody"), password: "right password" });
    t.is(wrong.status, 401);
    t.deepEqual(wrong.body, unknown.body);
    t.is(wrong.body.error.code, "INVALID_CREDENTIALS");
  });

  it("the handshake refuses a missing, forged or expired token before any handler runs", async (t) => {
    const missing = await refusedHandshake(srv().url, undefined);
    t.is(missing.data?.code, "UNAUTHENTICATED");
    const forged = await refusedHandshake(srv().url, { token: "A".repeat(43) });
    t.is(forged.data?.code, "SESSION_INVALID");
    const garbage = await refusedHandshake(srv().url, { token: { $ne: null } });
    t.is(garbage.data?.code, "UNAUTHENTICATED");
    const auth = await register(srv().url);
    await srv().db.prisma.session.updateMany({ where: { userId: auth.user.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await refusedHandshake(srv().url, { token: auth.token });
    t.is(expired.data?.code, "SESSION_INVALID");
    t.regex(expired.message, /log in again/);
  });

  it("logout revokes the token and disconnects its sockets", async (t) => {
    const auth = await register(srv().url);
    const c = await connect(srv().url, auth);
    const gone = new Promise<string>((resolve) => c.socket.once("disconnect", resolve));
    const r = await api(srv().url, "/api/v1/logout", {}, { authorization: `Bearer ${auth.token}` });
    t.is(r.status, 204);
    t.is(await gone, "io server disconnect");
    const again = await refusedHandshake(srv().url, { token: auth.token });
    t.is(again.data?.code, "SESSION_INVALID");
    const noToken = await api<any>(srv().url, "/api/v1/logout", {});
    t.is(noToken.status, 401);
  });

  it("session:ready carries the user, the online users and the open chats with general first", async (t) => {
    const a = await newUser(srv(), "snap");
    t.is(a.ready.user.id, a.user.id);
    t.true(a.ready.online.some((u) => u.id === a.user.id));
    t.is(a.ready.chats[0]?.name, "general");
    t.is(a.ready.chats[0]?.kind, "room");
    t.false(Number.isNaN(Date.parse(a.ready.serverTime)));
    a.close();
  });

  it("presence goes out on a user's first socket and last socket only", async (t) => {
    const watcher = await newUser(srv(), "watch");
    const auth = await register(srv().url);
    const isBob = (online: boolean) => (p: PresenceUpdate) => p.user.id === auth.user.id && p.online === online;
    const b1 = await connect(srv().url, auth);
    await watcher.next("presence:update", isBob(true));
    const b2 = await connect(srv().url, auth);
    b1.close();
    await sleep(200);
    t.is(watcher.received("presence:update", isBob(false)).length, 0, "still online on the second device");
    t.is(watcher.received("presence:update", isBob(true)).length, 1, "one online update for two sockets");
    b2.close();
    await watcher.next("presence:update", isBob(false));
    const users = await watcher.ok("users:list", {});
    t.false(users.users.find((u: { id: number }) => u.id === auth.user.id).online);
    t.true(users.users.find((u: { id: number }) => u.id === watcher.user.id).online);
    watcher.close();
  });

  it("a message in general reaches everyone online, is acknowledged after storage and is in history", async (t) => {
    const a = await newUser(srv(), "bcA");
    const b = await newUser(srv(), "bcB");
    const chatId = general(a).id;
    const clientId = uuid();
    const ack = await a.request("message:send", { chatId, text: "hello everyone", clientId });
    if (!ack.ok) return t.fail(ack.error.message);
    const m = ack.data as MessageDto;
    t.like(m, { chatId, text: "hello everyone", clientId, sender: a.user.nick, senderId: a.user.id, kind: "text" });
    const got = await b.next<MessageDto>("message:new", (x) => x.clientId === clientId);
    t.is(got.id, m.id);
    const page = await b.ok("history:fetch", { chatId, limit: 5 });
    t.true(page.messages.some((x: MessageDto) => x.id === m.id));
    a.close();
    b.close();
  });

  it("a resend with the same clientId returns the original message and stores nothing new", async (t) => {
    const a = await newUser(srv(), "idem");
    const b = await newUser(srv(), "idemB");
    const dm = await a.ok<ChatDto>("dm:open", { nick: b.user.nick });
    const clientId = uuid();
    const [r1, r2] = await Promise.all([
      a.ok<MessageDto>("message:send", { chatId: dm.id, text: "once", clientId }),
      a.ok<MessageDto>("message:send", { chatId: dm.id, text: "once", clientId }),
    ]);
    const r3 = await a.ok<MessageDto>("message:send", { chatId: dm.id, text: "once", clientId });
    t.is(r1.id, r2.id);
    t.is(r1.id, r3.id);
    const page = await a.ok("history:fetch", { chatId: dm.id });
    t.is(page.messages.filter((x: MessageDto) => x.clientId === clientId).length, 1);
    await sleep(200);
    t.is(b.received("message:new", (x) => x.clientId === clientId).length, 1, "delivered once");
    const reused = await a.request("message:send", { chatId: dm.id, text: "different text", clientId });
    t.false(reused.ok);
    t.is(!reused.ok && reused.error.code, "CLIENT_ID_REUSED");
    a.close();
    b.close();
  });

  it("two users exchange DMs, an offline user gets them with unread counts, and a third sees nothing", async (t) => {
    const a = await newUser(srv(), "dmA");
    const bAuth = await register(srv().url, nick("dmB"));
    const c = await newUser(srv(), "dmC");
    const dm = await a.ok<ChatDto>("dm:open", { nick: bAuth.user.nick.toUpperCase() });
    t.is(dm.kind, "dm");
    t.is(dm.name, bAuth.user.nick);
    t.is(dm.peer?.id, bAuth.user.id);
    await a.ok("message:send", { chatId: dm.id, text: "are you there?", clientId: uuid() });
    await a.ok("message:send", { chatId: dm.id, text: "ping", clientId: uuid() });
    // Bob was offline: the DM is open for him with two unread messages.
    const b = await connect(srv().url, bAuth);
    const bobsDm = b.ready.chats.find((x) => x.id === dm.id);
    t.truthy(bobsDm);
    t.is(bobsDm?.unread, 2);
    t.is(bobsDm?.name, a.user.nick);
    const reply = await b.ok<MessageDto>("message:send", { chatId: dm.id, text: "here", clientId: uuid() });
    t.is((await a.next<MessageDto>("message:new", (m) => m.id === reply.id)).text, "here");
    // Carol: the DM looks exactly like a chat that does not exist.
    const denied = await c.request("history:fetch", { chatId: dm.id });
    const missing = await c.request("history:fetch", { chatId: 2_000_000_000 });
    t.false(denied.ok);
    t.is(!denied.ok && denied.error.code, "CHAT_NOT_FOUND");
    t.is(!denied.ok && !missing.ok && denied.error.message.replace(String(dm.id), "N"), !missing.ok ? missing.error.message.replace("2000000000", "N") : "");
    const send = await c.request("message:send", { chatId: dm.id, text: "sneaky", clientId: uuid() });
    t.is(!send.ok && send.error.code, "CHAT_NOT_FOUND");
    for (const ev of ["chat:read", "chat:close"] as const) {
      const r = await c.request(ev, { chatId: dm.id, messageId: 1 });
      t.is(!r.ok && r.error.code, "CHAT_NOT_FOUND", ev);
    }
    await sleep(200);
    t.is(c.received("message:new", (m) => m.chatId === dm.id).length, 0);
    const self = await a.request("dm:open", { nick: a.user.nick });
    t.is(!self.ok && self.error.code, "VALIDATION_FAILED");
    const ghost = await a.request("dm:open", { nick: nick("ghost") });
    t.is(!ghost.ok && ghost.error.code, "USER_NOT_FOUND");
    for (const x of [a, b, c]) x.close();
  });

  it("closing a DM hides it; a new message reopens it before the message arrives", async (t) => {
    const a = await newUser(srv(), "clA");
    const b = await newUser(srv(), "clB");
    const dm = await a.ok<ChatDto>("dm:open", { nick: b.user.nick });
    await a.ok("message:send", { chatId: dm.id, text: "first", clientId: uuid() });
    await b.next("message:new", (m: MessageDto) => m.chatId === dm.id);
    await b.ok("chat:close", { chatId: dm.id });
    const closed = await b.next<ChatUpdated>("chat:updated", (u) => u.reason === "closed" && u.chat.id === dm.id);
    t.false(closed.chat.open);
    const b2 = await connect(srv().url, b.auth);
    t.falsy(b2.ready.chats.find((x) => x.id === dm.id), "closed chats are not in the snapshot");
    const a2 = await connect(srv().url, a.auth);
    t.is(a2.ready.chats[0]?.name, "general", "general stays first when DMs are open");
    t.true(a2.ready.chats.some((x) => x.id === dm.id));
    a2.close();
    b.events.length = 0;
    const m = await a.ok<MessageDto>("message:send", { chatId: dm.id, text: "second", clientId: uuid() });
    await b.next("message:new", (x: MessageDto) => x.id === m.id);
    const order = b.events
      .filter((e) => (e.event === "chat:updated" && (e.payload as ChatUpdated).chat.id === dm.id) || (e.event === "message:new" && (e.payload as MessageDto).chatId === dm.id))
      .map((e) => e.event);
    t.deepEqual(order.slice(0, 2), ["chat:updated", "message:new"]);
    t.like(b.received("chat:updated")[0], { reason: "opened", chat: { id: dm.id, open: true } });
    const closeGeneral = await b.request("chat:close", { chatId: general(b).id });
    t.is(!closeGeneral.ok && closeGeneral.error.code, "CANNOT_LEAVE_GENERAL");
    for (const x of [a, b, b2]) x.close();
  });

  it("rooms: create, join by name, invite to a private room, leave, list", async (t) => {
    const a = await newUser(srv(), "rmA");
    const b = await newUser(srv(), "rmB");
    const name = `Room${Math.random().toString(36).slice(2, 8)}`;
    const room = await a.ok<ChatDto>("room:create", { name: `#${name}` });
    t.like(room, { kind: "room", name, private: false, open: true });
    const creatorLine = await a.next<MessageDto>("message:new", (m) => m.chatId === room.id && m.kind === "join");
    t.is(creatorLine.senderId, a.user.id, "the creator's join line opens the room's history");
    const creatorOrder = a.events.filter((e) => (e.event === "chat:updated" && (e.payload as ChatUpdated).chat.id === room.id) || (e.event === "message:new" && (e.payload as MessageDto).chatId === room.id)).map((e) => e.event);
    t.deepEqual(creatorOrder.slice(0, 2), ["chat:updated", "message:new"], "the chat is announced before its first message");
    const dup = await b.request("room:create", { name: name.toLowerCase() });
    t.is(!dup.ok && dup.error.code, "ROOM_EXISTS");
    const joined = await b.ok<ChatDto>("room:join", { name: name.toUpperCase() });
    t.is(joined.id, room.id);
    const joinLine = await a.next<MessageDto>("message:new", (m) => m.chatId === room.id && m.kind === "join" && m.senderId === b.user.id);
    t.truthy(joinLine);
    const hi = await a.ok<MessageDto>("message:send", { chatId: room.id, text: "welcome", clientId: uuid() });
    await b.next("message:new", (m: MessageDto) => m.id === hi.id);

    const secret = await a.ok<ChatDto>("room:create", { name: `${name}-s`, private: true });
    t.true(secret.private);
    const refused = await b.request("room:join", { name: `${name}-s` });
    const nothing = await b.request("room:join", { name: "no-such-room-here" });
    t.is(!refused.ok && refused.error.code, "ROOM_NOT_FOUND");
    t.is(!refused.ok && !nothing.ok && refused.error.message.replace(`${name}-s`, "X"), !nothing.ok ? nothing.error.message.replace("no-such-room-here", "X") : "");
    let list = (await b.ok("rooms:list", {})).rooms as { id: number; joined: boolean }[];
    t.true(list.some((r) => r.id === room.id && r.joined));
    t.false(list.some((r) => r.id === secret.id), "private rooms are not listed to outsiders");
    await a.ok("room:invite", { chatId: secret.id, nick: b.user.nick });
    const again = await a.request("room:invite", { chatId: secret.id, nick: b.user.nick });
    t.is(!again.ok && again.error.code, "VALIDATION_FAILED", "inviting a member is refused");
    await b.next<ChatUpdated>("chat:updated", (u) => u.chat.id === secret.id && u.reason === "joined");
    const inside = await a.ok<MessageDto>("message:send", { chatId: secret.id, text: "psst", clientId: uuid() });
    await b.next("message:new", (m: MessageDto) => m.id === inside.id);
    list = (await b.ok("rooms:list", {})).rooms;
    t.true(list.some((r) => r.id === secret.id));

    await b.ok("room:leave", { chatId: room.id });
    await b.next<ChatUpdated>("chat:updated", (u) => u.chat.id === room.id && u.reason === "left");
    await a.next<MessageDto>("message:new", (m) => m.chatId === room.id && m.kind === "leave");
    const after = await a.ok<MessageDto>("message:send", { chatId: room.id, text: "after you left", clientId: uuid() });
    await sleep(200);
    t.is(b.received("message:new", (m) => m.id === after.id).length, 0);
    const peek = await b.request("history:fetch", { chatId: room.id });
    t.is(!peek.ok && peek.error.code, "CHAT_NOT_FOUND");
    const leaveGeneral = await b.request("room:leave", { chatId: general(b).id });
    t.is(!leaveGeneral.ok && leaveGeneral.error.code, "CANNOT_LEAVE_GENERAL");
    a.close();
    b.close();
  });

  it("history is keyset-paginated newest first, with before and after cursors and limits", async (t) => {
    const a = await newUser(srv(), "hist");
    const b = await newUser(srv(), "histB");
    const dm = await a.ok<ChatDto>("dm:open", { nick: b.user.nick });
    const sent: number[] = [];
    for (let i = 0; i < 120; i++) sent.push((await a.ok<MessageDto>("message:send", { chatId: dm.id, text: `m${i}`, clientId: uuid() })).id);
    t.deepEqual([...sent].sort((x, y) => x - y), sent, "ids increase");
    const p1 = await a.ok("history:fetch", { chatId: dm.id });
    t.is(p1.messages.length, 50);
    t.true(p1.hasMore);
    t.is(p1.messages[0].text, "m119");
    const p2 = await a.ok("history:fetch", { chatId: dm.id, before: p1.messages[49].id });
    t.is(p2.messages[0].text, "m69");
    const p3 = await a.ok("history:fetch", { chatId: dm.id, before: p2.messages[49].id, limit: 200 });
    t.is(p3.messages.length, 20);
    t.false(p3.hasMore);
    t.is(p3.messages.at(-1).text, "m0");
    const catchUp = await a.ok("history:fetch", { chatId: dm.id, after: sent[99]!, limit: 10 });
    t.deepEqual(catchUp.messages.map((m: MessageDto) => m.text), Array.from({ length: 10 }, (_, i) => `m${100 + i}`));
    t.true(catchUp.hasMore);
    for (const bad of [{ chatId: dm.id, limit: 201 }, { chatId: dm.id, limit: 0 }, { chatId: dm.id, before: -1 }, { chatId: dm.id, before: 5, after: 1 }]) {
      const r = await a.request("history:fetch", bad);
      t.is(!r.ok && r.error.code, "VALIDATION_FAILED", JSON.stringify(bad));
    }
    a.close();
    b.close();
  });

  it("read markers give unread counts, only move forward and follow the user to other devices", async (t) => {
    const a = await newUser(srv(), "rdA");
    const b = await newUser(srv(), "rdB");
    const b2 = await connect(srv().url, b.auth);
    const dm = await a.ok<ChatDto>("dm:open", { nick: b.user.nick });
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await a.ok<MessageDto>("message:send", { chatId: dm.id, text: `r${i}`, clientId: uuid() })).id);
    const r1 = await b.ok("chat:read", { chatId: dm.id, messageId: ids[1] });
    t.deepEqual(r1, { chatId: dm.id, lastReadId: ids[1], unread: 1 });
    const other = await b2.next<ChatUpdated>("chat:updated", (u) => u.reason === "read" && u.chat.id === dm.id);
    t.is(other.chat.lastReadId, ids[1]!);
    const back = await b.ok("chat:read", { chatId: dm.id, messageId: ids[0] });
    t.is(back.lastReadId, ids[1], "the marker never moves back");
    const beyond = await b.ok("chat:read", { chatId: dm.id, messageId: Number.MAX_SAFE_INTEGER });
    t.is(beyond.lastReadId, ids[2], "the marker stops at the newest message");
    t.is(beyond.unread, 0);
    for (const x of [a, b, b2]) x.close();
  });

  it("a connected socket keeps no upgrade request and one listener for all its events; requests still go through it", async (t) => {
    const a = await newUser(srv(), "disp");
    const chatId = general(a).id;
    const s = srv().io.of("/").sockets.get(a.socket.id!);
    if (!s) return t.fail("the server has no socket with the client's id");
    t.is(s.request as unknown, null, "the IncomingMessage of the upgrade is let go after the handshake");
    t.is(s.handshake.address, "127.0.0.1", "the handshake keeps its own copy of what it read");
    t.is(s.listenersAny().length, 1, "one dispatcher for every event");
    for (const event of CLIENT_EVENTS) t.is(s.listenerCount(event as never), 0, `no per-socket listener for ${event}`);
    // The dispatcher validates, runs and acks as the per-event listeners did.
    const sent = await a.ok("message:send", { chatId, text: "through the dispatcher", clientId: uuid() });
    t.is(sent.text, "through the dispatcher");
    // The page just before the next id holds it, whatever other tests post to general meanwhile.
    const page = await a.ok("history:fetch", { chatId, before: sent.id + 1, limit: 1 });
    t.deepEqual(page.messages.map((m: MessageDto) => m.id), [sent.id]);
    const bad = await a.request("history:fetch", { chatId: "x" });
    t.is(!bad.ok ? bad.error.code : "", "VALIDATION_FAILED");
    const loose = a.socket as unknown as { timeout(ms: number): { emitWithAck(e: string, p: unknown): Promise<{ ok: boolean; error?: { code: string; message: string } }> } };
    const unknown = await loose.timeout(30_000).emitWithAck("message:sendd", { chatId });
    t.is(unknown.error?.code, "UNKNOWN_EVENT");
    t.regex(unknown.error?.message ?? "", /does not know the event "message:sendd"/);
  });

  it("bad input gets a stable error code and a sentence, and the server keeps serving", async (t) => {
    const a = await newUser(srv(), "bad");
    const chatId = general(a).id;
    const cases: [string, unknown, string][] = [
      ["message:send", { chatId: "1", text: "x", clientId: uuid() }, "VALIDATION_FAILED"],
      ["message:send", { chatId, text: "x" }, "VALIDATION_FAILED"],
      ["message:send", { chatId, text: 42, clientId: uuid() }, "VALIDATION_FAILED"],
      ["message:send", { chatId, text: "   ", clientId: uuid() }, "VALIDATION_FAILED"],
      ["message:send", { chatId, text: "x".repeat(4001), clientId: uuid() }, "PAYLOAD_TOO_LARGE"],
      ["message:send", { chatId, text: "x", clientId: "not-a-uuid" }, "VALIDATION_FAILED"],
      ["message:send", { chatId: 999_999_999, text: "x", clientId: uuid() }, "CHAT_NOT_FOUND"],
      ["message:send", null, "VALIDATION_FAILED"],
      ["message:send", "a string", "VALIDATION_FAILED"],
      ["message:send", [1, 2, 3], "VALIDATION_FAILED"],
      ["history:fetch", { chatId: 1.5 }, "VALIDATION_FAILED"],
      ["history:fetch", { chatId: 1e300 }, "VALIDATION_FAILED"],
      ["dm:open", {}, "VALIDATION_FAILED"],
      ["room:create", { name: "a" }, "VALIDATION_FAILED"],
      ["room:create", { name: "bad name!" }, "VALIDATION_FAILED"],
      ["room:create", { name: "okname", private: "yes" }, "VALIDATION_FAILED"],
      ["room:join", { name: 5 }, "VALIDATION_FAILED"],
      ["room:leave", { chatId: -1 }, "VALIDATION_FAILED"],
      ["chat:read", { chatId, messageId: "x" }, "VALIDATION_FAILED"],
      ["no:such-event", {}, "UNKNOWN_EVENT"],
    ];
    for (const [event, payload, code] of cases) {
      const loose = a.socket as unknown as { timeout(ms: number): { emitWithAck(e: string, p: unknown): Promise<{ ok: boolean; error?: { code: string; message: string } }> } };
      const r = await loose.timeout(30_000).emitWithAck(event, payload);
      t.false(r.ok, `${event} ${JSON.stringify(payload)?.slice(0, 40)}`);
      t.is(r.error?.code, code, `${event} ${JSON.stringify(payload)?.slice(0, 40)}`);
      t.true((r.error?.message.length ?? 0) > 5);
    }
    const missing = await a.request("message:send", { chatId, clientId: uuid() });
    t.regex(!missing.ok ? missing.error.message : "", /text: this field is required/);
    const wrongType = await a.request("message:send", { chatId: "1", text: "x", clientId: uuid() });
    t.notRegex(!wrongType.ok ? wrongType.error.message : "", /required/, "a present field of the wrong type is not 'missing'");
    t.regex(!wrongType.ok ? wrongType.error.message : "", /^chatId: /);
    // Without an ack the error still reaches the client, as a notice.
    (a.socket as unknown as { emit(e: string, p: unknown): void }).emit("message:send", { chatId: "nope" });
    const notice = await a.next<{ level: string; code: string }>("notice", (n) => n.code === "VALIDATION_FAILED");
    t.is(notice.level, "error");
    // A packet over the size limit closes only that socket.
    const big = rawSocket(srv().url, { token: a.auth.token });
    await new Promise((r) => big.once("session:ready", r));
    const closed = new Promise((r) => big.once("disconnect", r));
    (big as unknown as { emit(e: string, p: unknown): void }).emit("message:send", { chatId, text: "z".repeat(200_000), clientId: uuid() });
    t.is(await closed, "transport close");
    const still = await a.ok<MessageDto>("message:send", { chatId, text: "still here", clientId: uuid() });
    t.is(still.text, "still here");
    a.close();
  });
}
