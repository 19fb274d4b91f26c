// Benchmark: the fan-out cost of edits and reactions (issue 15). One user of a room of N edits,
// then reacts to, one message after another at a steady rate; every other member receives each
// change as `message:updated`. Reported next to `message:send` by the same user at the same
// rate into the same room in the same run: ack p99, delivery p99 and server CPU per delivery.
import { Histogram, cpuMsOf, now, openSeedDatabase, seedDatabase, sleep, startChatServer, startWorker, type BenchOutput, type Ctx, type Row, type Seed, type Worker } from "./lib.js";

const RECEIVER_WORKERS = 2;

type Phase = { ackP99: number; deliveryP50: number; deliveryP99: number; deliveries: number; expected: number; cpuUsPerDelivery: number; errors: number; firstError: string | null };

/** Messages of the acting user to edit and react to, inserted before the server starts (no one receives them). */
async function targets(seed: Seed, chatId: number, senderId: number, n: number): Promise<number[]> {
  const db = await openSeedDatabase(seed);
  try {
    const rows = await db.prisma.$queryRawUnsafe<{ id: bigint }[]>(
      `INSERT INTO messages (chat_id, sender_id, kind, text, client_id)
       SELECT $1::int, $2::int, 'text', 'target ' || g, gen_random_uuid() FROM generate_series(1, $3::int) g RETURNING id`,
      chatId, senderId, n,
    );
    return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  } finally {
    await db.close();
  }
}

/** Waits until `count()` reaches `expected` or `ms` pass. */
async function settle(count: () => Promise<number>, expected: number, ms: number): Promise<void> {
  const deadline = now() + ms;
  while (now() < deadline && (await count()) < expected) await sleep(200);
}

async function sendPhase(receivers: Worker[], actor: Worker, pid: number, chatId: number, rate: number, ops: number, members: number): Promise<Phase> {
  const durationMs = (ops / rate) * 1000;
  await Promise.all(receivers.map((w) => w.call("stamps")));
  const from = now();
  await Promise.all(receivers.map((w) => w.call("measure", { from, to: from + durationMs + 5_000 })));
  const cpu0 = cpuMsOf(pid);
  const sent = await actor.call("send", { rate, durationMs, senders: 1, chatIds: [chatId], drainMs: 10_000 });
  const expected = sent.sent * members;
  const delivered = async () => (await Promise.all(receivers.map((w) => w.call("report")))).reduce((n, r) => n + r.deliveries, 0);
  await settle(delivered, expected, 10_000);
  const cpu = cpuMsOf(pid) - cpu0;
  const reports = await Promise.all(receivers.map((w) => w.call("report")));
  const hist = new Histogram();
  for (const r of reports) hist.merge(r.hist);
  return {
    ackP99: new Histogram().merge(sent.ackHist).pct(99), deliveryP50: hist.pct(50), deliveryP99: hist.pct(99), deliveries: hist.n, expected,
    cpuUsPerDelivery: (cpu * 1000) / Math.max(1, hist.n), errors: sent.errors, firstError: sent.firstError,
  };
}

async function actPhase(kind: "edit" | "react", receivers: Worker[], actor: Worker, pid: number, messageIds: number[], rate: number, members: number): Promise<Phase> {
  await Promise.all(receivers.map((w) => w.call("track")));
  const cpu0 = cpuMsOf(pid);
  const done = await actor.call("act", { kind, rate, messageIds });
  const expected = done.sent * members;
  const arrivals = async () => (await Promise.all(receivers.map((w) => w.call("tracked")))) as [number, number[]][][];
  const count = async () => (await arrivals()).flat().reduce((n, [, times]) => n + times.length, 0);
  await settle(count, expected, 10_000);
  const cpu = cpuMsOf(pid) - cpu0;
  const sentAt = new Map<number, number>(done.sentAt);
  const hist = new Histogram();
  for (const [id, times] of (await arrivals()).flat()) {
    const at = sentAt.get(id);
    if (at !== undefined) for (const t of times) hist.record(t - at);
  }
  return {
    ackP99: new Histogram().merge(done.ackHist).pct(99), deliveryP50: hist.pct(50), deliveryP99: hist.pct(99), deliveries: hist.n, expected,
    cpuUsPerDelivery: (cpu * 1000) / Math.max(1, hist.n), errors: done.errors, firstError: done.firstError,
  };
}

export async function conversations(ctx: Ctx): Promise<BenchOutput> {
  const n = ctx.quick ? 50 : 200;
  const rate = ctx.quick ? 10 : 20;
  const ops = ctx.quick ? 20 : 160;
  const backend: "pglite" | "postgres" = process.env["DATABASE_URL"] ? "postgres" : "pglite";
  ctx.log(`conversations: a room of ${n} (${backend}), ${rate} operations/s`);
  const seed = await seedDatabase(ctx, { backend, users: n });
  const receivers: Worker[] = [];
  let actor: Worker | null = null;
  try {
    const actorUser = seed.users[n - 1]!;
    const WARMUP = 5;
    const ids = await targets(seed, seed.generalId, actorUser.id, 2 * ops + 2 * WARMUP);
    const server = await startChatServer(seed);
    try {
      const target = { kind: "sio", url: server.url };
      const specs = seed.users.slice(0, n - 1).map((u) => ({ token: u.token }));
      const per = Math.ceil(specs.length / RECEIVER_WORKERS);
      for (let i = 0; i < RECEIVER_WORKERS; i++) receivers.push(startWorker(`conv-recv${i}`));
      const connected = await Promise.all(receivers.map((w, i) => w.call("connect", { target, specs: specs.slice(i * per, (i + 1) * per), concurrency: 25 })));
      const failed = connected.reduce((s, c) => s + c.failed, 0);
      if (failed > 0) throw new Error(`${failed} members failed to connect: ${connected.find((c) => c.firstError)?.firstError}`);
      actor = startWorker("conv-actor");
      const a = await actor.call("connect", { target, specs: [{ token: actorUser.token }], listen: false });
      if (a.failed > 0) throw new Error(`the acting user failed to connect: ${a.firstError}`);
      await sleep(500); // presence announcements of the last connections pass
      const members = n - 1;
      // A cold server (JIT, first queries of each kind) would put its start-up in the first phase's tail.
      ctx.log("conversations: warm-up");
      await sendPhase(receivers, actor, server.pid, seed.generalId, rate, WARMUP, members);
      await actPhase("edit", receivers, actor, server.pid, ids.slice(2 * ops, 2 * ops + WARMUP), rate, members);
      await actPhase("react", receivers, actor, server.pid, ids.slice(2 * ops + WARMUP), rate, members);
      ctx.log("conversations: message:send (reference)");
      const send = await sendPhase(receivers, actor, server.pid, seed.generalId, rate, ops, members);
      ctx.log("conversations: message:edit");
      const edit = await actPhase("edit", receivers, actor, server.pid, ids.slice(0, ops), rate, members);
      ctx.log("conversations: message:react");
      const react = await actPhase("react", receivers, actor, server.pid, ids.slice(ops, 2 * ops), rate, members);
      const rows: Row[] = [];
      const room = `room of ${n}`;
      const note = (p: Phase) =>
        `${rate} ops/s, ${backend}; ${p.deliveries}/${p.expected} delivered; delivery p50 ${p.deliveryP50.toFixed(1)} ms${p.errors ? `; ${p.errors} errors: ${p.firstError}` : ""}`;
      for (const [name, p] of [["edit", edit], ["react", react]] as const) {
        rows.push(
          { bench: "conversations", metric: `${room}: ${name} ack p99`, unit: "ms", value: p.ackP99, refs: [{ name: "message:send", value: send.ackP99 }], note: note(p) },
          { bench: "conversations", metric: `${room}: ${name} message:updated delivery p99`, unit: "ms", value: p.deliveryP99, refs: [{ name: "message:send", value: send.deliveryP99 }] },
          { bench: "conversations", metric: `${room}: ${name} server CPU per delivery`, unit: "µs", value: p.cpuUsPerDelivery, refs: [{ name: "message:send", value: send.cpuUsPerDelivery }] },
        );
      }
      return { rows, details: { backend, members: n, rate, ops, send, edit, react } };
    } finally {
      await Promise.all([...receivers, ...(actor ? [actor] : [])].map((w) => w.close()));
      await server.stop();
    }
  } finally {
    await seed.drop();
  }
}
