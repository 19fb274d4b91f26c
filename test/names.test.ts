// Names people cannot fake, and what a mute and privacy hide: lookalike and invisible nicks and
// room names, private room names, and muted users, against a real server on each backend.
import test, { type ExecutionContext } from "ava";
import { openDatabase } from "../server/db/client.js";
import { backfillNameSkeletons } from "../server/db/backfill.js";
import type { ChatDto, ClusterMetrics, Notice } from "../server/protocol/index.js";
import { confusableKey } from "../server/protocol/confusables.js";
import {
  api, BACKENDS, connect, freshPostgresDatabase, newUser, nick, perBackend, SKIPPED_BACKENDS, uuid,
  type Backend, type Client, type TestServer,
} from "./helpers/harness.js";

const servers = perBackend(test);
for (const b of SKIPPED_BACKENDS) test.skip(`${b}: every names test (skipped: DATABASE_URL is not set)`, () => {});

type ApiError = { error: { code: string; message: string } };
const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? "OK" : r.error?.code);
// Letters only: a random suffix with digits could itself be confusable (0/O, 1/l).
const letters = () => Array.from({ length: 6 }, () => "bcdfghkmnpqrstvwxz"[Math.floor(Math.random() * 18)]).join("");

async function staff(server: TestServer, role: "admin" | "moderator"): Promise<Client> {
  const name = nick(role.slice(0, 3));
  await server.accounts.addUser({ nick: name, password: "staff-password", role });
  const r = await api<{ token: string; user: { id: number; nick: string; role: "admin" } }>(server.url, "/api/v1/login", { nick: name, password: "staff-password" });
  return connect(server.url, { ...r.body, expiresAt: "" });
}

const registerRaw = (server: TestServer, name: string) => api<ApiError & { user: { nick: string } }>(server.url, "/api/v1/register", { nick: name, password: "password-1" });

for (const backend of BACKENDS) {
  const srv = () => servers.get(backend as Backend)!;
  const it = (title: string, fn: (t: ExecutionContext) => Promise<void>) => test.serial(`${backend}: ${title}`, fn);

  it("register refuses lookalike, invisible and blank nicks with a sentence that says why", async (t) => {
    const base = `alice${letters()}`;
    t.is((await registerRaw(srv(), base)).status, 201);
    const spoofs: [string, RegExp][] = [
      [`\u0430${base.slice(1)}`, /mix letters of different scripts/], // Cyrillic а
      [`${base}\u034f`, /invisible.*U\+034F/],
      [`${base}\ufe0f`, /invisible.*U\+FE0F/],
      [`${base.slice(0, 3)}\u200b${base.slice(3)}`, /invisible.*U\+200B/],
      [`${base}\u00ad`, /invisible.*U\+00AD/],
      [`${base}\u2066`, /invisible.*U\+2066/],
      ["\u3164\u3164\u3164", /invisible.*U\+3164/],
      ["\u115f\u115f\u115f", /invisible.*U\+115F/],
      ["\u1160\u1160\u1160", /invisible.*U\+1160/],
      ["\uffa0\uffa0\uffa0", /invisible.*U\+FFA0/],
      [`${base}\u3164`, /invisible.*U\+3164/],
    ];
    for (const [name, why] of spoofs) {
      const r = await registerRaw(srv(), name);
      t.is(r.status, 400, `${JSON.stringify(name)} is refused`);
      t.is(r.body.error.code, "VALIDATION_FAILED", JSON.stringify(name));
      t.regex(r.body.error.message, why, JSON.stringify(name));
    }
    const users = await srv().chat.listUsers();
    t.is(users.filter((u) => confusableKey(u.nick.replace(/[\u034f\ufe0f\u200b\u00ad\u2066\u3164]/g, "")) === confusableKey(base)).length, 1, "no second alice was stored");
  });

  it("whole-script Cyrillic nicks are welcome and never collide with Latin ones", async (t) => {
    t.is((await registerRaw(srv(), "alice")).status, 201);
    const r = await registerRaw(srv(), "дмитрий");
    t.is(r.status, 201, JSON.stringify(r.body));
    t.is(r.body.user.nick, "дмитрий");
    t.is((await registerRaw(srv(), "Борис")).status, 201);
    t.is((await registerRaw(srv(), "boris")).status, 201, "Борис does not look like boris");
  });

  it("a nick that looks like a taken one is taken: skeletons, digits, rn/m, fullwidth, whole-script twins", async (t) => {
    const sfx = letters();
    const pairs: [string, string, RegExp][] = [
      [`paypal${sfx}`, `p\u0430ypal${sfx}`, /mix letters/], // mixed script: refused outright
      [`mike${sfx}`, `rnike${sfx}`, /looks like "mike/],
      [`louis${sfx}`, `Iouis${sfx}`, /looks like "louis/],
      [`bob${sfx}`, `b0b${sfx}`, /looks like "bob/],
      [`will${sfx}`, `wi11${sfx}`, /looks like "will/],
      [`ace${sfx}`, `\u0430\u0441\u0435`, /./], // set below: Cyrillic асе alone against Latin ace
      [`carol${sfx}`, `\uff43\uff41\uff52\uff4f\uff4c${sfx}`, /is taken/], // fullwidth folds to the same nick
    ];
    for (const [taken, spoof, why] of pairs) {
      t.is((await registerRaw(srv(), taken)).status, 201, taken);
      if (spoof === "\u0430\u0441\u0435") continue;
      const r = await registerRaw(srv(), spoof);
      t.not(r.status, 201, `${spoof} after ${taken}`);
      t.true(["NICK_TAKEN", "VALIDATION_FAILED"].includes(r.body.error.code), spoof);
      if (r.body.error.code === "NICK_TAKEN") t.is(r.status, 409);
      t.regex(r.body.error.message, why, spoof);
    }
    t.is((await registerRaw(srv(), "ace")).status, 201);
    const cyr = await registerRaw(srv(), "\u0430\u0441\u0435");
    t.is(cyr.status, 409, "Cyrillic асе looks exactly like Latin ace");
    t.like(cyr.body.error, { code: "NICK_TAKEN" });
    t.regex(cyr.body.error.message, /looks like "ace"/);
    const rev = await registerRaw(srv(), "\u0440\u043e\u0440");
    t.is(rev.status, 201, "Cyrillic рор is free while nobody is pop");
    t.is((await registerRaw(srv(), "pop")).status, 409, "and then Latin pop looks like it");
  });

  it("two registrations of confusable nicks at the same moment: exactly one wins", async (t) => {
    for (let round = 0; round < 6; round++) {
      const sfx = letters();
      const [a, b] = await Promise.all([registerRaw(srv(), `mike${sfx}`), registerRaw(srv(), `rnike${sfx}`)]);
      t.deepEqual([a.status, b.status].sort(), [201, 409], `round ${round}: ${JSON.stringify([a.body, b.body])}`);
      const loser = a.status === 409 ? a : b;
      t.is(loser.body.error.code, "NICK_TAKEN");
    }
  });

  it("room:create refuses lookalike and invisible room names; Cyrillic rooms are welcome", async (t) => {
    const a = await newUser(srv(), "rn");
    const name = `general${letters()}`;
    await a.ok("room:create", { name });
    const cases: [string, string, RegExp][] = [
      ["g\u0435neral", "VALIDATION_FAILED", /mix letters/],
      ["general\u034f", "VALIDATION_FAILED", /invisible.*U\+034F/],
      [`${name}\u034f`, "VALIDATION_FAILED", /invisible/],
      [`g\u0435${name.slice(2)}`, "VALIDATION_FAILED", /mix letters/],
      ["general", "ROOM_EXISTS", /exists/],
      ["\uff47\uff45\uff4e\uff45\uff52\uff41\uff4c", "ROOM_EXISTS", /exists/],
      ["genera1", "ROOM_EXISTS", /looks like the room "general"/],
      [name.replace("l", "I"), "ROOM_EXISTS", /looks like the room/],
    ];
    for (const [room, want, why] of cases) {
      const r = await a.request("room:create", { name: room });
      t.is(code(r), want, JSON.stringify(room));
      if (!r.ok) t.regex(r.error.message, why, JSON.stringify(room));
    }
    const cyr = await a.request("room:create", { name: `проекты-${letters().length}` });
    t.is(code(cyr), "OK");
    t.is(code(await a.request("room:create", { name: `0ps${name}`, private: true })), "OK");
    a.close();
  });

  it("two rooms with confusable names created at the same moment: exactly one wins", async (t) => {
    const a = await newUser(srv(), "ca");
    const b = await newUser(srv(), "cb");
    for (let round = 0; round < 6; round++) {
      const sfx = letters();
      const [x, y] = await Promise.all([a.request("room:create", { name: `ops-${sfx}` }), b.request("room:create", { name: `0ps-${sfx}` })]);
      t.deepEqual([code(x), code(y)].sort(), ["OK", "ROOM_EXISTS"], `round ${round}`);
    }
    a.close();
    b.close();
  });

  it("a private room's name is no oracle: others create that name as if it were free", async (t) => {
    const a = await newUser(srv(), "pa");
    const eve = await newUser(srv(), "pe");
    const name = `secret${letters()}`;
    const hidden = await a.ok<ChatDto>("room:create", { name, private: true });
    const free = `free${letters()}`;
    const onFree = await eve.request("room:create", { name: free, private: true });
    const onHidden = await eve.request("room:create", { name, private: true });
    t.is(code(onHidden), code(onFree), "creating a private room under a private room's name answers as for a free name");
    t.is(code(onHidden), "OK");
    const z = await newUser(srv(), "pz");
    const pub = await z.ok<ChatDto>("room:create", { name: name.toUpperCase() });
    t.not(pub.id, hidden.id, "a public room may take a name only private rooms use");
    // Your own rooms are known to you: refusing a second one of a name leaks nothing.
    t.is(code(await a.request("room:create", { name, private: true })), "ROOM_EXISTS", "a second private room of your own with one name");
    t.is(code(await eve.request("room:create", { name, private: true })), "ROOM_EXISTS", "eve now has one of that name");
    // Joining by name: a member reaches her own private room, others the public one.
    t.is((await a.ok<ChatDto>("room:join", { name })).id, hidden.id);
    const w = await newUser(srv(), "pw");
    t.is((await w.ok<ChatDto>("room:join", { name })).id, pub.id);
    for (const c of [a, eve, z, w]) c.close();
  });

  it("a muted user cannot create rooms or invite people; reading and joining still work", async (t) => {
    const admin = await staff(srv(), "admin");
    const m = await newUser(srv(), "mu");
    const friend = await newUser(srv(), "mf");
    const before = await m.ok<ChatDto>("room:create", { name: `mroom${letters()}`, private: true });
    const open = await m.ok<ChatDto>("room:create", { name: `mpub${letters()}` });
    await admin.ok("admin:mute", { nick: m.user.nick, reason: "spam", durationSec: 600 });
    const attempts: [string, unknown][] = [
      ["room:create", { name: `spam${letters()}` }],
      ["room:create", { name: `spam${letters()}`, private: true }],
      ["room:invite", { chatId: before.id, nick: friend.user.nick }],
      ["room:invite", { chatId: open.id, nick: friend.user.nick }],
      ["message:send", { chatId: open.id, text: "hi", clientId: uuid() }],
      ["file:begin", { chatId: open.id, name: "x.txt", size: 3, sha256: "a".repeat(64), clientId: uuid() }],
    ];
    for (const [event, payload] of attempts) {
      const r = await m.request(event as never, payload);
      t.is(code(r), "MUTED", event);
      if (!r.ok) t.regex(r.error.message, /muted until .*: spam/, event);
    }
    t.is(friend.received("notice", (n: Notice) => n.chatId === before.id || n.chatId === open.id).length, 0, "no invite notice reached anyone");
    t.false((await friend.ok("rooms:list", {})).rooms.some((r: { name: string }) => r.name.startsWith("spam")), "no room was made");
    t.is(code(await m.request("room:join", { name: "general" })), "OK", "a mute does not stop reading");
    t.is(code(await m.request("history:fetch", { chatId: open.id })), "OK");
    await admin.ok("admin:unmute", { nick: m.user.nick });
    t.is(code(await m.request("room:invite", { chatId: before.id, nick: friend.user.nick })), "OK", "after the mute, invites work again");
    for (const c of [admin, m, friend]) c.close();
  });

  it("admin:metrics shows a private room's name only to an admin who is in it", async (t) => {
    const outsider = await staff(srv(), "admin");
    const insider = await staff(srv(), "admin");
    const u = await newUser(srv(), "mt");
    const name = `hush${letters()}`;
    const room = await u.ok<ChatDto>("room:create", { name, private: true });
    await u.ok("room:invite", { chatId: room.id, nick: insider.user.nick });
    const pub = await u.ok<ChatDto>("room:create", { name: `loud${letters()}` });
    for (let i = 0; i < 3; i++) {
      await u.ok("message:send", { chatId: room.id, text: `p${i}`, clientId: uuid() });
      await u.ok("message:send", { chatId: pub.id, text: `q${i}`, clientId: uuid() });
    }
    const rooms = async (c: Client) => (await c.ok<ClusterMetrics>("admin:metrics", {})).nodes.flatMap((n) => n.rooms);
    const seenOut = await rooms(outsider);
    t.like(seenOut.find((r) => r.chatId === room.id), { name: "(private room)", messages: 3 });
    t.false(JSON.stringify(seenOut).includes(name), "the name appears nowhere in the outsider's answer");
    t.like(seenOut.find((r) => r.chatId === pub.id), { name: `#${pub.name}` });
    t.like((await rooms(insider)).find((r) => r.chatId === room.id), { name: `#${name}` });
    t.like((await rooms(outsider)).find((r) => r.chatId === room.id), { name: "(private room)" }, "and the insider's view left nothing behind");
    for (const c of [outsider, insider, u]) c.close();
  });

  it("names stored before skeletons existed get one at start; the younger of two lookalikes is reported", async (t) => {
    const fresh = backend === "postgres" ? await freshPostgresDatabase() : null;
    t.teardown(() => fresh?.drop());
    const db = await openDatabase({ dataDir: "memory://", databaseUrl: fresh?.url });
    t.teardown(() => db.close());
    await db.prisma.$executeRaw`INSERT INTO users (nick, nick_key, password_hash) VALUES ('alice', 'alice', 'x'), ('\u0430lice', '\u0430lice', 'x'), ('bob', 'bob', 'x')`;
    await db.prisma.$executeRaw`INSERT INTO chats (kind, name, name_key, public_key) VALUES ('room', 'dev', 'dev', 'dev'), ('room', 'd\u0435v', 'd\u0435v', 'd\u0435v')`;
    const r = await backfillNameSkeletons(db.prisma);
    t.is(r.filled, 3, "alice, bob and dev (general got its own when the database opened)");
    t.deepEqual(r.lookalikes, [{ kind: "user", name: "\u0430lice", looksLike: "alice" }, { kind: "room", name: "d\u0435v", looksLike: "dev" }]);
    const alice = await db.prisma.user.findUnique({ where: { nickKey: "alice" } });
    t.is(alice?.nickSkeleton, confusableKey("alice"));
    t.deepEqual(await backfillNameSkeletons(db.prisma), { filled: 0, lookalikes: r.lookalikes }, "a second start changes nothing");
  });
}
