// Benchmark 3, connections: memory per idle connection (RSS growth of the server process per
// socket) at 10,000 sockets, chat-server in its own process against the `ws` floor.
import { fdLimit, rssOf, seedDatabase, sleep, startChatServer, startWorker, type BenchOutput, type Ctx, type Row, type Worker } from "./lib.js";
import { startWsFloor } from "./servers.js";

const PER_WORKER = 2500;
/** Client sockets bind to several loopback addresses so 10,000 of them never run out of ports. */
const LOCAL = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);

async function settle(pid: number): Promise<number> {
  // RSS moves while the garbage of the handshakes is collected: take the lowest of a few samples.
  let low = Infinity;
  for (let i = 0; i < 6; i++) {
    await sleep(500);
    low = Math.min(low, rssOf(pid));
  }
  return low;
}

async function heapUsed(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)/m.exec(text)?.[1] ?? NaN);
}

async function fill(target: object, specs: Record<string, unknown>[], workers: Worker[]): Promise<{ connected: number; seconds: number }> {
  const t0 = Date.now();
  const per = Math.ceil(specs.length / workers.length);
  const r = await Promise.all(workers.map((w, i) => w.call("connect", { target, specs: specs.slice(i * per, (i + 1) * per), concurrency: 20, localAddresses: LOCAL, listen: false })));
  const failed = r.reduce((s, x) => s + x.failed, 0);
  if (failed > 0) throw new Error(`${failed} sockets failed to connect: ${r.find((x) => x.firstError)?.firstError}`);
  return { connected: r.reduce((s, x) => s + x.connected, 0), seconds: (Date.now() - t0) / 1000 };
}

export async function connections(ctx: Ctx): Promise<BenchOutput> {
  let sockets = ctx.quick ? 1000 : 10_000;
  const limit = fdLimit();
  let note = "";
  // The server holds one descriptor per socket plus its own; clients are spread over workers.
  if (limit < sockets + 500) {
    note = `open-files limit ${limit} (ulimit -n) allows only ${limit - 500} sockets; `;
    sockets = Math.max(100, limit - 500);
  }
  const perUser = 100; // connectionsPerAccount is raised for the bench (CHAT_RATE_LIMITS), not in the defaults
  const seed = await seedDatabase(ctx, { backend: "pglite", users: Math.ceil(sockets / perUser) });
  const nWorkers = Math.ceil(sockets / PER_WORKER);
  const rows: Row[] = [];
  const details: Record<string, unknown> = { sockets, perUser };

  const chatFig = await (async () => {
    const server = await startChatServer(seed);
    const workers = Array.from({ length: nWorkers }, (_, i) => startWorker(`conn${i}`));
    try {
      // Warm up the code paths (and the database cache) with a few sockets first.
      await fill({ kind: "sio", url: server.url }, seed.users.slice(0, 10).map((u) => ({ token: u.token })), [workers[0]!]);
      const rss0 = await settle(server.pid);
      const heap0 = await heapUsed(server.url);
      ctx.log(`connections: ${sockets} sockets to chat-server`);
      const specs = Array.from({ length: sockets }, (_, i) => ({ token: seed.users[i % seed.users.length]!.token }));
      const filled = await fill({ kind: "sio", url: server.url }, specs, workers);
      const rss1 = await settle(server.pid);
      const heap1 = await heapUsed(server.url);
      return { perSocket: (rss1 - rss0) / filled.connected, heapPerSocket: (heap1 - heap0) / filled.connected, rss0, rss1, connectPerSec: filled.connected / filled.seconds };
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await server.stop();
    }
  })();

  ctx.log(`connections: ${sockets} sockets to the ws floor`);
  const wsFig = await (async () => {
    const server = await startWsFloor();
    const workers = Array.from({ length: nWorkers }, (_, i) => startWorker(`wsconn${i}`));
    try {
      await fill({ kind: "ws", port: server.port }, Array.from({ length: 10 }, () => ({ room: 0 })), [workers[0]!]);
      const rss0 = await settle(server.pid);
      const filled = await fill({ kind: "ws", port: server.port }, Array.from({ length: sockets }, () => ({ room: 0 })), workers);
      const rss1 = await settle(server.pid);
      return { perSocket: (rss1 - rss0) / filled.connected, rss0, rss1 };
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await server.stop();
    }
  })();
  await seed.drop();
  details["chat"] = chatFig;
  details["ws"] = wsFig;
  rows.push({
    bench: "connections",
    metric: `memory per idle socket (${sockets} sockets)`,
    unit: "KiB",
    value: chatFig.perSocket / 1024,
    refs: [{ name: "ws floor", value: wsFig.perSocket / 1024 }],
    target: { op: "<=", value: 15, text: "<= 15 KiB per idle connection" },
    note: `${note}RSS ${(chatFig.rss0 / 2 ** 20).toFixed(0)} -> ${(chatFig.rss1 / 2 ** 20).toFixed(0)} MiB; JS heap ${(chatFig.heapPerSocket / 1024).toFixed(1)} KiB/socket; ${chatFig.connectPerSec.toFixed(0)} handshakes/s`,
  });
  return { rows, details };
}
