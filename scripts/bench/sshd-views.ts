// Benchmark: chat-tui's view as chat-sshd runs it, without ssh2 or socket.io. N apps (runApp) on
// in-memory terminals (100x30, xterm-256color, C.UTF-8) in one child process with the gateway's
// `--max-semi-space-size=1`, each with its own client and its own copy of every message (as each
// session gets from its own socket); 100 messages of history in #general, 22 people online. Then
// one message to every app every 50 ms (each its own frame): CPU per view per message
// (process.cpuUsage of the child, every thread), frames per view per message, bytes written.
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BenchOutput, Ctx } from "./lib.js";

type Result = { views: number; messages: number; cpuMsPerViewMessage: number; framesPerViewMessage: number; bytesPerViewMessage: number };

async function measure(views: number, messages: number, gapMs: number): Promise<Result> {
  const { createClient } = await import("../../client/client.js");
  const { fakePorts, fakeServer } = await import("../../client/fake.js");
  const { msg, ready, chat, dm, ME } = await import("../../tui/state/fixtures.js");
  const { runApp } = await import("../../tui/app.js");
  const { memoryTerminal } = await import("../../tui/testing/memory-terminal.js");
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const people = [ME, ...Array.from({ length: 21 }, (_, i) => ({ id: i + 2, nick: `user${i + 2}`, role: "user" as const }))];
  const t0 = Date.now() - 3_600_000;
  const history = Array.from({ length: 100 }, (_, i) => msg(i + 1, 1, 2 + (i % 5), `earlier message ${i} `.repeat(1 + (i % 4)), { createdAt: new Date(t0 + i * 1000).toISOString() })).reverse();
  let bytes = 0;
  let frames = 0;
  const apps = [];
  for (let i = 0; i < views; i++) {
    const term = memoryTerminal({ columns: 100, rows: 30, env: { LANG: "C.UTF-8" } });
    term.output.on("data", (d: Buffer) => (bytes += d.length));
    const client = createClient({ server: "http://127.0.0.1:1", ports: fakePorts(fakeServer()) });
    client.dispatch({ type: "session.ready", session: ready([chat(1, "general"), chat(2, "dev"), dm(3, { id: 2, nick: "user2" })], people) });
    client.dispatch({ type: "history.loaded", page: { chatId: 1, messages: structuredClone(history), hasMore: true }, direction: "latest" });
    for (const id of [2, 3]) client.dispatch({ type: "history.loaded", page: { chatId: id, messages: [], hasMore: false }, direction: "latest" });
    const app = runApp({ terminal: term, client, onExit: () => {} });
    app.view.screen.on("render", () => frames++);
    apps.push({ app, client });
  }
  await sleep(500);
  frames = 0;
  const b0 = bytes;
  const c0 = process.cpuUsage();
  for (let m = 0; m < messages; m++) {
    const wire = JSON.stringify(msg(1000 + m, 1, 3, `marker ${m} ABCDEFGH`, { createdAt: new Date().toISOString() }));
    for (const a of apps) a.client.dispatch({ type: "message.received", message: JSON.parse(wire) });
    await sleep(gapMs);
  }
  await sleep(100);
  const c = process.cpuUsage(c0);
  for (const a of apps) await a.app.quit();
  const n = views * messages;
  return { views, messages, cpuMsPerViewMessage: (c.user + c.system) / 1000 / n, framesPerViewMessage: frames / n, bytesPerViewMessage: (bytes - b0) / n };
}

export async function sshdViews(ctx: Ctx): Promise<BenchOutput> {
  const views = 20;
  const messages = ctx.quick ? 100 : 300;
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ["--max-semi-space-size=1", self, "--child", String(views), String(messages)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
  const code = await new Promise<number | null>((r) => child.once("exit", r));
  if (code !== 0) throw new Error(`sshd-views child exited with ${code}`);
  const r = JSON.parse(out.trim().split("\n").at(-1)!) as Result;
  ctx.log(`sshd-views: ${r.views} views x ${r.messages} messages, ${r.framesPerViewMessage.toFixed(2)} frames and ${r.bytesPerViewMessage.toFixed(0)} bytes per view per message`);
  return {
    rows: [{ bench: "sshd-views", metric: `view CPU per view per message (${views} views in one process, no ssh2/socket.io)`, unit: "ms", value: r.cpuMsPerViewMessage }],
    details: { ...r },
  };
}

if (process.argv[2] === "--child" && pathToFileURL(process.argv[1] ?? "").href === import.meta.url) {
  const r = await measure(Number(process.argv[3] ?? 20), Number(process.argv[4] ?? 100), 50);
  process.stdout.write(JSON.stringify(r) + "\n");
  process.exit(0);
}
