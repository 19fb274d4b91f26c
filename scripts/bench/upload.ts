// Benchmark 7, upload: how much one user's file upload delays everyone else. Another user's
// ping:rtt (no database) and message:send (one insert) round trips while a 25 MiB file is
// uploaded (2 MiB with --quick), against the same round trips with no upload.
import { createHash, randomBytes } from "node:crypto";
import { io } from "socket.io-client";
import { FILE_CHUNK_BYTES } from "../../server/protocol/index.js";
import { SioClient } from "./clients.js";
import { now, percentile, seedDatabase, sleep, startChatServer, type BenchOutput, type Ctx, type Row } from "./lib.js";

/** Uploads `bytes` as one file, chunk after chunk (the server takes them in order, as chat-tui sends them). */
async function upload(url: string, token: string, chatId: number, bytes: Buffer): Promise<void> {
  const socket = io(url, { transports: ["websocket"], auth: { token }, reconnection: false, forceNew: true });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("session:ready", () => resolve());
      socket.once("connect_error", reject);
    });
    const ask = async (event: string, payload: unknown): Promise<any> => {
      const r: any = await socket.timeout(60_000).emitWithAck(event, payload);
      if (!r.ok) throw new Error(`${event}: ${r.error.code} ${r.error.message}`);
      return r.data;
    };
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const begun = await ask("file:begin", { chatId, name: "bench.bin", size: bytes.length, sha256, clientId: crypto.randomUUID() });
    const fileId = begun.file.id;
    for (let offset = 0; offset < bytes.length; offset += FILE_CHUNK_BYTES) {
      await ask("file:chunk", { fileId, offset, data: bytes.subarray(offset, offset + FILE_CHUNK_BYTES) });
    }
    await ask("file:complete", { fileId });
  } finally {
    socket.disconnect();
  }
}

type Rtts = { ping: number[]; send: number[] };

/** Round trips of `c` until `until` settles (or for `ms` when it is a number). */
async function probe(c: SioClient, chatId: number, until: Promise<unknown> | number): Promise<Rtts> {
  const out: Rtts = { ping: [], send: [] };
  let done = false;
  const end = typeof until === "number" ? sleep(until) : until;
  end.then(() => (done = true), () => (done = true));
  let i = 0;
  while (!done) {
    let t0 = now();
    const p = await c.request("ping:rtt", {});
    out.ping.push(now() - t0);
    if (!p.ok) throw new Error(`ping:rtt: ${JSON.stringify(p)}`);
    if (i++ % 4 === 0) {
      t0 = now();
      const s = await c.request("message:send", { chatId, text: `probe ${i}`, clientId: crypto.randomUUID() });
      out.send.push(now() - t0);
      if (!s.ok) throw new Error(`message:send: ${JSON.stringify(s)}`);
    }
    await sleep(20);
  }
  await end;
  return out;
}

async function measure(ctx: Ctx, backend: "pglite" | "postgres", size: number) {
  const seed = await seedDatabase(ctx, { backend, users: 2 });
  try {
    const server = await startChatServer(seed);
    try {
      const c = await SioClient.connect(server.url, seed.users[1]!.token);
      try {
        const idle = await probe(c, seed.generalId, ctx.quick ? 1000 : 4000);
        const t0 = now();
        const busy = await probe(c, seed.generalId, upload(server.url, seed.users[0]!.token, seed.generalId, randomBytes(size)));
        return { idle, busy, uploadSeconds: (now() - t0) / 1000 };
      } finally {
        c.close();
      }
    } finally {
      await server.stop();
    }
  } finally {
    await seed.drop();
  }
}

export async function uploadRtt(ctx: Ctx): Promise<BenchOutput> {
  const size = (ctx.quick ? 2 : 25) * 1024 * 1024;
  const label = `${size / 1024 / 1024} MiB`;
  const backends: ("pglite" | "postgres")[] = process.env["DATABASE_URL"] ? ["pglite", "postgres"] : ["pglite"];
  const rows: Row[] = [];
  const details: Record<string, unknown> = { size };
  for (const backend of backends) {
    ctx.log(`upload: ${label} on ${backend}`);
    const { idle, busy, uploadSeconds } = await measure(ctx, backend, size);
    const p = (xs: number[], q: number) => percentile(xs, q);
    details[backend] = {
      uploadSeconds,
      idle: { pingP50: p(idle.ping, 50), pingP99: p(idle.ping, 99), sendP99: p(idle.send, 99), n: idle.ping.length },
      busy: { pingP50: p(busy.ping, 50), pingP90: p(busy.ping, 90), pingP99: p(busy.ping, 99), pingMax: Math.max(...busy.ping), sendP99: p(busy.send, 99), sendMax: Math.max(...busy.send), n: busy.ping.length },
    };
    const target = { op: "<=" as const, value: 100, text: "p99 <= 100 ms" };
    rows.push(
      { bench: "upload", metric: `${backend}: ping p99 during a ${label} upload`, unit: "ms", value: p(busy.ping, 99), refs: [{ name: "no upload", value: p(idle.ping, 99) }], target, note: `max ${Math.max(...busy.ping).toFixed(0)} ms over ${busy.ping.length} pings; upload ${uploadSeconds.toFixed(1)} s` },
      { bench: "upload", metric: `${backend}: message:send p99 during a ${label} upload`, unit: "ms", value: p(busy.send, 99), refs: [{ name: "no upload", value: p(idle.send, 99) }], target, note: `max ${Math.max(...busy.send).toFixed(0)} ms` },
    );
  }
  return { rows, details };
}
