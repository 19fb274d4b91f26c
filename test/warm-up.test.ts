// The database warm-up at start (warmUp in server/db/repositories.ts): the pool's floor of
// connections is open before the first request and stays open when idle, and the warm-up reads
// run side by side (one connection each) and write nothing.
import test from "ava";
import pg from "pg";
import { createRepositories, warmUp } from "../server/db/repositories.js";
import type { Repositories } from "../server/services/ports.js";
import { BACKENDS, DATABASE_URL, newUser, sleep, startTestServer } from "./helpers/harness.js";

test("the warm-up runs each read on `connections` connections at once, one kind of read after the other", async (t) => {
  let inFlight = 0;
  const seen: { name: string; inFlight: number }[] = [];
  const read = (name: string) => async () => {
    inFlight++;
    seen.push({ name, inFlight });
    await sleep(5);
    inFlight--;
    return name.startsWith("list") && name !== "listForUser" ? [] : null;
  };
  const fake = {
    sessions: { findValidMany: read("findValidMany") },
    chats: { listForUser: read("listForUser"), getMembership: read("getMembership") },
    messages: { listBefore: read("listBefore"), listAfter: read("listAfter"), listAround: read("listAround") },
  } as unknown as Repositories;
  await warmUp(fake, 3);
  const names = [...new Set(seen.map((s) => s.name))];
  t.deepEqual(names, ["findValidMany", "listForUser", "getMembership", "listBefore", "listAfter", "listAround"]);
  for (const name of names) {
    const runs = seen.filter((s) => s.name === name);
    t.is(runs.length, name === "listBefore" ? 6 : 3, name);
    // All of a kind in flight together (they reach 3), and never mixed with the next kind.
    t.is(Math.max(...runs.map((r) => r.inFlight)), 3, name);
  }
});

for (const backend of BACKENDS) {
  test(`${backend}: the warm-up at start writes nothing and history works after it`, async (t) => {
    const server = await startTestServer(backend);
    try {
      const count = async () => (await server.db.prisma.$queryRawUnsafe<{ n: bigint }[]>(
        "SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM sessions) + (SELECT count(*) FROM memberships) + (SELECT count(*) FROM chats) AS n",
      ))[0]!.n;
      const before = await count();
      await warmUp(createRepositories(server.db.prisma), server.db.warmConnections);
      t.is(await count(), before);
      const a = await newUser(server);
      const chatId = a.ready.chats.find((c) => c.name === "general")!.id;
      const page = await a.ok("history:fetch", { chatId, limit: 5 });
      t.is(page.chatId, chatId);
      a.close();
    } finally {
      await server.stop();
    }
  });
}

const pgTest = DATABASE_URL ? test : test.skip;
pgTest("postgres: the pool's floor of connections is open before the first request and still open after 10 s idle", async (t) => {
  t.timeout(60_000);
  const server = await startTestServer("postgres");
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  try {
    const database = new URL(server.db.location).pathname.slice(1);
    // The server's connections to its own database (this one is to another database).
    const open = async () => Number((await admin.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'", [database],
    )).rows[0]!.n);
    t.true(server.db.warmConnections >= 2, "more than one: a request and the once-a-second session read at the same time");
    t.true(await open() >= server.db.warmConnections, "opened by the warm-up, before any client");
    // pg closes a connection idle for 10 s (idleTimeoutMillis) unless the pool is at its floor.
    await sleep(11_500);
    t.true(await open() >= server.db.warmConnections, "kept open while idle");
  } finally {
    await admin.end();
    await server.stop();
  }
});
