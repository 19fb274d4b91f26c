// Benchmark: message:search latency (p95) over a chat of 10^4 .. 10^6 messages on PGlite and
// PostgreSQL, bulk-loaded with generate_series from a vocabulary of English and Cyrillic words.
import { createRepositories } from "../../server/db/repositories.js";
import type { SearchQuery } from "../../server/services/ports.js";
import { parseSearch } from "../../server/services/text-match.js";
import { SioClient } from "./clients.js";
import { now, openSeedDatabase, PRISMA_INCLUDE, percentile, seedDatabase, startChatServer, type BenchOutput, type Ctx, type Row, type Seed } from "./lib.js";

const EN = ["alpha", "build", "deploy", "merge", "review", "ticket", "server", "client", "release", "patch"];
const RU = ["привет", "сборка", "релиз", "сервер", "ошибка", "задача", "проверка", "клиент", "версия", "готово"];
const sqlArray = (xs: string[]) => `ARRAY[${xs.map((x) => `'${x}'`).join(",")}]`;

/** Appends messages up to `total`: "<en> <ru> <en> tokenN", so each word has a known frequency. */
async function bulkLoad(seed: Seed, chatId: number, from: number, total: number): Promise<void> {
  const db = await openSeedDatabase(seed);
  try {
    for (let lo = from + 1; lo <= total; lo += 100_000) {
      const hi = Math.min(total, lo + 99_999);
      await db.prisma.$executeRawUnsafe(
        `INSERT INTO messages (chat_id, sender_id, kind, text, client_id)
         SELECT $1::int, $2::int, 'text',
           (${sqlArray(EN)})[1 + g % 10] || ' ' || (${sqlArray(RU)})[1 + (g / 10) % 10] || ' ' || (${sqlArray(EN)})[1 + (g / 100) % 10] || ' token' || (g % 1000),
           gen_random_uuid()
         FROM generate_series($3::int, $4::int) g`,
        chatId, seed.users[0]!.id, lo, hi,
      );
    }
    await db.prisma.$executeRawUnsafe("ANALYZE messages");
  } finally {
    await db.close();
  }
}

/** Queries from frequent (1 in 10) to rare (1 in 1000), phrases and both scripts. */
const QUERIES = ["deploy", "сборка", "token417", "release привет", '"merge релиз"', "patch token9 from:", "alpha in:#"];

async function searchTimes(seed: Seed, reps: number): Promise<{ all: number[]; byQuery: Record<string, number> }> {
  const server = await startChatServer(seed);
  try {
    const user = seed.users[0]!;
    const c = await SioClient.connect(server.url, user.token);
    const room = (await c.request("rooms:list", {})) as { ok: boolean; data?: { rooms: { id: number; name: string }[] } };
    const roomName = room.data?.rooms.find((r) => r.id === seed.rooms[0]!.id)?.name ?? "";
    const all: number[] = [];
    const per: Record<string, number[]> = {};
    for (let i = 0; i < reps; i++) {
      for (const q of QUERIES) {
        const query = q.endsWith("from:") ? `${q}${user.nick}` : q.endsWith("in:#") ? `${q}${roomName}` : q;
        const t0 = now();
        const r = await c.request("message:search", { query, limit: 20 });
        const ms = now() - t0;
        if (!r.ok) throw new Error(`message:search ${query} failed: ${JSON.stringify(r).slice(0, 200)}`);
        all.push(ms);
        (per[q] ??= []).push(ms);
      }
    }
    c.close();
    return { all, byQuery: Object.fromEntries(Object.entries(per).map(([q, xs]) => [q, percentile(xs, 95)])) };
  } finally {
    await server.stop();
  }
}


/**
 * A page of hits loaded in this process, two ways on the same database one after the other:
 * the repository's one statement, and the previous way (the ids, then Prisma's findMany with
 * include, then the chat names): the reference for what the change saves.
 */
async function pageLoadTimes(seed: Seed, chatId: number, reps: number): Promise<{ one: number[]; prisma: number[] }> {
  const db = await openSeedDatabase(seed);
  try {
    const repos = createRepositories(db.prisma);
    const user = seed.users[0]!;
    const one: number[] = [];
    const prisma: number[] = [];
    for (let i = 0; i < reps; i++) {
      for (const q of QUERIES) {
        const parsed = parseSearch(q.endsWith("from:") ? `${q}${user.nick}` : q.endsWith("in:#") ? `${q}room` : q);
        const sq: SearchQuery = {
          words: parsed.words, phrases: parsed.phrases, chatId: parsed.room !== null ? chatId : null, senderId: parsed.from !== null ? user.id : null, before: null, limit: 21,
        };
        const t0 = now();
        const hits = await repos.messages.search(user.id, sq);
        one.push(now() - t0);
        const t1 = now();
        const ids = await previousIds(db.prisma, user.id, sq);
        const rows = await db.prisma.message.findMany({ where: { id: { in: ids.slice(0, 20).map(BigInt) } }, include: PRISMA_INCLUDE });
        await repos.chats.names(rows.map((r) => r.chatId), user.id);
        prisma.push(now() - t1);
        if (rows.length !== Math.min(20, hits.length)) throw new Error(`${q}: the two ways found ${rows.length} and ${hits.length} hits`);
      }
    }
    return { one, prisma };
  } finally {
    await db.close();
  }
}

/** The ids query as the repository ran it before it read the page in the same statement. */
async function previousIds(prisma: Awaited<ReturnType<typeof openSeedDatabase>>["prisma"], userId: number, q: SearchQuery): Promise<number[]> {
  const params: unknown[] = [userId];
  const p = (v: unknown) => (params.push(v), `$${params.length}`);
  const parts = [
    ...q.words.map((w) => `plainto_tsquery('simple'::regconfig, ${p(w)}::text)`),
    ...q.phrases.map((ph) => `phraseto_tsquery('simple'::regconfig, ${p(ph)}::text)`),
  ];
  const where = [
    ...(parts.length > 0 ? [`x.search @@ (${parts.join(" && ")})`] : []),
    `x.kind IN ('text', 'file')`, `x.deleted_at IS NULL`,
    ...(q.chatId !== null ? [`x.chat_id = ${p(q.chatId)}::int`] : []),
    ...(q.senderId !== null ? [`x.sender_id = ${p(q.senderId)}::int`] : []),
  ];
  const rows = await prisma.$queryRawUnsafe<{ id: bigint }[]>(
    `SELECT x.id FROM messages x JOIN memberships m ON m.chat_id = x.chat_id AND m.user_id = $1::int
     WHERE ${where.join(" AND ")} ORDER BY x.id DESC LIMIT ${p(q.limit)}::int`,
    ...params,
  );
  return rows.map((r) => Number(r.id));
}

export async function search(ctx: Ctx): Promise<BenchOutput> {
  const sizes = ctx.quick ? [10_000] : [10_000, 100_000, 1_000_000];
  const reps = ctx.quick ? 20 : 50;
  // BENCH_SEARCH_BACKENDS=postgres (or =pglite) runs one backend only (PGlite loaded 10^6 rows in 44 to 108 s here).
  const only = process.env["BENCH_SEARCH_BACKENDS"]?.split(",");
  const backends = (process.env["DATABASE_URL"] ? ["pglite", "postgres"] as const : ["pglite"] as const).filter((b) => !only || only.includes(b));
  const rows: Row[] = [];
  const details: Record<string, unknown> = { reps, queries: QUERIES };
  for (const backend of backends) {
    const seed = await seedDatabase(ctx, { backend, users: 1, rooms: 1, roomSize: 1 });
    const chatId = seed.rooms[0]!.id;
    try {
      let loaded = 0;
      for (const size of sizes) {
        ctx.log(`search: loading ${size} messages (${backend})`);
        const t0 = now();
        await bulkLoad(seed, chatId, loaded, size);
        const loadSeconds = (now() - t0) / 1000;
        loaded = size;
        const t = await searchTimes(seed, reps);
        const load = await pageLoadTimes(seed, chatId, ctx.quick ? 5 : 20);
        const label = size.toExponential(0).replace("e+", "e");
        details[`${backend} ${label}`] = {
          loadSeconds, p50: percentile(t.all, 50), p95: percentile(t.all, 95), byQueryP95: t.byQuery,
          pageLoad: { oneStatementP50: percentile(load.one, 50), oneStatementP95: percentile(load.one, 95), previousP50: percentile(load.prisma, 50), previousP95: percentile(load.prisma, 95) },
        };
        rows.push({
          bench: "search", metric: `${label} messages: search p95 (${backend})`, unit: "ms", value: percentile(t.all, 95),
          target: { op: "<=", value: 50, text: "p95 <= 50 ms" }, note: `p50 ${percentile(t.all, 50).toFixed(2)} ms; bulk load ${loadSeconds.toFixed(1)} s`,
        }, {
          bench: "search", metric: `${label} messages: page load in-process p95 (${backend})`, unit: "ms", value: percentile(load.one, 95),
          refs: [{ name: "ids + Prisma include + names (before)", value: percentile(load.prisma, 95) }],
          note: `one statement p50 ${percentile(load.one, 50).toFixed(2)} ms; before p50 ${percentile(load.prisma, 50).toFixed(2)} ms`,
        });
      }
    } finally {
      await seed.drop();
    }
  }
  return { rows, details };
}
