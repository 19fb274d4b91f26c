// Benchmark: join storms. n clients connect into one room (general), chat-server's CPU for the
// whole storm from /proc (utime+stime of the server process), the frames and bytes the clients
// received and the time until all are in; the same joins against ngIRCd (NICK/USER/JOIN over
// raw TCP) with its CPU. Protocol 1 clients get today's presence (presence:update per user to
// everyone, the whole online list in every session:ready); protocol 2 clients get presence
// coalesced per tick and the count only above the threshold (docs/protocol.md).
import { SioClient, IrcClient } from "./clients.js";
import { cpuMsOf, raiseFdLimit, threadCpu, seedDatabase, sleep, startChatServer, type BenchOutput, type Ctx, type Row, type Seed } from "./lib.js";
import { NGIRCD, NGIRCD_SKIP, startNgircd } from "./servers.js";
import { byPackage, topFrames, type Frame } from "./profile.js";

const CONCURRENCY = 50;
/** Client sockets spread over loopback addresses so large storms never run out of ports. */
const LOCAL = Array.from({ length: 16 }, (_, i) => `127.0.0.${i + 2}`);

type Storm = { cpuMs: number; seconds: number; frames: number; bytes: number; profile?: { top: Frame[]; byPackage: Record<string, number> }; threads?: Record<string, number> };

/** Runs `open` for n clients, CONCURRENCY at a time; then waits until nothing arrives for 1 s (bounded). */
async function storm<C extends { bytesRead(): number; close(): void }>(n: number, pid: number, open: (i: number, count: () => void) => Promise<C>): Promise<Storm> {
  let frames = 0;
  let last = performance.now();
  const count = () => {
    frames++;
    last = performance.now();
  };
  const clients: C[] = [];
  const cpu0 = cpuMsOf(pid);
  const th0 = threadCpu(pid);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        clients.push(await open(i, count));
        count();
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  // Presence still in flight after the last join counts too: wait for a quiet second (at most 60 s).
  const deadline = performance.now() + 60_000;
  while (performance.now() - last < 1000 && performance.now() < deadline) await sleep(200);
  const cpuMs = cpuMsOf(pid) - cpu0;
  // By thread: the main thread, PGlite's worker, libuv's pool (scrypt, zlib), V8's helpers.
  const threads: Record<string, number> = {};
  for (const [name, v] of threadCpu(pid)) if (v - (th0.get(name) ?? 0) > 0) threads[name] = v - (th0.get(name) ?? 0);
  const bytes = clients.reduce((s, c) => s + c.bytesRead(), 0);
  for (const c of clients) c.close();
  return { cpuMs, seconds, frames, bytes, threads };
}

async function chatStorm(ctx: Ctx, seed: Seed, n: number, protocol: 1 | 2): Promise<Storm> {
  // --profile: the server runs with --cpu-prof (its start-up is in the profile too, a small part).
  const profDir = ctx.profile ? await ctx.tmp() : null;
  const server = await startChatServer(seed, {}, profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : []);
  let stopped = false;
  try {
    const url = `http://127.0.0.1:${server.port}`;
    const r = await storm(n, server.pid, async (i, count) => {
      const c = await SioClient.connect(url, seed.users[i]!.token, { localAddress: LOCAL[i % LOCAL.length]!, auth: protocol === 2 ? { protocol: 2 } : {} });
      c.onData = count;
      return c;
    });
    ctx.log(`joins: chat-server protocol ${protocol}, ${n} clients: ${Math.round(r.cpuMs)} ms CPU, ${r.seconds.toFixed(1)} s, ${r.frames} frames, ${r.bytes} bytes; CPU ms by thread ${JSON.stringify(r.threads)}`);
    await server.stop();
    stopped = true;
    if (profDir) {
      r.profile = { top: await topFrames(profDir, 25), byPackage: await byPackage(profDir) };
      ctx.log(`joins: profile, protocol ${protocol}, ${n} clients: ${JSON.stringify(r.profile, null, 1)}`);
    }
    return r;
  } finally {
    if (!stopped) await server.stop();
  }
}

async function ircStorm(ctx: Ctx, n: number): Promise<Storm> {
  const irc = await startNgircd(ctx);
  try {
    const r = await storm(n, irc.pid, async (i, count) => {
      const c = await IrcClient.connect(irc.port, `j${i}`, "#bench", { localAddress: LOCAL[i % LOCAL.length]! });
      c.onData = count;
      return c;
    });
    ctx.log(`joins: ngircd, ${n} clients: ${Math.round(r.cpuMs)} ms CPU, ${r.seconds.toFixed(1)} s, ${r.frames} reads, ${r.bytes} bytes`);
    return r;
  } finally {
    await irc.stop();
  }
}

export async function joins(ctx: Ctx): Promise<BenchOutput> {
  const small = ctx.quick ? 100 : 1000;
  let large = ctx.quick ? 1000 : 10_000;
  // As the connections benchmark does: the server and its clients are children of this process.
  const limit = raiseFdLimit();
  // The clients are in this process and the server in its child: each holds one descriptor per socket.
  if (limit < large + 500) large = Math.max(small, limit - 500);
  const seed = await seedDatabase(ctx, { backend: "pglite", users: large });
  const rows: Row[] = [];
  let details: Record<string, unknown> = {};
  try {
    const irc = NGIRCD ? await ircStorm(ctx, small) : null;
    const ircRef = (v: (s: Storm) => number) => ({ name: "ngircd", value: irc ? v(irc) : null, ...(irc ? {} : { skipped: NGIRCD_SKIP }) });
    const v1 = await chatStorm(ctx, seed, small, 1);
    const v2 = await chatStorm(ctx, seed, small, 2);
    const v2Large = await chatStorm(ctx, seed, large, 2);
    rows.push(
      { bench: "joins", metric: `server CPU, ${small} clients join (protocol 2)`, unit: "ms", value: v2.cpuMs, refs: [ircRef((s) => s.cpuMs), { name: "protocol 1", value: v1.cpuMs }], ...(irc ? { target: { op: "<=" as const, value: 2 * irc.cpuMs, text: "<= 2x ngIRCd" } } : {}) },
      { bench: "joins", metric: `server CPU, ${small} clients join (protocol 1, today's presence)`, unit: "ms", value: v1.cpuMs, refs: [ircRef((s) => s.cpuMs)] },
      { bench: "joins", metric: `frames received, ${small} clients (protocol 2)`, unit: "frames", value: v2.frames, refs: [{ name: "protocol 1", value: v1.frames }] },
      { bench: "joins", metric: `bytes received, ${small} clients (protocol 2)`, unit: "bytes", value: v2.bytes, refs: [ircRef((s) => s.bytes), { name: "protocol 1", value: v1.bytes }] },
      { bench: "joins", metric: `time until all ${small} are in (protocol 2)`, unit: "s", value: v2.seconds, refs: [ircRef((s) => s.seconds), { name: "protocol 1", value: v1.seconds }] },
      { bench: "joins", metric: `server CPU, ${large} clients join (protocol 2)`, unit: "ms", value: v2Large.cpuMs, refs: [{ name: `${small} clients`, value: v2.cpuMs }], target: { op: "<=", value: (12 * v2.cpuMs * large) / (10 * small), text: `<= 12x the ${small}-client figure per 10x clients` }, note: `${v2Large.frames} frames, ${v2Large.bytes} bytes, ${v2Large.seconds.toFixed(1)} s` },
    );
    details = { ngircd: irc, v1, v2, v2Large };
  } finally {
    await seed.drop();
  }
  return { rows, details };
}
