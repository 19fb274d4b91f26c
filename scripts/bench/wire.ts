// Benchmark 6, wire: bytes on the socket per chat message (WebSocket frames as counted by the
// TCP socket), sent and delivered, against an IRC PRIVMSG with the same text and the `ws` floor.
import { randomUUID } from "node:crypto";
import { IrcClient, SioClient, WsClient, type BenchClient } from "./clients.js";
import { cpuMsOf, seedDatabase, sleep, startChatServer, type BenchOutput, type Ctx, type Row } from "./lib.js";
import { NGIRCD, NGIRCD_SKIP, startNgircd, startWsFloor } from "./servers.js";

const TEXT = "hello everyone, the release notes are in the wiki; see you at 3";

type Bytes = { sent: number; delivered: number; senderIn: number; cpuUs?: number };

async function count(sender: BenchClient, receiver: BenchClient, n: number, send: () => Promise<void>, received: () => number, serverPid?: number): Promise<Bytes> {
  await sleep(200);
  const s0 = sender.bytesWritten();
  const si0 = sender.bytesRead();
  const r0 = receiver.bytesRead();
  const c0 = serverPid ? cpuMsOf(serverPid) : 0;
  for (let i = 0; i < n; i++) await send();
  const deadline = Date.now() + 10_000;
  while (received() < n && Date.now() < deadline) await sleep(5);
  if (received() < n) throw new Error(`only ${received()} of ${n} messages arrived`);
  const cpuUs = serverPid ? ((cpuMsOf(serverPid) - c0) * 1000) / n : undefined;
  await sleep(100);
  return { sent: (sender.bytesWritten() - s0) / n, delivered: (receiver.bytesRead() - r0) / n, senderIn: (sender.bytesRead() - si0) / n, ...(cpuUs !== undefined ? { cpuUs } : {}) };
}

/** The protocol variants measured: v1 (message:new), v2 (the compact frame `m`), v2 compressed. */
const MODES = [
  { name: "v1", auth: {}, compress: false, frame: '["message:new",' },
  { name: "v2", auth: { protocol: 2 }, compress: false, frame: '["m",' },
  { name: "v2 compressed", auth: { protocol: 2 }, compress: true, frame: '["m",' },
] as const;
type Mode = (typeof MODES)[number]["name"];

export async function wire(ctx: Ctx): Promise<BenchOutput> {
  const n = ctx.quick ? 50 : 500;
  const seed = await seedDatabase(ctx, { backend: "pglite", users: 2 });
  const server = await startChatServer(seed);
  const chat = {} as Record<Mode, Bytes>;
  try {
    // Twice in alternation (v1, v2, compressed, v1, ...): the second round is kept, after warm-up.
    for (let round = 0; round < 2; round++) {
      for (const mode of MODES) {
        const a = await SioClient.connect(server.url, seed.users[0]!.token, { auth: mode.auth, compress: mode.compress });
        const b = await SioClient.connect(server.url, seed.users[1]!.token, { auth: mode.auth, compress: mode.compress });
        let got = 0;
        b.onData = (buf) => void (buf.includes(mode.frame) && got++);
        chat[mode.name] = await count(a, b, n, async () => void (await a.request("message:send", { chatId: seed.generalId, text: TEXT, clientId: randomUUID() })), () => got, server.pid);
        a.close();
        b.close();
      }
    }
  } finally {
    await server.stop();
    await seed.drop();
  }

  const floor = await startWsFloor();
  let ws: Bytes;
  try {
    const a = await WsClient.connect(floor.port, 0);
    const b = await WsClient.connect(floor.port, 0);
    let got = 0;
    b.onData = () => void got++;
    ws = await count(a, b, n, async () => a.send(TEXT), () => got);
    a.close();
    b.close();
  } finally {
    await floor.stop();
  }

  let irc: Bytes | null = null;
  let ircSkip: string | undefined = NGIRCD ? undefined : NGIRCD_SKIP;
  if (NGIRCD) {
    const ircd = await startNgircd(ctx);
    try {
      const a = await IrcClient.connect(ircd.port, "alice", "#general");
      const b = await IrcClient.connect(ircd.port, "bob", "#general");
      let got = 0;
      b.onData = (buf) => {
        for (let i = buf.indexOf("PRIVMSG"); i !== -1; i = buf.indexOf("PRIVMSG", i + 7)) got++;
      };
      irc = await count(a, b, n, async () => a.send(TEXT), () => got);
      a.close();
      b.close();
    } catch (e) {
      ircSkip = `failed: ${(e as Error).message}`;
    } finally {
      await ircd.stop();
    }
  }
  const refs = (pick: (b: Bytes) => number) => [
    { name: "IRC PRIVMSG", value: irc ? pick(irc) : null, ...(irc ? {} : { skipped: ircSkip! }) },
    { name: "ws floor", value: pick(ws) },
  ];
  const rows: Row[] = MODES.flatMap(({ name }): Row[] => {
    const c = chat[name];
    return [
      { bench: "wire", metric: `${name}: bytes per message delivered (to a receiver)`, unit: "B", value: c.delivered, refs: refs((x) => x.delivered), note: `text of ${TEXT.length} characters`,
        ...(name !== "v1" && irc ? { target: { op: "<=" as const, value: 1.5 * irc.delivered, text: "<= 1.5x IRC PRIVMSG (issue 17)" } } : {}) },
      { bench: "wire", metric: `${name}: bytes per message sent (client to server)`, unit: "B", value: c.sent, refs: refs((x) => x.sent), note: "WebSocket frames are masked from client to server (+4 bytes)" },
      {
        bench: "wire", metric: `${name}: bytes back to the sender (${name === "v1" ? "ack + its own copy" : "the ack only"})`, unit: "B", value: c.senderIn, refs: refs((x) => x.senderIn),
      },
      { bench: "wire", metric: `${name}: server CPU per message (store, ack, 2 sockets)`, unit: "µs", value: c.cpuUs ?? null, note: "from /proc, 10 ms ticks over the run" },
    ];
  });
  return { rows, details: { text: TEXT, messages: n, chat, ws, irc, ircSkip } };
}
