// Benchmark 4, history: latency of the newest page and of a page deep in a chat of 10^4, 10^5,
// 10^6 and 10^7 messages (bulk-loaded with generate_series), through the API, against the same
// keyset query run directly on the database; in between, the layers of a history:fetch timed
// alone in process (the membership check, the repository's page, Prisma's nested include).
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { createRepositories, warmUp } from "../../server/db/repositories.js";
import { SioClient } from "./clients.js";
import { now, openSeedDatabase, PRISMA_INCLUDE, percentile, seedDatabase, startChatServer, type BenchOutput, type Ctx, type Row, type Seed } from "./lib.js";

const PAGE = 50;
/**
 * The first requests of each kind after a server (or a connection) starts, reported apart as
 * well: p99 is the 3rd worst of 300, so a few cold requests alone can set it. The headline
 * p99s count every request; "steady" leaves these out; "cold" is the worst of these.
 */
const COLD = 5;
const split = (xs: number[]) => ({ cold: Math.max(...xs.slice(0, COLD)), steadyP99: percentile(xs.slice(COLD), 99) });

/** Appends messages up to `total` in the chat, in one statement per 10^5 rows. */
export async function bulkLoad(seed: Seed, chatId: number, from: number, total: number): Promise<void> {
  const db = await openSeedDatabase(seed);
  try {
    for (let lo = from + 1; lo <= total; lo += 100_000) {
      const hi = Math.min(total, lo + 99_999);
      await db.prisma.$executeRawUnsafe(
        `INSERT INTO messages (chat_id, sender_id, kind, text, client_id, created_at)
         SELECT $1::int, $2::int, 'text', 'history message ' || g, gen_random_uuid(), now() - make_interval(secs => $3::int - g)
         FROM generate_series($4::int, $5::int) g`,
        chatId, seed.users[0]!.id, total, lo, hi,
      );
    }
    await db.prisma.$executeRawUnsafe("ANALYZE messages");
  } finally {
    await db.close();
  }
}

const KEYSET = `SELECT m.id, m.chat_id, m.sender_id, m.kind, m.text, m.client_id, m.created_at, u.nick
  FROM messages m JOIN users u ON u.id = m.sender_id
  WHERE m.chat_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT ${PAGE + 1}`;

type Times = { newest: number[]; deep: number[] };

/** The page queries straight on the database: PostgreSQL through `pg`, PGlite through its own API. */
async function rawTimes(seed: Seed, chatId: number, deepBefore: number, reps: number): Promise<Times> {
  const where = seed.args[1]!;
  let query: (sql: string, params: unknown[]) => Promise<unknown>;
  let close: () => Promise<void>;
  if (seed.backend === "postgres") {
    const c = new pg.Client({ connectionString: where });
    await c.connect();
    query = (sql, params) => c.query(sql, params);
    close = () => c.end();
  } else {
    const db = await PGlite.create(where);
    query = (sql, params) => db.query(sql, params);
    close = () => db.close();
  }
  const t: Times = { newest: [], deep: [] };
  try {
    for (let i = 0; i < reps; i++) {
      let t0 = now();
      await query(KEYSET, [chatId, Number.MAX_SAFE_INTEGER]);
      t.newest.push(now() - t0);
      t0 = now();
      await query(KEYSET, [chatId, deepBefore]);
      t.deep.push(now() - t0);
    }
  } finally {
    await close();
  }
  return t;
}


type Layers = { member: number[]; repoNewest: number[]; repoDeep: number[]; includeNewest: number[]; includeDeep: number[] };

/** What a history:fetch does below the socket, each part timed alone through the server's own repositories. */
async function layerTimes(seed: Seed, chatId: number, deepBefore: number, reps: number): Promise<Layers> {
  const db = await openSeedDatabase(seed);
  // The server's own repositories: the history page and the membership check through its SQL seam.
  const repos = createRepositories(db.prisma, { sql: db.sql });
  // Warmed as chat-server warms its own at start (warmUp), so that these are the layers of a
  // server's request; the first requests are reported apart all the same (COLD).
  await warmUp(repos, db.warmConnections);
  const userId = seed.users[0]!.id;
  const t: Layers = { member: [], repoNewest: [], repoDeep: [], includeNewest: [], includeDeep: [] };
  const time = async (xs: number[], f: () => Promise<unknown>) => {
    const t0 = now();
    await f();
    xs.push(now() - t0);
  };
  try {
    for (let i = 0; i < reps; i++) {
      await time(t.member, () => repos.chats.getMembership(chatId, userId));
      // The page as history:fetch reads it: with the reader's membership in the same statement.
      await time(t.repoNewest, () => repos.messages.listBefore(chatId, null, PAGE + 1, userId));
      await time(t.repoDeep, () => repos.messages.listBefore(chatId, deepBefore, PAGE + 1, userId));
      await time(t.includeNewest, () => db.prisma.message.findMany({ where: { chatId }, orderBy: { id: "desc" }, take: PAGE + 1, include: PRISMA_INCLUDE }));
      await time(t.includeDeep, () => db.prisma.message.findMany({ where: { chatId, id: { lt: BigInt(deepBefore) } }, orderBy: { id: "desc" }, take: PAGE + 1, include: PRISMA_INCLUDE }));
    }
  } finally {
    await db.close();
  }
  return t;
}

async function apiTimes(seed: Seed, chatId: number, deepBefore: number, reps: number): Promise<Times> {
  const server = await startChatServer(seed);
  try {
    const c = await SioClient.connect(server.url, seed.users[0]!.token);
    const t: Times = { newest: [], deep: [] };
    for (let i = 0; i < reps; i++) {
      let t0 = now();
      const a = await c.request("history:fetch", { chatId, limit: PAGE });
      t.newest.push(now() - t0);
      t0 = now();
      const b = await c.request("history:fetch", { chatId, before: deepBefore, limit: PAGE });
      t.deep.push(now() - t0);
      if (!a.ok || !b.ok) throw new Error(`history:fetch failed: ${JSON.stringify(a.ok ? b : a).slice(0, 200)}`);
    }
    c.close();
    return t;
  } finally {
    await server.stop();
  }
}

async function idRange(seed: Seed, chatId: number): Promise<{ min: number; max: number }> {
  const db = await openSeedDatabase(seed);
  try {
    const [r] = await db.prisma.$queryRawUnsafe<{ min: bigint; max: bigint }[]>("SELECT min(id) AS min, max(id) AS max FROM messages WHERE chat_id = $1", chatId);
    return { min: Number(r!.min), max: Number(r!.max) };
  } finally {
    await db.close();
  }
}

export async function history(ctx: Ctx): Promise<BenchOutput> {
  // BENCH_HISTORY_SIZES (comma-separated, ascending) picks other sizes, e.g. a full run short of 10^7.
  const chosen = (process.env["BENCH_HISTORY_SIZES"] ?? "").split(",").map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const sizes = chosen.length > 0 ? chosen : ctx.quick ? [1_000, 10_000] : [10_000, 100_000, 1_000_000, 10_000_000];
  const reps = ctx.quick ? 60 : 300;
  const backend: "pglite" | "postgres" = process.env["DATABASE_URL"] ? "postgres" : "pglite";
  // A private room with one member: the messages are the only ones in it.
  const seed = await seedDatabase(ctx, { backend, users: 1, rooms: 1, roomSize: 1 });
  const chatId = seed.rooms[0]!.id;
  const rows: Row[] = [];
  const details: Record<string, unknown> = { backend, page: PAGE, reps };
  const p99 = (xs: number[]) => percentile(xs, 99);
  const deepP99: number[] = [];
  try {
    let loaded = 0;
    for (const size of sizes) {
      ctx.log(`history: loading ${size} messages (${backend})`);
      const t0 = now();
      await bulkLoad(seed, chatId, loaded, size);
      const loadSeconds = (now() - t0) / 1000;
      loaded = size;
      const { min } = await idRange(seed, chatId);
      // Deep: the page just above the oldest 1% of the chat.
      const deepBefore = min + Math.floor(size / 100) + PAGE;
      const raw = await rawTimes(seed, chatId, deepBefore, reps);
      const layers = await layerTimes(seed, chatId, deepBefore, reps);
      const api = await apiTimes(seed, chatId, deepBefore, reps);
      deepP99.push(p99(api.deep));
      details[String(size)] = {
        loadSeconds,
        api: { newestP50: percentile(api.newest, 50), newestP99: p99(api.newest), deepP50: percentile(api.deep, 50), deepP99: p99(api.deep), newest: split(api.newest), deep: split(api.deep) },
        raw: { newestP99: p99(raw.newest), deepP99: p99(raw.deep), newest: split(raw.newest), deep: split(raw.deep) },
        layers: Object.fromEntries(Object.entries(layers).map(([k, xs]) => [k, { p50: percentile(xs, 50), p99: p99(xs), ...split(xs) }])),
      };
      const cold = (xs: number[]) => { const s = split(xs); return `first ${COLD} worst ${s.cold.toFixed(2)} ms, p99 after them ${s.steadyP99.toFixed(2)} ms`; };
      const label = size.toExponential(0).replace("e+", "e");
      const target = { op: "<=" as const, value: 5, text: "page p99 <= 5 ms" };
      rows.push(
        { bench: "history", metric: `${label} messages: newest page p99`, unit: "ms", value: p99(api.newest), refs: [{ name: "raw SQL", value: p99(raw.newest) }], target, note: `p50 ${percentile(api.newest, 50).toFixed(2)} ms, ${backend}; ${cold(api.newest)}` },
        { bench: "history", metric: `${label} messages: deep page p99`, unit: "ms", value: p99(api.deep), refs: [{ name: "raw SQL", value: p99(raw.deep) }], target, note: `p50 ${percentile(api.deep, 50).toFixed(2)} ms; ${cold(api.deep)}; bulk load ${loadSeconds.toFixed(1)} s` },
        {
          bench: "history", metric: `${label} messages: repository page p99 (in process)`, unit: "ms", value: p99(layers.repoDeep),
          refs: [{ name: "Prisma include", value: p99(layers.includeDeep) }, { name: "raw SQL", value: p99(raw.deep) }],
          note: `deep page; p50 ${percentile(layers.repoDeep, 50).toFixed(2)} vs include ${percentile(layers.includeDeep, 50).toFixed(2)} ms; membership check p50 ${percentile(layers.member, 50).toFixed(2)}, p99 ${p99(layers.member).toFixed(2)} ms; ${cold(layers.repoDeep)}`,
        },
      );
    }
    rows.push({
      bench: "history",
      metric: `deep page p99, ${sizes[sizes.length - 1]!.toExponential(0).replace("e+", "e")} / ${sizes[0]!.toExponential(0).replace("e+", "e")} messages`,
      unit: "x",
      value: deepP99[deepP99.length - 1]! / deepP99[0]!,
      target: { op: "<=", value: 1.5, text: "flat: <= 1.5x growth" },
    });
  } finally {
    await seed.drop();
  }
  return { rows, details };
}
