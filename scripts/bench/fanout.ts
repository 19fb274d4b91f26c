// Benchmark 1, fan-out: delivery latency and deliveries per second into rooms at a steady
// offered load, and the most deliveries per second under overload, on chat-server (every
// message persisted), the `ws` floor and ngIRCd, with the same clients and the same load.
import { Histogram, cpuMsOf, now, seedDatabase, sleep, startChatServer, startWorker, type BenchOutput, type Ctx, type Row, type Worker } from "./lib.js";
import { byPackage, topFrames } from "./profile.js";
import { NGIRCD, NGIRCD_SKIP, startNgircd, startWsFloor, type RefServer } from "./servers.js";

type Scenario = {
  name: string;
  rooms: number;
  /** Receivers per room (the sender of each room is one more member). */
  members: number;
  /** Messages per second in total, spread over one sender per room. */
  rate: number;
  durationMs: number;
  warmupMs: number;
  /** Offered rate of the overload phase (messages per second). */
  overloadRate: number;
  overloadMs: number;
};

type Figures = {
  p50: number; p99: number; deliveredPerSec: number; deliveredFraction: number;
  capacityPerSec: number; ackP99?: number; serverCpu?: number; errors?: number; firstError?: string | null; profile?: unknown;
};

const RECEIVER_WORKERS = 2;

async function measure(ctx: Ctx, sc: Scenario, kind: "chat" | "ws" | "irc", setup: {
  target: { kind: "sio"; url: string } | { kind: "ws"; port: number } | { kind: "irc"; port: number };
  receiverSpecs: Record<string, unknown>[];
  senderSpecs: Record<string, unknown>[];
  chatIds?: number[];
  pid: number;
}): Promise<Figures> {
  const workers: Worker[] = Array.from({ length: RECEIVER_WORKERS }, (_, i) => startWorker(`${kind}-recv${i}`));
  const sender = startWorker(`${kind}-send`);
  try {
    const perWorker = Math.ceil(setup.receiverSpecs.length / RECEIVER_WORKERS);
    const connected = await Promise.all(
      workers.map((w, i) => w.call("connect", { target: setup.target, specs: setup.receiverSpecs.slice(i * perWorker, (i + 1) * perWorker), concurrency: 25 })),
    );
    const failed = connected.reduce((s, c) => s + c.failed, 0);
    if (failed > 0) throw new Error(`${kind}: ${failed} receivers failed to connect: ${connected.find((c) => c.firstError)?.firstError}`);
    const s = await sender.call("connect", { target: setup.target, specs: setup.senderSpecs, listen: false });
    if (s.failed > 0) throw new Error(`${kind}: senders failed to connect: ${s.firstError}`);
    await sleep(500); // let presence announcements of the last connections pass

    // Steady offered load: latency of the messages sent within the window.
    const from = now() + sc.warmupMs;
    const to = from + sc.durationMs;
    await Promise.all(workers.map((w) => w.call("measure", { from, to })));
    const cpu0 = cpuMsOf(setup.pid);
    const t0 = now();
    const sent = await sender.call("send", { rate: sc.rate, durationMs: sc.warmupMs + sc.durationMs, senders: setup.senderSpecs.length, chatIds: setup.chatIds, drainMs: 10_000 });
    const cpu = (cpuMsOf(setup.pid) - cpu0) / (now() - t0);
    await sleep(300);
    const reports = await Promise.all(workers.map((w) => w.call("report")));
    const hist = new Histogram();
    for (const r of reports) hist.merge(r.hist);
    const delivered = reports.reduce((n, r) => n + r.deliveries, 0);
    // Over the window, or until the last of its messages arrived when the server fell behind.
    const steadySeconds = Math.max(sc.durationMs, Math.max(...reports.map((r) => r.lastAt)) - from) / 1000;
    const expected = (sc.rate * sc.durationMs * sc.members) / 1000;

    // Overload: offered far above capacity for a while; capacity is every delivery of those
    // messages over the time from the first send to the last delivery.
    await sleep(500);
    const oFrom = now();
    const oTo = oFrom + sc.overloadMs;
    await Promise.all(workers.map((w) => w.call("measure", { from: oFrom, to: oTo })));
    const over = await sender.call("send", { rate: sc.overloadRate, durationMs: sc.overloadMs, senders: setup.senderSpecs.length, chatIds: setup.chatIds, drainMs: 30_000 });
    await sleep(kind === "chat" ? 300 : 1000);
    const oReports = await Promise.all(workers.map((w) => w.call("report")));
    const overDelivered = oReports.reduce((n, r) => n + r.deliveries, 0);
    const lastAt = Math.max(...oReports.map((r) => r.lastAt));
    return {
      p50: hist.pct(50),
      p99: hist.pct(99),
      deliveredPerSec: delivered / steadySeconds,
      deliveredFraction: delivered / expected,
      capacityPerSec: overDelivered / Math.max(sc.overloadMs / 1000, (lastAt - oFrom) / 1000),
      ...(kind === "chat"
        ? { ackP99: new Histogram().merge(sent.ackHist).pct(99), serverCpu: cpu, errors: sent.errors + over.errors, firstError: sent.firstError ?? over.firstError }
        : { serverCpu: cpu }),
    };
  } finally {
    await Promise.all([...workers, sender].map((w) => w.close()));
  }
}

async function chatFigures(ctx: Ctx, sc: Scenario, backend: "pglite" | "postgres", env: Record<string, string> = {}): Promise<Figures> {
  const single = sc.rooms === 1;
  // One room: everyone is in general. Rooms: members+1 consecutive users per room, the last one sends.
  const seed = await seedDatabase(ctx, single ? { backend, users: sc.members + 1 } : { backend, users: sc.rooms * (sc.members + 1), rooms: sc.rooms, roomSize: sc.members + 1 });
  // --profile: the chat-server of the scenario runs with --cpu-prof; its top frames go in the JSON.
  const profDir = ctx.profile ? await ctx.tmp() : null;
  const server = await startChatServer(seed, env, profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : []);
  let stopped = false;
  try {
    const groups = single ? [{ id: seed.generalId, members: seed.users.map((_, i) => i) }] : seed.rooms;
    const receivers = groups.flatMap((g) => g.members.slice(0, sc.members));
    const senders = groups.map((g) => g.members[g.members.length - 1]!);
    const figures = await measure(ctx, sc, "chat", {
      target: { kind: "sio", url: server.url },
      receiverSpecs: receivers.map((i) => ({ token: seed.users[i]!.token })),
      senderSpecs: senders.map((i) => ({ token: seed.users[i]!.token })),
      chatIds: groups.map((g) => g.id),
      pid: server.pid,
    });
    await server.stop();
    stopped = true;
    return profDir ? { ...figures, profile: { top: await topFrames(profDir), byPackage: await byPackage(profDir) } } : figures;
  } finally {
    if (!stopped) await server.stop();
    await seed.drop();
  }
}

async function refFigures(ctx: Ctx, sc: Scenario, kind: "ws" | "irc"): Promise<Figures> {
  const server: RefServer = kind === "ws" ? await startWsFloor() : await startNgircd(ctx);
  try {
    const receiverSpecs: Record<string, unknown>[] = [];
    const senderSpecs: Record<string, unknown>[] = [];
    for (let r = 0; r < sc.rooms; r++) {
      for (let m = 0; m < sc.members; m++) receiverSpecs.push({ room: r, channel: `#r${r}`, nick: `u${r}x${m}` });
      senderSpecs.push({ room: r, channel: `#r${r}`, nick: `s${r}` });
    }
    return await measure(ctx, sc, kind, { target: { kind, port: server.port }, receiverSpecs, senderSpecs, pid: server.pid });
  } finally {
    await server.stop();
  }
}

export async function fanout(ctx: Ctx): Promise<BenchOutput> {
  const q = ctx.quick;
  const backend: "pglite" | "postgres" = process.env["DATABASE_URL"] ? "postgres" : "pglite";
  const scenarios: Scenario[] = [
    { name: `one room of ${q ? 100 : 1000}`, rooms: 1, members: q ? 100 : 1000, rate: q ? 20 : 40, durationMs: q ? 1000 : 8000, warmupMs: q ? 300 : 2000, overloadRate: q ? 200 : 400, overloadMs: q ? 700 : 3000 },
    { name: `${q ? 10 : 100} rooms of 10`, rooms: q ? 10 : 100, members: 10, rate: q ? 500 : 5000, durationMs: q ? 1000 : 8000, warmupMs: q ? 300 : 2000, overloadRate: q ? 1500 : 10000, overloadMs: q ? 700 : 2000 },
  ];
  const rows: Row[] = [];
  const details: Record<string, unknown> = { backend };
  for (const sc of scenarios) {
    ctx.log(`fan-out ${sc.name}: chat-server (${backend})`);
    const chat = await chatFigures(ctx, sc, backend);
    ctx.log(`fan-out ${sc.name}: ws floor`);
    const ws = await refFigures(ctx, sc, "ws");
    let irc: Figures | null = null;
    let ircSkip: string | undefined;
    if (NGIRCD) {
      ctx.log(`fan-out ${sc.name}: ngircd`);
      irc = await refFigures(ctx, sc, "irc").catch((e: Error) => {
        ircSkip = `failed: ${e.message}`;
        return null;
      });
    } else ircSkip = NGIRCD_SKIP;
    details[sc.name] = { scenario: sc, chat, ws, irc, ircSkip };
    const refs = (pick: (f: Figures) => number) => [
      { name: "ws floor", value: pick(ws) },
      { name: "ngircd", value: irc ? pick(irc) : null, ...(irc ? {} : { skipped: ircSkip! }) },
    ];
    const single = sc.rooms === 1;
    const load = `${sc.rate} msg/s = ${sc.rate * sc.members} deliveries/s offered, ${backend}`;
    rows.push(
      { bench: "fanout", metric: `${sc.name}: delivery p50`, unit: "ms", value: chat.p50, refs: refs((f) => f.p50), note: load },
      {
        bench: "fanout", metric: `${sc.name}: delivery p99`, unit: "ms", value: chat.p99, refs: refs((f) => f.p99),
        target: single ? { op: "<=", value: 15, text: "p99 <= 15 ms (1,000-member room)" } : { op: "<=", value: 10, text: "p99 <= 10 ms at 5k msg/s into rooms of 10" },
        note: `${(chat.deliveredFraction * 100).toFixed(1)}% delivered in time; ack p99 ${chat.ackP99?.toFixed(1)} ms; server CPU ${((chat.serverCpu ?? 0) * 100).toFixed(0)}%${chat.errors ? `; ${chat.errors} errors: ${chat.firstError}` : ""}`,
      },
      { bench: "fanout", metric: `${sc.name}: deliveries/s at steady load`, unit: "/s", value: chat.deliveredPerSec, refs: refs((f) => f.deliveredPerSec) },
      {
        bench: "fanout", metric: `${sc.name}: deliveries/s under overload`, unit: "/s", value: chat.capacityPerSec, refs: refs((f) => f.capacityPerSec),
        ...(single ? {} : { target: { op: ">=" as const, value: 60_000, text: ">= 60k deliveries/s per node, persisted" } }),
        note: `offered ${sc.overloadRate} msg/s`,
      },
    );
  }
  return { rows, details };
}
