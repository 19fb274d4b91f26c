// The repositories' raw-SQL seam (server/db/sql.ts): on both backends the history page and the
// membership check read through it give exactly what the Prisma path gives, in a time zone
// that is not UTC; its values (bigint, timestamps, NULL, arrays) are those of Prisma's raw
// queries; its errors name no statement, parameter or value; and closing the database
// answers the statements still running instead of cutting them off.
process.env["TZ"] = "Asia/Kolkata";
import test from "ava";
import { openDatabase } from "../server/db/client.js";
import { createRepositories } from "../server/db/repositories.js";
import { safeError } from "../server/log.js";
import { BACKENDS, freshPostgresDatabase, newUser, nick, perBackend, SKIPPED_BACKENDS, uuid, type Backend } from "./helpers/harness.js";

const servers = perBackend(test);
for (const b of SKIPPED_BACKENDS) test.skip(`the SQL seam on ${b} (skipped: DATABASE_URL is not set)`, () => {});

test("this file runs in a time zone that is not UTC (else the timestamp checks prove nothing)", (t) => {
  t.is(new Date(Date.UTC(2026, 0, 1)).getTimezoneOffset(), -330);
});

/** A database of its own (closed by the test), with a small pool on PostgreSQL. */
async function ownDatabase(backend: Backend, poolSize?: number) {
  if (backend === "pglite") return { db: await openDatabase({ dataDir: "memory://" }), drop: async () => {} };
  const fresh = await freshPostgresDatabase();
  return { db: await openDatabase({ dataDir: "", databaseUrl: fresh.url, ...(poolSize ? { poolSize, poolMin: 1 } : {}) }), drop: () => fresh.drop() };
}

for (const backend of BACKENDS) {
  test(`the history page and the membership check through the SQL seam are the Prisma path's, record for record (${backend})`, async (t) => {
    const server = servers.get(backend)!;
    const raw = createRepositories(server.db.prisma, { sql: server.db.sql });
    const viaPrisma = createRepositories(server.db.prisma);
    const alice = await newUser(server, "sqa");
    const bob = await newUser(server, "sqb");
    const room = await alice.ok("room:create", { name: nick("sq"), private: true });
    await alice.ok("room:invite", { chatId: room.id, nick: bob.user.nick });
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push((await alice.ok("message:send", { chatId: room.id, text: `plain ${i}`, clientId: uuid() })).id);
    // Every part of a record: a reply, an edit, a deletion by its author, reactions by two people, a file.
    ids.push((await bob.ok("message:send", { chatId: room.id, text: "a reply", clientId: uuid(), replyTo: ids[1]! })).id);
    await alice.ok("message:edit", { messageId: ids[2]!, text: "edited", clientId: uuid() });
    await alice.ok("message:delete", { messageId: ids[3]! });
    await alice.ok("message:react", { messageId: ids[4]!, emoji: "👍", on: true });
    await bob.ok("message:react", { messageId: ids[4]!, emoji: "🎉", on: true });
    const file = await server.db.prisma.file.create({
      data: { chatId: room.id, uploaderId: bob.user.id, clientId: uuid(), name: "notes.txt", size: 5_000_000_000n, sha256: "a".repeat(64), received: 5_000_000_000n, status: "complete" },
    });
    ids.push((await raw.messages.append({ chatId: room.id, senderId: bob.user.id, kind: "file", text: "notes.txt", clientId: uuid(), fileId: file.id })).message.id);
    const [first, mid, last] = [ids[0]!, ids[4]!, ids.at(-1)!];

    const pages = async (repos: typeof raw) => ({
      newest: await repos.messages.listBefore(room.id, null, 20, alice.user.id),
      before: await repos.messages.listBefore(room.id, mid, 3, bob.user.id),
      ungated: await repos.messages.listBefore(room.id, last, 4),
      after: await repos.messages.listAfter(room.id, first, 3, alice.user.id),
      emptyAfter: await repos.messages.listAfter(room.id, last, 3, alice.user.id),
      around: await repos.messages.listAround(room.id, mid, 2, 3, alice.user.id),
      stranger: await repos.messages.listBefore(room.id, null, 3, 2_000_000_000),
      member: await repos.chats.getMembership(room.id, bob.user.id),
      notMember: await repos.chats.getMembership(room.id, 2_000_000_000),
    });
    const got = await pages(raw);
    t.deepEqual(got, await pages(viaPrisma));
    t.is(got.stranger, null);
    t.is(got.notMember, null);
    t.deepEqual(got.emptyAfter, []);
    t.like(got.member, { chatId: room.id, userId: bob.user.id, open: true, lastReadId: 0 });

    // Against the ORM's own reading (not a raw query): the instants are the stored ones, not
    // shifted by this process's +05:30; the file's 5 GB size survives as a number.
    const orm = await server.db.prisma.message.findMany({ where: { chatId: room.id }, orderBy: { id: "desc" } });
    t.true(orm.length >= ids.length);
    t.deepEqual(got.newest!.map((m) => [m.id, m.createdAt.toISOString(), m.editedAt?.toISOString() ?? null, m.deleted ? m.deleted.at.toISOString() : null]),
      orm.map((m) => [Number(m.id), m.createdAt.toISOString(), m.editedAt?.toISOString() ?? null, m.deletedAt?.toISOString() ?? null]));
    const shared = got.newest!.find((m) => m.id === last)!;
    t.like(shared.file, { id: file.id, size: 5_000_000_000, received: 5_000_000_000, name: "notes.txt", uploaderNick: bob.user.nick, status: "complete" });
    t.is(shared.file!.createdAt.toISOString(), file.createdAt.toISOString());
    t.deepEqual(got.newest!.find((m) => m.id === ids[4])!.reactions, [{ emoji: "👍", nick: alice.user.nick }, { emoji: "🎉", nick: bob.user.nick }]);
    t.like(got.newest!.find((m) => m.id === ids[6])!.replyTo, { id: ids[1], text: "plain 1", deleted: false });

    // And the API answers from it.
    const page = await bob.ok("history:fetch", { chatId: room.id, limit: 3 });
    t.deepEqual(page.messages.map((m: { id: number }) => m.id), got.newest!.slice(0, 3).map((m) => m.id));
    alice.close();
    bob.close();
  });

  test(`the SQL seam's values are Prisma's: bigint, UTC timestamps, NULL, arrays (${backend})`, async (t) => {
    const { sql, prisma } = servers.get(backend)!.db;
    const text = `SELECT 9007199254740993::bigint AS big, 7::int AS small, NULL::bigint AS nothing, ARRAY['a', 'b']::text[] AS arr,
      '2026-01-02 03:04:05.678+00'::timestamptz AS tz, '2026-01-02 03:04:05.678'::timestamp AS plain, true AS yes`;
    const [row] = await sql.query<Record<string, unknown>>(text, []);
    t.deepEqual(row, { big: 9007199254740993n, small: 7, nothing: null, arr: ["a", "b"], tz: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), plain: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), yes: true });
    const [viaPrisma] = await prisma.$queryRawUnsafe<Record<string, unknown>[]>(text);
    t.deepEqual(row, viaPrisma);
  });

  test(`a failing raw statement's error names neither the statement nor its parameters (${backend})`, async (t) => {
    const { sql } = servers.get(backend)!.db;
    const secret = "the body of a private message";
    const e = await t.throwsAsync(sql.query("SELECT $1::bigint AS n FROM users WHERE nick = 'nobody-at-all'", [secret]));
    t.is((e as { code?: string }).code, "22P02");
    const everything = JSON.stringify({ ...e, message: e!.message, stack: e!.stack, logged: safeError(e) });
    t.false(everything.includes(secret), everything);
    t.false(everything.includes("nobody-at-all"), everything);
    t.false("params" in e! || "query" in e! || "detail" in e!);
  });

  test(`closing the database answers the raw statements still running (${backend})`, async (t) => {
    // PostgreSQL with a pool of one: the second statement waits in the pool's queue, which
    // pool.end() would leave unserved; PGlite: both wait in the worker.
    const { db, drop } = await ownDatabase(backend, 1);
    t.teardown(drop);
    // The connection is open first (a new one may take seconds on a loaded machine, past the pool's connect timeout).
    await db.sql.query("SELECT 1", []);
    const slow = db.sql.query<{ n: number }>("SELECT 1 AS n FROM pg_sleep(0.3)", []);
    const queued = db.sql.query<{ n: number }>("SELECT 2 AS n", []);
    t.is(db.sql.inFlight(), 2);
    await db.close();
    t.deepEqual(await slow, [{ n: 1 }]);
    t.deepEqual(await queued, [{ n: 2 }]);
    t.is(db.sql.inFlight(), 0);
    // After the close a statement fails (as unavailable), it does not hang.
    const late = await t.throwsAsync(db.sql.query("SELECT 3 AS n", []));
    t.regex(late!.message, /closed|ended|Cannot use a pool after calling end/i);
  });
}
