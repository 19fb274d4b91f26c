// Benchmark: chat-sshd. N SSH sessions (ssh2 clients on loopback, in this process) in one room,
// 5 messages/s arriving: first screen time, message-to-screen p99, gateway CPU per session per
// message, memory per idle session. The gateway runs in this process too, so CPU includes the
// clients' ssh2 work (an upper bound).
import { randomUUID } from "node:crypto";
import ssh2 from "ssh2";
import { io } from "socket.io-client";
import { loadOrCreateHostKey } from "../../gateway/host-key.js";
import { startGateway } from "../../gateway/sshd.js";
import { now, percentile, seedDatabase, sleep, startChatServer, type BenchOutput, type Ctx } from "./lib.js";

const SECRET = "bench-gateway-secret-0123456789abcdefghijkl";

export async function sshd(ctx: Ctx): Promise<BenchOutput> {
  const n = ctx.quick ? 20 : 200;
  const seed = await seedDatabase(ctx, { backend: "pglite", users: n + 1 });
  const server = await startChatServer(seed, { CHAT_GATEWAY_SECRET: SECRET });
  const dir = await ctx.tmp();
  const gw = await startGateway({ port: 0, host: "127.0.0.1", server: server.url, hostKey: loadOrCreateHostKey(`${dir}/host`), gatewaySecret: SECRET, maxSessions: n + 10 });
  const clients: ssh2.Client[] = [];
  const screens: string[] = [];
  try {
    // Bind one key per user through the protocol.
    const keys = [];
    for (const u of seed.users.slice(0, n)) {
      const k = ssh2.utils.generateKeyPairSync("ed25519");
      const s = io(server.url, { transports: ["websocket"], auth: { token: u.token }, forceNew: true, reconnection: false });
      await new Promise<void>((r, j) => (s.once("session:ready", () => r()), s.once("connect_error", j)));
      const r: any = await s.timeout(10_000).emitWithAck("key:add" as never, { publicKey: k.public } as never);
      if (!r.ok) throw new Error(r.error.message);
      s.disconnect();
      keys.push(k.private);
    }
    const memBefore = process.memoryUsage().heapUsed + process.memoryUsage().external;
    const first: number[] = [];
    await Promise.all(keys.map((key, i) => new Promise<void>((resolve, reject) => {
      const c = new ssh2.Client();
      clients.push(c);
      const t0 = now();
      screens[i] = "";
      c.on("ready", () => c.shell({ term: "xterm-256color", cols: 100, rows: 30 }, { env: { LANG: "C.UTF-8" } } as never, (err, stream) => {
        if (err) return reject(err);
        let done = false;
        stream.on("data", (d: Buffer) => {
          screens[i] = (screens[i]! + d.toString("utf8")).slice(-20_000);
          if (!done && screens[i]!.includes("#general>")) ((done = true), first.push(now() - t0), resolve());
        });
      }));
      c.on("error", reject);
      c.connect({ host: "127.0.0.1", port: gw.port, username: "bench", privateKey: key });
    })));
    await sleep(2000);
    global.gc?.();
    const memAfter = process.memoryUsage().heapUsed + process.memoryUsage().external;
    // 5 messages/s from the last user; each session's screen is watched for the text.
    const sender = seed.users[n]!;
    const s = io(server.url, { transports: ["websocket"], auth: { token: sender.token }, forceNew: true, reconnection: false });
    await new Promise<void>((r, j) => (s.once("session:ready", () => r()), s.once("connect_error", j)));
    const msgs = ctx.quick ? 25 : 50;
    const lat: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let m = 0; m < msgs; m++) {
      const text = `bench-${m}-${randomUUID().slice(0, 6)}`;
      const t0 = now();
      void s.timeout(10_000).emitWithAck("message:send" as never, { chatId: seed.generalId, text, clientId: randomUUID() } as never);
      void (async () => {
        const seen = new Set<number>();
        while (seen.size < n && now() - t0 < 10_000) {
          for (let i = 0; i < n; i++) if (!seen.has(i) && screens[i]!.includes(text)) (seen.add(i), lat.push(now() - t0));
          await sleep(5);
        }
      })();
      await sleep(200);
    }
    await sleep(3000);
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    s.disconnect();
    ctx.log(`sshd: ${n} sessions, ${lat.length}/${n * msgs} message arrivals seen`);
    return {
      rows: [
        { bench: "sshd", metric: `first screen p99 (${n} sessions connecting at once)`, unit: "ms", value: percentile(first, 99), target: { op: "<=", value: 1000, text: "< 1 s" } },
        { bench: "sshd", metric: `message-to-screen p99 (${n} sessions, 5 msg/s)`, unit: "ms", value: percentile(lat, 99), target: { op: "<=", value: 200, text: "<= 200 ms" } },
        { bench: "sshd", metric: "gateway+clients CPU per session per message", unit: "ms", value: cpuMs / (n * msgs), target: { op: "<=", value: 1, text: "<= 1 ms" } },
        { bench: "sshd", metric: "memory per idle session (heap+external)", unit: "KiB", value: (memAfter - memBefore) / n / 1024 },
      ],
    };
  } finally {
    for (const c of clients) c.end();
    await gw.close();
    await server.stop();
  }
}
