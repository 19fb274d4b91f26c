// Benchmark 5, terminal client: chat-tui in tmux against chat-server with a chat of 100,000
// messages: time to first paint, keypress-to-screen latency, per-message render time, and
// memory after scrolling back through the chat; references: a bare blessed screen and `cat`.
import { randomUUID } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { PACKAGE_ROOT } from "../../server/paths.js";
import { hasTmux, Tmux } from "../../test/helpers/tmux.js";
import { SioClient } from "./clients.js";
import { bulkLoad } from "./history.js";
import { HERE, now, pendingDrops, percentile, rssOf, seedDatabase, sleep, startChatServer, type BenchOutput, type Ctx, type Row } from "./lib.js";

const CLI = path.join(PACKAGE_ROOT, "dist", "tui", "cli.js");

/**
 * The node flags chat-tui runs with when started as a command (its "#!/usr/bin/env -S node …"
 * line), so the benchmark measures what users run; CHAT_TUI_BENCH_NODE_FLAGS overrides them.
 */
async function nodeFlags(): Promise<string> {
  const override = process.env["CHAT_TUI_BENCH_NODE_FLAGS"];
  if (override !== undefined) return override;
  const first = (await readFile(CLI, "utf8")).split("\n", 1)[0] ?? "";
  return /^#!\/usr\/bin\/env -S node\b(.*)$/.exec(first)?.[1]?.trim() ?? "";
}
type Frame = { at: number; ms: number; sinceStart: number };

async function frames(file: string): Promise<Frame[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Frame);
}

async function waitFrames(file: string, n: number, timeoutMs = 15_000): Promise<Frame[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = await frames(file);
    if (f.length >= n || Date.now() > deadline) return f;
    await sleep(50);
  }
}

/** A tmux server that stopping the run also stops (killAll knows only child processes). */
function trackedTmux(): Tmux {
  const tmux = new Tmux();
  const kill = async () => {
    pendingDrops.delete(kill);
    await tmux.kill();
  };
  pendingDrops.add(kill);
  return tmux;
}

/** Types `count` characters one at a time; each is timed from send-keys until tmux shows it. */
async function keyLatency(tmux: Tmux, count: number, visible: (screen: string, typed: string) => boolean): Promise<number[]> {
  const times: number[] = [];
  let typed = "";
  for (let i = 0; i < count; i++) {
    const ch = "abcdefghijklmnopqrstuvwxyz"[i % 26]!;
    typed += ch;
    const t0 = now();
    await tmux.type(ch);
    const deadline = t0 + 5000;
    while (!visible(await tmux.screen(), typed) && now() < deadline);
    if (now() >= deadline) throw new Error(`the key "${ch}" never reached the screen`);
    times.push(now() - t0);
    await sleep(20);
  }
  return times;
}

export async function tui(ctx: Ctx): Promise<BenchOutput> {
  const metrics = ["first paint", "keypress to screen p99", "per-message render p99", "memory after scrolling through the chat"];
  if (!hasTmux) return { rows: metrics.map((m) => ({ bench: "tui", metric: m, unit: "", value: null, skipped: "skipped: tmux is not installed" })) };
  const size = ctx.quick ? 10_000 : 100_000;
  const dir = await ctx.tmp();
  const seed = await seedDatabase(ctx, { backend: "pglite", users: 2 });
  ctx.log(`tui: loading ${size} messages into general`);
  await bulkLoad(seed, seed.generalId, 0, size);
  const server = await startChatServer(seed);
  const rows: Row[] = [];
  const details: Record<string, unknown> = { size };
  try {
    // ---- chat-tui ----
    const config = path.join(dir, "tui.json");
    await writeFile(config, JSON.stringify({ sessions: { [new URL(server.url).origin]: { nick: seed.users[0]!.nick, token: seed.users[0]!.token } } }), { mode: 0o600 });
    const traceFile = path.join(dir, "tui.trace");
    const tmux = trackedTmux();
    let app: Record<string, unknown>;
    try {
      const t0 = now();
      details["nodeFlags"] = await nodeFlags();
      await tmux.start(`exec node ${details["nodeFlags"]} ${CLI} --server ${server.url} --config ${config} 2>>${dir}/tui.stderr`, { width: 100, height: 30, env: { CHAT_TUI_TRACE: traceFile } });
      const [first] = await waitFrames(traceFile, 1);
      await tmux.waitFor(new RegExp(`history message ${size}\\b`), 20_000);
      const chatShown = now() - t0;
      const pid = Number(await tmux.display("#{pane_pid}"));
      const rssLoaded = rssOf(pid);

      const keys = await keyLatency(tmux, ctx.quick ? 10 : 40, (s, typed) => s.split("\n").some((l) => l.startsWith("#general>") && l.includes(typed)));
      await tmux.keys("C-u");

      // Messages arriving one by one: the frames drawn meanwhile.
      const sender = await SioClient.connect(server.url, seed.users[1]!.token);
      const from = now();
      const n = ctx.quick ? 40 : 200;
      for (let i = 0; i < n; i++) {
        await sender.request("message:send", { chatId: seed.generalId, text: `live message ${i} the quick brown fox jumps over the lazy dog`, clientId: randomUUID() });
        await sleep(20);
      }
      await tmux.waitFor(new RegExp(`live message ${n - 1}\\b`));
      sender.close();
      await sleep(300);
      const live = (await frames(traceFile)).filter((f) => f.at >= from).map((f) => f.ms);

      // Scroll back: Home jumps to the oldest loaded line and fetches the page before it.
      const budget = ctx.quick ? 8_000 : 60_000;
      const startScroll = now();
      let oldest = size;
      let peak = rssLoaded;
      for (let i = 0; now() - startScroll < budget && oldest > 100; i++) {
        await tmux.keys("Home");
        await sleep(15);
        peak = Math.max(peak, rssOf(pid));
        if (i % 10 === 9) {
          const seen = [...(await tmux.screen()).matchAll(/history message (\d+)/g)].map((m) => Number(m[1]));
          if (seen.length) oldest = Math.min(oldest, ...seen);
        }
      }
      const scrolled = size - oldest;
      await sleep(500);
      const rssAfter = rssOf(pid);
      app = { firstPaint: first?.sinceStart ?? NaN, chatShown, keys, live, rssLoaded, rssAfter, peak, scrolled, scrollSeconds: (now() - startScroll) / 1000 };
    } finally {
      await tmux.kill();
    }

    // ---- references: a bare blessed screen, and cat for the keys ----
    const floorTrace = path.join(dir, "floor.trace");
    const floor = trackedTmux();
    let ref: Record<string, unknown>;
    try {
      await floor.start(`exec node ${path.join(HERE, "blessed-floor.js")} 200`, { width: 100, height: 30, env: { CHAT_TUI_TRACE: floorTrace } });
      const f = await waitFrames(floorTrace, 201, 20_000);
      const pid = Number(await floor.display("#{pane_pid}"));
      ref = { firstPaint: f[0]?.sinceStart ?? NaN, live: f.slice(1).map((x) => x.ms), rss: rssOf(pid) };
    } finally {
      await floor.kill();
    }
    const cat = trackedTmux();
    try {
      await cat.start("exec cat", { width: 100, height: 30 });
      await sleep(300);
      ref["keys"] = await keyLatency(cat, ctx.quick ? 10 : 40, (s, typed) => s.includes(typed));
    } finally {
      await cat.kill();
    }

    details["chat-tui"] = { ...app, keys: undefined, live: undefined, keysP50: percentile(app["keys"] as number[], 50), liveFrames: (app["live"] as number[]).length };
    details["reference"] = { firstPaint: ref["firstPaint"], rss: ref["rss"], keysP50: percentile(ref["keys"] as number[], 50) };
    const mib = (b: unknown) => (b as number) / 2 ** 20;
    rows.push(
      {
        bench: "tui", metric: "first paint (ms since process start)", unit: "ms", value: app["firstPaint"] as number,
        refs: [{ name: "bare blessed", value: ref["firstPaint"] as number }], target: { op: "<=", value: 300, text: "first paint < 300 ms" },
        note: `chat with ${size} messages on screen ${(app["chatShown"] as number).toFixed(0)} ms after launch (tmux, node start, connect, first page)`,
      },
      { bench: "tui", metric: "keypress to screen p99", unit: "ms", value: percentile(app["keys"] as number[], 99), refs: [{ name: "cat in tmux", value: percentile(ref["keys"] as number[], 99) }], note: "send-keys until capture-pane shows it; the poll costs ~2-4 ms" },
      {
        bench: "tui", metric: "per-message render p99", unit: "ms", value: percentile(app["live"] as number[], 99),
        refs: [{ name: "blessed log widget", value: percentile(ref["live"] as number[], 99) }], target: { op: "<=", value: 5, text: "per-message render p99 <= 5 ms" },
        note: `${(app["live"] as number[]).length} frames while messages arrived every ~20 ms`,
      },
      {
        bench: "tui", metric: `memory after scrolling back ${app["scrolled"]} of ${size} messages`, unit: "MiB", value: mib(app["rssAfter"]),
        refs: [{ name: "bare blessed", value: mib(ref["rss"]) }],
        note: `RSS ${mib(app["rssLoaded"]).toFixed(0)} MiB with the newest page, peak ${mib(app["peak"]).toFixed(0)} MiB while scrolling (${(app["scrollSeconds"] as number).toFixed(0)} s)`,
      },
    );
  } finally {
    await server.stop();
    await seed.drop();
  }
  return { rows, details };
}
