// Benchmark 1, fan-out: delivery latency and deliveries per second into rooms at a steady
// offered load, and the most deliveries per second under overload, on chat-server (every
// message persisted), the `ws` floor and ngIRCd, with the same load and receivers of the same
// design for all three: raw TCP chunks scanned for stamps (RawWsReceiver, IrcClient).
// Every scenario reports the server's CPU per delivery (utime+stime from /proc/<pid>/stat over
// the steady phase, until its last delivery arrived, divided by the deliveries made), sends
// refused (by ack error code) and deliveries made against expected.
// FANOUT_SCENARIOS=a,b runs only the scenarios whose name contains one of the strings.
import { Histogram, cpuMsOf, now, seedDatabase, sleep, startChatServer, startWorker, type BenchOutput, type Ctx, type Row, type Worker } from "./lib.js";
import { byPackage, topFrames } from "./profile.js";
import { NGIRCD, NGIRCD_SKIP, startNgircd, startWsFloor, type RefServer } from "./servers.js";

type Scenario = {
  name: string;
  rooms: number;
  /** Receivers per room (the senders of each room are members too, not counted as receivers). */
  members: number;
  /** Senders per room (1 unless given). */
  senders?: number;
  /** Messages per second in total, spread round-robin over every sender. */
  rate: number;
  durationMs: number;
  warmupMs: number;
  /** Offered rate of the overload phase (messages per second); no overload phase when absent. */
  overloadRate?: number;
  overloadMs?: number;
  /** Issue 17 target 1: p99 no worse than ngircd's, nothing refused, everything delivered, CPU per delivery <= 1.5x ngircd's. */
  ircTargets?: boolean;
};

type Figures = {
  p50: number; p99: number; deliveredPerSec: number; deliveredFraction: number;
  capacityPerSec: number | null; ackP99?: number; serverCpu?: number; errors?: number; firstError?: string | null; profile?: unknown;
  /** Messages sent in the steady phase (warm-up included), acknowledged, refused (by code), never answered. */
  sent: number; acked?: number; refused?: number; refusedBy?: Record<string, number>; unacked?: number;
  /** Deliveries of every message of the steady phase made, and expected (sent x receivers). */
  made: number; expected: number;
  /** Server CPU (user + system) per delivery made over the steady phase, µs. */
  cpuPerDeliveryUs: number;
  /** The receiver workers' own CPU over the same phase: per delivery made (µs) and in cores. */
  receiverCpuPerDeliveryUs: number;
  receiverCpu: number;
  /** TCP reads per delivery made at the receivers over the phase (null: the `ws`-library receivers do not count them). */
  readsPerDelivery: number | null;
};

const RECEIVER_WORKERS = 2;
/**
 * The receivers: "raw" (default) reads raw TCP chunks and scans them for stamps, for chat-server
 * and the `ws` floor alike, as the IRC receivers do (RawWsReceiver); "ws" (FANOUT_RECEIVERS=ws)
 * are the `ws`-library clients that parse every frame into a message event, as before 2026-12-03.
 */
const RAW_RECEIVERS = (process.env["FANOUT_RECEIVERS"] ?? "raw") !== "ws";

/** Waits until the server is quiet (under 10 % of a core over 300 ms: the presence of the last connections has gone out), at most 20 s. */
async function quiet(pid: number): Promise<void> {
  const deadline = now() + 20_000;
  await sleep(300);
  while (now() < deadline) {
    const c0 = cpuMsOf(pid);
    const t0 = now();
    await sleep(300);
    if ((cpuMsOf(pid) - c0) / (now() - t0) < 0.1) return;
  }
}

/** Waits until the receivers got `expected` deliveries, or none arrived for 2 s, or `maxMs` passed; returns how many. */
async function settle(workers: Worker[], expected: number, maxMs: number): Promise<number> {
  const deadline = now() + maxMs;
  let last = -1;
  let lastChange = now();
  for (;;) {
    const counts: number[] = await Promise.all(workers.map((w) => w.call<number>("count")));
    const n = counts.reduce((a, b) => a + b, 0);
    if (n >= expected || now() > deadline) return n;
    if (n !== last) {
      last = n;
      lastChange = now();
    } else if (now() - lastChange > 2000) return n;
    await sleep(50);
  }
}

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
      workers.map((w, i) => w.call("connect", { target: setup.target, specs: setup.receiverSpecs.slice(i * perWorker, (i + 1) * perWorker), concurrency: 25, raw: RAW_RECEIVERS })),
    );
    const failed = connected.reduce((s, c) => s + c.failed, 0);
    if (failed > 0) throw new Error(`${kind}: ${failed} receivers failed to connect: ${connected.find((c) => c.firstError)?.firstError}`);
    const s = await sender.call("connect", { target: setup.target, specs: setup.senderSpecs, listen: false });
    if (s.failed > 0) throw new Error(`${kind}: senders failed to connect: ${s.firstError}`);
    await quiet(setup.pid); // let presence announcements of the last connections pass

    // Steady offered load: latency of the messages sent within the window.
    const from = now() + sc.warmupMs;
    const to = from + sc.durationMs;
    await Promise.all(workers.map((w) => w.call("measure", { from, to })));
    const receiversCpu = () => workers.reduce((ms, w) => ms + cpuMsOf(w.child.pid!), 0);
    const reads = async () => (await Promise.all(workers.map((w) => w.call<{ reads: number; clients: number }>("reads")))).reduce((a, r) => ({ reads: a.reads + r.reads, clients: a.clients + r.clients }), { reads: 0, clients: 0 });
    const reads0 = await reads();
    const cpu0 = cpuMsOf(setup.pid);
    const rcpu0 = receiversCpu();
    const t0 = now();
    const sent = await sender.call("send", { rate: sc.rate, durationMs: sc.warmupMs + sc.durationMs, senders: setup.senderSpecs.length, chatIds: setup.chatIds, drainMs: 10_000 });
    // Every message of the phase goes to every receiver of its room.
    const expected = sent.sent * sc.members;
    const made = await settle(workers, expected, 30_000);
    const cpuMs = cpuMsOf(setup.pid) - cpu0;
    const rcpuMs = receiversCpu() - rcpu0;
    const cpu = cpuMs / (now() - t0);
    const receiverCpu = rcpuMs / (now() - t0);
    const reads1 = await reads();
    const reports = await Promise.all(workers.map((w) => w.call("report")));
    const hist = new Histogram();
    for (const r of reports) hist.merge(r.hist);
    const delivered = reports.reduce((n, r) => n + r.deliveries, 0);
    // Over the window, or until the last of its messages arrived when the server fell behind.
    const steadySeconds = Math.max(sc.durationMs, Math.max(...reports.map((r) => r.lastAt)) - from) / 1000;
    const windowExpected = (sc.rate * sc.durationMs * sc.members) / 1000;

    // Overload: offered far above capacity for a while; capacity is every delivery of those
    // messages over the time from the first send to the last delivery.
    let capacityPerSec: number | null = null;
    let over: { errors: number; firstError: string | null } | null = null;
    if (sc.overloadRate && sc.overloadMs) {
      await sleep(500);
      const oFrom = now();
      const oTo = oFrom + sc.overloadMs;
      await Promise.all(workers.map((w) => w.call("measure", { from: oFrom, to: oTo })));
      over = await sender.call("send", { rate: sc.overloadRate, durationMs: sc.overloadMs, senders: setup.senderSpecs.length, chatIds: setup.chatIds, drainMs: 30_000 });
      await sleep(kind === "chat" ? 300 : 1000);
      const oReports = await Promise.all(workers.map((w) => w.call("report")));
      const overDelivered = oReports.reduce((n, r) => n + r.deliveries, 0);
      const lastAt = Math.max(...oReports.map((r) => r.lastAt));
      capacityPerSec = overDelivered / Math.max(sc.overloadMs / 1000, (lastAt - oFrom) / 1000);
    }
    return {
      p50: hist.pct(50),
      p99: hist.pct(99),
      deliveredPerSec: delivered / steadySeconds,
      deliveredFraction: delivered / windowExpected,
      capacityPerSec,
      sent: sent.sent,
      made,
      expected,
      cpuPerDeliveryUs: made > 0 ? (cpuMs * 1000) / made : NaN,
      serverCpu: cpu,
      receiverCpuPerDeliveryUs: made > 0 ? (rcpuMs * 1000) / made : NaN,
      receiverCpu,
      readsPerDelivery: reads1.clients > 0 && made > 0 ? (reads1.reads - reads0.reads) / made : null,
      ...(kind === "chat"
        ? {
            ackP99: new Histogram().merge(sent.ackHist).pct(99),
            acked: sent.acked,
            refused: sent.errors,
            refusedBy: sent.codes,
            unacked: sent.sent - sent.acked - sent.errors,
            errors: sent.errors + (over?.errors ?? 0),
            firstError: sent.firstError ?? over?.firstError ?? null,
          }
        : {}),
    };
  } finally {
    await Promise.all([...workers, sender].map((w) => w.close()));
  }
}

async function chatFigures(ctx: Ctx, sc: Scenario, backend: "pglite" | "postgres", env: Record<string, string> = {}): Promise<Figures> {
  const single = sc.rooms === 1;
  const senders = sc.senders ?? 1;
  // One room: everyone is in general. Rooms: members+senders consecutive users per room, the last ones send.
  const seed = await seedDatabase(ctx, single ? { backend, users: sc.members + senders } : { backend, users: sc.rooms * (sc.members + senders), rooms: sc.rooms, roomSize: sc.members + senders });
  // --profile: the chat-server of the scenario runs with --cpu-prof; its top frames go in the JSON.
  const profDir = ctx.profile ? await ctx.tmp() : null;
  const server = await startChatServer(seed, env, profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : []);
  let stopped = false;
  try {
    const groups = single ? [{ id: seed.generalId, members: seed.users.map((_, i) => i) }] : seed.rooms;
    const receivers = groups.flatMap((g) => g.members.slice(0, sc.members));
    // Round-robin over rooms first: sender i sends to chatIds[i % rooms].
    const senderIdx = Array.from({ length: senders }, (_, k) => groups.map((g) => g.members[sc.members + k]!)).flat();
    const figures = await measure(ctx, sc, "chat", {
      target: { kind: "sio", url: server.url },
      receiverSpecs: receivers.map((i) => ({ token: seed.users[i]!.token })),
      senderSpecs: senderIdx.map((i) => ({ token: seed.users[i]!.token })),
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
    }
    // In the order of chat-server's: sender i sends to room i % rooms.
    for (let k = 0; k < (sc.senders ?? 1); k++) for (let r = 0; r < sc.rooms; r++) senderSpecs.push({ room: r, channel: `#r${r}`, nick: `s${r}x${k}` });
    return await measure(ctx, sc, kind, { target: { kind, port: server.port }, receiverSpecs, senderSpecs, pid: server.pid });
  } finally {
    await server.stop();
  }
}

export async function fanout(ctx: Ctx): Promise<BenchOutput> {
  const q = ctx.quick;
  const backend: "pglite" | "postgres" = process.env["DATABASE_URL"] ? "postgres" : "pglite";
  const big = q ? 100 : 1000;
  const all: Scenario[] = [
    { name: `one room of ${big}`, rooms: 1, members: big, rate: q ? 20 : 40, durationMs: q ? 1000 : 8000, warmupMs: q ? 300 : 2000, overloadRate: q ? 200 : 400, overloadMs: q ? 700 : 3000 },
    // Issue 17 target 1: 10 senders into one room of 1,000 at 100 and at 400 msg/s, steady.
    ...(q ? [20, 80] : [100, 400]).map((rate): Scenario => ({
      name: `one room of ${big}, 10 senders, ${rate} msg/s`, rooms: 1, members: big, senders: 10, rate, durationMs: q ? 1000 : 8000, warmupMs: q ? 300 : 2000, ircTargets: true,
    })),
    { name: `${q ? 10 : 100} rooms of 10`, rooms: q ? 10 : 100, members: 10, rate: q ? 500 : 5000, durationMs: q ? 1000 : 8000, warmupMs: q ? 300 : 2000, overloadRate: q ? 1500 : 10000, overloadMs: q ? 700 : 2000 },
  ];
  const only = (process.env["FANOUT_SCENARIOS"] ?? "").split(",").map((x) => x.trim()).filter(Boolean);
  const scenarios = only.length ? all.filter((sc) => only.some((o) => sc.name.includes(o))) : all;
  const rows: Row[] = [];
  const details: Record<string, unknown> = { backend, receivers: RAW_RECEIVERS ? "raw" : "ws" };
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
    const refs = (pick: (f: Figures) => number | null) => [
      { name: "ws floor", value: pick(ws) },
      { name: "ngircd", value: irc ? pick(irc) : null, ...(irc ? {} : { skipped: ircSkip! }) },
    ];
    const single = sc.rooms === 1;
    const load = `${sc.rate} msg/s from ${sc.rooms * (sc.senders ?? 1)} senders = ${sc.rate * sc.members} deliveries/s offered, ${backend}`;
    const refusedBy = Object.entries(chat.refusedBy ?? {}).map(([c, n]) => `${c} ${n}`).join(", ");
    const p99Target = sc.ircTargets
      ? irc ? { op: "<=" as const, value: irc.p99, text: "p99 <= ngircd's in the same run" } : undefined
      : single ? { op: "<=" as const, value: 15, text: "p99 <= 15 ms (1,000-member room)" } : { op: "<=" as const, value: 10, text: "p99 <= 10 ms at 5k msg/s into rooms of 10" };
    rows.push(
      { bench: "fanout", metric: `${sc.name}: delivery p50`, unit: "ms", value: chat.p50, refs: refs((f) => f.p50), note: load },
      {
        bench: "fanout", metric: `${sc.name}: delivery p99`, unit: "ms", value: chat.p99, refs: refs((f) => f.p99),
        ...(p99Target ? { target: p99Target } : {}),
        note: `${(chat.deliveredFraction * 100).toFixed(1)}% delivered in time; ack p99 ${chat.ackP99?.toFixed(1)} ms; server CPU ${((chat.serverCpu ?? 0) * 100).toFixed(0)}%${chat.errors ? `; ${chat.errors} errors: ${chat.firstError}` : ""}`,
      },
      { bench: "fanout", metric: `${sc.name}: deliveries/s at steady load`, unit: "/s", value: chat.deliveredPerSec, refs: refs((f) => f.deliveredPerSec) },
      {
        bench: "fanout", metric: `${sc.name}: server CPU per delivery`, unit: "µs", value: chat.cpuPerDeliveryUs, refs: refs((f) => f.cpuPerDeliveryUs),
        ...(sc.ircTargets && irc ? { target: { op: "<=" as const, value: 1.5 * irc.cpuPerDeliveryUs, text: "<= 1.5x ngircd's CPU per delivery" } } : {}),
        note: `utime+stime from /proc over the steady phase / deliveries made (${chat.made} of ${chat.expected})`,
      },
      {
        bench: "fanout", metric: `${sc.name}: receivers' CPU per delivery`, unit: "µs", value: chat.receiverCpuPerDeliveryUs, refs: refs((f) => f.receiverCpuPerDeliveryUs),
        note: `the load generator's ${RECEIVER_WORKERS} receiver processes (${RAW_RECEIVERS ? "raw TCP" : "ws library"}), utime+stime over the same phase; ${(chat.receiverCpu * 100).toFixed(0)}% of a core${chat.readsPerDelivery !== null ? `; TCP reads per delivery: chat-server ${chat.readsPerDelivery.toFixed(3)}, ws floor ${ws.readsPerDelivery?.toFixed(3)}, ngircd ${irc?.readsPerDelivery?.toFixed(3) ?? "-"}` : ""}`,
      },
      {
        bench: "fanout", metric: `${sc.name}: deliveries made / expected`, unit: "", value: chat.expected ? chat.made / chat.expected : null, refs: refs((f) => (f.expected ? f.made / f.expected : null)),
        ...(sc.ircTargets ? { target: { op: ">=" as const, value: 1, text: "everything delivered" } } : {}),
        note: `${chat.made} of ${chat.expected} (${chat.sent} sent x ${sc.members} receivers)`,
      },
      {
        bench: "fanout", metric: `${sc.name}: sends refused`, unit: "", value: chat.refused ?? 0,
        ...(sc.ircTargets ? { target: { op: "<=" as const, value: 0, text: "nothing refused" } } : {}),
        note: `${chat.sent} sent, ${chat.acked} acked, ${chat.unacked} never answered${refusedBy ? `; refused by code: ${refusedBy}` : ""}`,
      },
    );
    if (sc.overloadRate) {
      rows.push({
        bench: "fanout", metric: `${sc.name}: deliveries/s under overload`, unit: "/s", value: chat.capacityPerSec, refs: refs((f) => f.capacityPerSec),
        ...(single ? {} : { target: { op: ">=" as const, value: 60_000, text: ">= 60k deliveries/s per node, persisted" } }),
        note: `offered ${sc.overloadRate} msg/s`,
      });
    }
  }
  return { rows, details };
}
