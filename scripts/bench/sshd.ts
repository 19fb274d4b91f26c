// Benchmark: chat-sshd. The gateway runs alone in its own process (its CLI, dist/gateway/cli.js);
// N ssh2 client sessions on loopback and the watcher run in this process, so the gateway's CPU
// (/proc/<pid>/stat) and RSS (/proc/<pid>/status) are its own. One room with 100 messages of
// history, 5 messages/s arriving:
// first screen (one session alone, then N at once), keystroke echo p99, message-to-screen p99,
// gateway CPU per session per message, RSS per idle session.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import ssh2 from "ssh2";
import { io } from "socket.io-client";
import { PACKAGE_ROOT } from "../../server/paths.js";
import { topFrames } from "./profile.js";
import { HERE, cpuMsOf, now, percentile, rssOf, seedDatabase, sleep, startChatServer, stopChild, track, type BenchOutput, type Ctx } from "./lib.js";

const SECRET = "bench-gateway-secret-0123456789abcdefghijkl";
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Typed into the input line: characters no message line, nick or status bar contains. */
const TYPED = "$&*=";

/**
 * One marker per message, recognisable in a session's raw output. blessed rewrites only the cells
 * that changed, and a row is rewritten with the message that was next to it, so each marker
 * differs in every position from the markers of the few messages before it: all its cells are
 * written, in one run, whatever row it lands on.
 */
export function markers(count: number, length = 8, window = 6): string[] {
  const out: string[] = [];
  while (out.length < count) {
    let m = "";
    for (let j = 0; j < length; j++) {
      const taken = new Set(out.slice(-window).map((x) => x[j]));
      const free = [...ALPHABET].filter((c) => !taken.has(c));
      m += free[Math.floor(Math.random() * free.length)]!;
    }
    if (!out.includes(m)) out.push(m);
  }
  return out;
}

type Gw = { child: ChildProcess; port: number; pid: number };

async function startGatewayProcess(server: string, dir: string, maxSessions: number, profDir: string | null): Promise<Gw> {
  const cli = path.join(HERE, "..", "..", "gateway", "cli.js");
  // The CLI's own shebang flags, as `chat-sshd` runs.
  const nodeArgs = ["--max-semi-space-size=1", ...(profDir ? ["--cpu-prof", "--cpu-prof-dir", profDir] : [])];
  const child = track(
    spawn(process.execPath, [...nodeArgs, cli, "--port", "0", "--host", "127.0.0.1", "--server", server, "--data-dir", dir, "--max-sessions", String(maxSessions)], {
      env: { ...process.env, CHAT_GATEWAY_SECRET: SECRET },
      stdio: ["ignore", "pipe", "inherit"],
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error("chat-sshd did not listen within 30 s")), 30_000);
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString("utf8");
      for (const line of buf.split("\n").slice(0, -1)) {
        try {
          const j = JSON.parse(line) as { event?: string; port?: number };
          if (j.event === "listening" && j.port) (clearTimeout(timer), resolve(j.port));
        } catch {
          // not a log line
        }
      }
      buf = buf.slice(buf.lastIndexOf("\n") + 1);
    });
    child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`chat-sshd exited (${code}) before listening`))));
  });
  child.stdout!.resume();
  return { child, port, pid: child.pid! };
}

/** One ssh2 client session: its output is handed to `onData`; `ready` resolves at the first screen. */
type Session = { client: ssh2.Client; stream: ssh2.ClientChannel | null; onData: (text: string) => void };

function openSession(port: number, key: string, onData: (s: Session, text: string) => void): Promise<{ session: Session; ms: number }> {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    const session: Session = { client: c, stream: null, onData: () => {} };
    const t0 = now();
    let seen = "";
    let done = false;
    const timer = setTimeout(() => reject(new Error("no first screen within 180 s")), 180_000);
    c.on("ready", () =>
      c.shell({ term: "xterm-256color", cols: 100, rows: 30 }, { env: { LANG: "C.UTF-8" } } as never, (err, stream) => {
        if (err) return reject(err);
        session.stream = stream;
        stream.on("data", (d: Buffer) => {
          const text = d.toString("utf8");
          if (!done) {
            seen = (seen + text).slice(-4000);
            if (seen.includes("#general>")) ((done = true), clearTimeout(timer), resolve({ session, ms: now() - t0 }));
          }
          onData(session, text);
        });
      }),
    );
    c.on("error", (e) => (clearTimeout(timer), reject(e)));
    c.connect({ host: "127.0.0.1", port, username: "bench", privateKey: key, readyTimeout: 180_000 });
  });
}

export async function sshd(ctx: Ctx): Promise<BenchOutput> {
  const n = ctx.quick ? 20 : 200;
  // n sessions, one session alone (first screen), one sender.
  const seed = await seedDatabase(ctx, { backend: "pglite", users: n + 2 });
  const server = await startChatServer(seed, { CHAT_GATEWAY_SECRET: SECRET });
  const dir = await ctx.tmp();
  // --profile: the gateway's .cpuprofile is kept in bench-results/ (for a closer look in DevTools).
  const profDir = ctx.profile ? path.join(PACKAGE_ROOT, "bench-results", `sshd-profile-${new Date().toISOString().replace(/[:.]/g, "-")}`) : null;
  if (profDir) await mkdir(profDir, { recursive: true });
  const gw = await startGatewayProcess(server.url, dir, n + 10, profDir);
  const sessions: Session[] = [];
  try {
    // Bind one key per user through the protocol.
    const keys: string[] = [];
    for (const u of seed.users.slice(0, n + 1)) {
      // Now and then ssh2 makes a key it cannot parse back ("Malformed OpenSSH private key"): another one then.
      let k = ssh2.utils.generateKeyPairSync("ed25519");
      while (ssh2.utils.parseKey(k.private) instanceof Error) k = ssh2.utils.generateKeyPairSync("ed25519");
      const s = io(server.url, { transports: ["websocket"], auth: { token: u.token }, forceNew: true, reconnection: false });
      await new Promise<void>((r, j) => (s.once("session:ready", () => r()), s.once("connect_error", j)));
      const r: any = await s.timeout(10_000).emitWithAck("key:add" as never, { publicKey: k.public } as never);
      if (!r.ok) throw new Error(r.error.message);
      s.disconnect();
      keys.push(k.private);
    }

    // Per-session watchers: markers (messages) and typed characters waiting to be seen.
    type Wait = { text: string; t0: number; done: (ms: number) => void };
    const waits = new Map<Session, Wait[]>();
    const tails = new Map<Session, { text: string; at: number }>();
    const onData = (s: Session, text: string) => {
      const list = waits.get(s);
      if (!list || list.length === 0) return;
      // A marker split across two chunks is found in the previous chunk's tail plus this one.
      // (Only a tail that arrived after the wait began: an earlier echo of the same character is not this one.)
      const tail = tails.get(s);
      const t = now();
      tails.set(s, { text: ((tail?.text ?? "") + text).slice(-16), at: t });
      for (let i = list.length - 1; i >= 0; i--) {
        const w: Wait = list[i]!;
        const hay = tail && tail.at >= w.t0 ? tail.text + text : text;
        if (hay.includes(w.text)) (list.splice(i, 1), w.done(t - w.t0));
      }
    };

    // A room with a past: 100 messages before anyone connects (each session loads its latest page).
    const sender = seed.users[n + 1]!;
    const s = io(server.url, { transports: ["websocket"], auth: { token: sender.token }, forceNew: true, reconnection: false });
    await new Promise<void>((r, j) => (s.once("session:ready", () => r()), s.once("connect_error", j)));
    for (let i = 0; i < 100; i++) await s.timeout(10_000).emitWithAck("message:send" as never, { chatId: seed.generalId, text: `earlier message ${i} `.repeat(1 + (i % 4)), clientId: randomUUID() } as never);

    // First screen of one session alone (then it leaves), then of N connecting at once.
    const alone = await openSession(gw.port, keys[n]!, onData);
    alone.session.client.end();
    await sleep(1000);
    const rss0 = rssOf(gw.pid);
    const first: number[] = [];
    await Promise.all(keys.slice(0, n).map(async (key) => {
      const r = await openSession(gw.port, key, onData);
      sessions.push(r.session);
      waits.set(r.session, []);
      first.push(r.ms);
    }));
    await sleep(3000);
    const rss1 = rssOf(gw.pid);
    // Idle CPU (socket.io heartbeats, timers), to tell apart from the rendering.
    const idle0 = cpuMsOf(gw.pid);
    await sleep(2000);
    const idleMsPerS = (cpuMsOf(gw.pid) - idle0) / 2;

    // 5 messages/s from the same user; keystrokes into the sessions' input lines in between.
    const msgs = ctx.quick ? 25 : 50;
    const marks = markers(msgs);
    const lat: number[] = [];
    const echo: number[] = [];
    let echoMissed = 0;
    const expect = (sess: Session, text: string, into: number[], onTimeout?: () => void) => {
      const w: Wait = { text, t0: now(), done: (ms: number) => void into.push(ms) };
      waits.get(sess)!.push(w);
      setTimeout(() => {
        const list = waits.get(sess)!;
        const i = list.indexOf(w);
        if (i >= 0) (list.splice(i, 1), onTimeout?.());
      }, 10_000).unref();
    };
    // Arrivals not seen, per session, and the newest message each session did show: a lost marker
    // with newer ones seen was drawn in a way the watcher did not recognise (or not drawn).
    const lost = new Map<Session, number[]>();
    const last = new Map<Session, number>();
    const cpu0 = cpuMsOf(gw.pid);
    const t0 = now();
    let typed = 0;
    for (let m = 0; m < msgs; m++) {
      for (const sess of sessions) {
        expect(sess, marks[m]!, lat, () => (lost.get(sess) ?? lost.set(sess, []).get(sess)!).push(m));
        const w = waits.get(sess)!.at(-1)!;
        const done = w.done;
        w.done = (ms) => (done(ms), (last.set(sess, Math.max(last.get(sess) ?? -1, m))));
      }
      void s.timeout(10_000).emitWithAck("message:send" as never, { chatId: seed.generalId, text: marks[m]!, clientId: randomUUID() } as never);
      // One keystroke 100 ms after each message, round robin over the sessions (short input lines).
      await sleep(100);
      const sess = sessions[typed % sessions.length]!;
      const ch = TYPED[Math.floor(typed / sessions.length) % TYPED.length]!;
      typed++;
      expect(sess, ch, echo, () => echoMissed++);
      sess.stream!.write(ch);
      await sleep(100);
    }
    const sendMs = now() - t0;
    // Until every arrival was seen (or 10 s went by).
    const deadline = now() + 10_000;
    while (now() < deadline && [...waits.values()].some((l) => l.length > 0)) await sleep(50);
    const cpuMs = cpuMsOf(gw.pid) - cpu0;
    const spanS = (now() - t0) / 1000;
    const renderCpu = cpuMs - idleMsPerS * spanS;
    const rss2 = rssOf(gw.pid);
    s.disconnect();
    ctx.log(`sshd: ${n} sessions, ${lat.length}/${n * msgs} message arrivals and ${echo.length}/${typed} echoes seen (${echoMissed} missed); sending took ${sendMs.toFixed(0)} ms`);
    ctx.log(`sshd: gateway CPU ${cpuMs.toFixed(0)} ms over ${spanS.toFixed(1)} s (idle ${idleMsPerS.toFixed(1)} ms/s); RSS ${(rss0 / 2 ** 20).toFixed(0)} MiB before, ${(rss1 / 2 ** 20).toFixed(0)} MiB idle with ${n}, ${(rss2 / 2 ** 20).toFixed(0)} MiB after the messages`);
    const missed = n * msgs - lat.length;
    if (missed) {
      const lostList = [...lost.entries()];
      const overtaken = lostList.reduce((k, [sess, ms]) => k + ms.filter((m) => (last.get(sess) ?? -1) > m).length, 0);
      ctx.log(`sshd: ${missed} arrivals not seen in ${lostList.length} sessions; ${overtaken} of them in a session that showed a newer message`);
    }
    return {
      rows: [
        { bench: "sshd", metric: "first screen, one session alone", unit: "ms", value: alone.ms, target: { op: "<=", value: 1000, text: "< 1 s" } },
        { bench: "sshd", metric: `first screen p99 (${n} sessions connecting at once)`, unit: "ms", value: percentile(first, 99), target: { op: "<=", value: 1000, text: "< 1 s" } },
        { bench: "sshd", metric: `keystroke echo p99 (${n} sessions, 5 msg/s)`, unit: "ms", value: echoMissed ? null : percentile(echo, 99), ...(echoMissed ? { skipped: `${echoMissed} echoes not seen` } : {}), target: { op: "<=", value: 50, text: "<= 50 ms" } },
        { bench: "sshd", metric: `message-to-screen p99 (${n} sessions, 5 msg/s)`, unit: "ms", value: missed ? null : percentile(lat, 99), ...(missed ? { skipped: `${missed} arrivals not seen` } : {}), target: { op: "<=", value: 200, text: "<= 200 ms" } },
        { bench: "sshd", metric: "gateway CPU per session per message (its process alone)", unit: "ms", value: cpuMs / (n * msgs), target: { op: "<=", value: 1, text: "<= 1 ms" }, note: `idle CPU subtracted: ${(renderCpu / (n * msgs)).toFixed(3)} ms` },
        { bench: "sshd", metric: "gateway RSS per idle session", unit: "KiB", value: (rss1 - rss0) / n / 1024 },
      ],
      details: { sessions: n, messages: msgs, arrivalsSeen: lat.length, echoes: echo.length, echoMissed, echoP50: percentile(echo, 50), latP50: percentile(lat, 50), firstP50: percentile(first, 50), gatewayCpuMs: cpuMs, idleCpuMsPerS: idleMsPerS, rssBytes: { before: rss0, idle: rss1, after: rss2 } },
    };
  } finally {
    for (const sess of sessions) sess.client.end();
    await stopChild(gw.child, 20_000);
    if (profDir) {
      for (const f of await topFrames(profDir, 25).catch(() => [])) ctx.log(`sshd profile: ${f.selfPct.toFixed(1)}% ${f.fn} ${f.where}`);
      ctx.log(`sshd profile: ${profDir}`);
    }
    await server.stop();
  }
}
