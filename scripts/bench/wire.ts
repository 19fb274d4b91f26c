// Benchmark 6, wire: bytes on the socket per chat message (WebSocket frames as counted by the
// TCP socket), sent and delivered, against an IRC PRIVMSG with the same text and the `ws` floor;
// for protocol 1 (message:new), 2 (the compact frame) and 2 compressed (permessage-deflate).
import { randomUUID } from "node:crypto";
import { IrcClient, SioClient, WsClient, type BenchClient } from "./clients.js";
import { cpuMsOf, seedDatabase, sleep, startChatServer, type BenchOutput, type Ctx, type Row } from "./lib.js";
import { NGIRCD, NGIRCD_SKIP, startNgircd, startWsFloor } from "./servers.js";

const TEXT = "hello everyone, the release notes are in the wiki; see you at 3";
const WORDS = ("the release notes are in wiki see you at meeting today tomorrow build failed passed deploy server client please review " +
  "my branch merged fixed bug issue test again later lunch coffee who has access to staging logs look weird can someone check it " +
  "thanks ok sure done working on now after before update docs ticket").split(" ");

/**
 * Message i of a run: TEXT's length (63 characters), different words every time from a fixed
 * pseudo-random sequence, so compression cannot just point back at the previous message.
 * Uncompressed sizes depend on the length only: every reference sends the same texts.
 */
function textOf(i: number): string {
  if (i === 0) return TEXT;
  let x = (i * 2654435761) >>> 0;
  const out: string[] = [];
  let len = 0;
  while (len < TEXT.length) {
    x = (x * 1103515245 + 12345) >>> 0;
    const w = WORDS[(x >>> 8) % WORDS.length]!;
    out.push(w);
    len += w.length + 1;
  }
  return out.join(" ").slice(0, TEXT.length);
}
/** Receiving sockets per protocol variant: the CPU of compressing shows per delivery. */
const RECEIVERS = 20;

type Bytes = { sent: number; delivered: number; senderIn: number; cpuUs?: number };

async function count(sender: BenchClient, receiver: BenchClient, n: number, send: (text: string) => Promise<void>, received: () => number, serverPid?: number): Promise<Bytes> {
  await sleep(200);
  const s0 = sender.bytesWritten();
  const si0 = sender.bytesRead();
  const r0 = receiver.bytesRead();
  const c0 = serverPid ? cpuMsOf(serverPid) : 0;
  for (let i = 0; i < n; i++) await send(textOf(i));
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
        const receivers = await Promise.all(Array.from({ length: RECEIVERS }, () => SioClient.connect(server.url, seed.users[1]!.token, { auth: mode.auth, compress: mode.compress })));
        const b = receivers[0]!;
        let got = 0;
        b.onData = (buf) => void (buf.includes(mode.frame) && got++);
        const bytes = await count(a, b, n, async (text) => void (await a.request("message:send", { chatId: seed.generalId, text, clientId: randomUUID() })), () => got, server.pid);
        chat[mode.name] = bytes;
        a.close();
        for (const r of receivers) r.close();
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
    ws = await count(a, b, n, async (text) => a.send(text), () => got);
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
      irc = await count(a, b, n, async (text) => a.send(text), () => got);
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
      { bench: "wire", metric: `${name}: server CPU per message (store, ack, ${RECEIVERS} receiving sockets)`, unit: "µs", value: c.cpuUs ?? null, refs: name === "v1" ? [] : [{ name: "v1", value: chat.v1.cpuUs ?? null }], note: "from /proc, 10 ms ticks over the run; one chat-server, sends one at a time" },
    ];
  });
  return { rows, details: { text: TEXT, messages: n, receivers: RECEIVERS, chat, ws, irc, ircSkip } };
}
