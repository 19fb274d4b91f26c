// The benchmark harness. `npm test` only checks that it loads every benchmark and refuses a bad
// argument (seconds, so a loaded machine cannot push the suite past ava's timeout);
// `npm run bench:smoke` runs the whole suite once in quick mode and checks every figure.
// Timings are never asserted, and the runner is killed with its children if it overruns.
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { RawWsReceiver, SioClient, WsClient, WsStreamScanner, eachStamp } from "../scripts/bench/clients.js";
import { makeTmp, seedDatabase, sleep, startChatServer, stampedText } from "../scripts/bench/lib.js";
import { startWsFloor } from "../scripts/bench/servers.js";
import { PACKAGE_ROOT } from "../server/paths.js";
import { killTree, spawnTracked } from "./helpers/children.js";

const RUN = path.join(PACKAGE_ROOT, "dist", "scripts", "bench", "run.js");
const BENCHMARKS = ["fanout", "throughput", "connections", "history", "search", "conversations", "tui", "wire", "upload", "sshd", "sshd-views", "web"];
const SMOKE = process.env["BENCH_SMOKE"] === "1";

type Ref = { name: string; value: number | null; skipped?: string };
type Row = { bench: string; metric: string; value: number | null; skipped?: string; refs?: Ref[] };

/** Runs the bench runner; past `deadlineMs` its whole process group is killed and this rejects. */
function runBench(args: string[], deadlineMs: number, teardown: (fn: () => void) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnTracked(process.execPath, [RUN, ...args], { cwd: PACKAGE_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  teardown(() => killTree(child));
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killTree(child);
      reject(new Error(`bench ${args.join(" ")} did not finish within ${deadlineMs / 1000} s; killed. Output:\n${stderr.slice(-2000)}`));
    }, deadlineMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test("the bench runner loads every benchmark, lists them in its usage and refuses an unknown one", async (t) => {
  const help = await runBench(["--help"], 60_000, (fn) => t.teardown(fn));
  t.is(help.code, 0, help.stderr);
  for (const name of BENCHMARKS) t.true(help.stdout.includes(name), `usage names ${name}`);
  const bad = await runBench(["--only", "nosuch"], 60_000, (fn) => t.teardown(fn));
  t.not(bad.code, 0);
  t.regex(bad.stderr, /unknown benchmark "nosuch"; known: fanout/);
});

// ---- the raw TCP receivers of the fan-out benchmark (scripts/bench/clients.ts RawWsReceiver) ----

/** A server-to-client WebSocket frame (unmasked, FIN). */
function serverFrame(opcode: number, payload: Buffer | string): Buffer {
  const data = Buffer.from(payload);
  const len = data.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65536 ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 0xff]) : Buffer.alloc(10);
  if (len >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, data]);
}

/** The unmasked payloads of the client frames in `buf` (whole frames only). */
function clientFrames(buf: Buffer): { opcode: number; payload: Buffer }[] {
  const out: { opcode: number; payload: Buffer }[] = [];
  let p = 0;
  while (p + 6 <= buf.length) {
    let len = buf[p + 1]! & 0x7f;
    let at = p + 2;
    if (len === 126) (len = buf.readUInt16BE(at)), (at += 2);
    const mask = buf.subarray(at, at + 4);
    const payload = Buffer.from(buf.subarray(at + 4, at + 4 + len)).map((b, i) => b ^ mask[i & 3]!);
    out.push({ opcode: buf[p]! & 0x0f, payload: Buffer.from(payload) });
    p = at + 4 + len;
  }
  return out;
}

/**
 * Frames as chat-server sends them after session:ready: events of several sizes (one of
 * 21,504 bytes, whose 16-bit length starts with 0x7e 0x54, "~T"), an engine.io ping, a
 * WebSocket ping, an empty frame; with the stamps they carry.
 */
function streamOfFrames(): { bytes: Buffer; stamps: number[] } {
  const stamps: number[] = [];
  const frames: Buffer[] = [];
  /** An event frame whose payload is `size` bytes long. */
  const event = (size: number) => {
    const sentAt = 1_700_000_000_000 + stamps.length * 1.25;
    stamps.push(sentAt);
    const json = (pad: string) => `42["message:new",{"id":${stamps.length},"text":"~T${sentAt.toFixed(3)}~ hello","x":"${pad}"}]`;
    return serverFrame(1, json("y".repeat(Math.max(0, size - json("").length))));
  };
  frames.push(event(60), event(125), serverFrame(1, "2"), event(126), event(400));
  frames.push(event(21_504)); // 0x5400 bytes: its header is 0x81 0x7e 0x54 0x00, "~T" in the byte stream
  frames.push(serverFrame(9, "hb"), serverFrame(1, ""), event(80), serverFrame(1, "2"), event(70_000), event(90));
  return { bytes: Buffer.concat(frames), stamps };
}

test("the raw receivers' scanner counts every stamp once, wherever TCP cuts the stream, and sees the pings", (t) => {
  const { bytes, stamps } = streamOfFrames();
  t.true(bytes.includes(Buffer.from([0x81, 0x7e, 0x54, 0x00])), "the test stream has a frame header reading ~T");
  const run = (cuts: number[]) => {
    const seen: number[] = [];
    const pings: string[] = [];
    const scanner = new WsStreamScanner((opcode, payload) => pings.push(`${opcode}:${payload.toString()}`));
    scanner.captureAll = false;
    scanner.scanning = true;
    scanner.onData = (buf) => eachStamp(buf, (at) => seen.push(at));
    let from = 0;
    // Copies: the scanner writes over the extended-length header bytes of the chunks it is given.
    for (const c of [...cuts, bytes.length]) {
      scanner.push(Buffer.from(bytes.subarray(from, c)));
      from = c;
    }
    return { seen, pings };
  };
  const whole = run([]);
  t.deepEqual(whole.seen, stamps);
  t.deepEqual(whole.pings, ["1:2", "9:hb", "1:2"], "engine.io pings and the WebSocket ping are seen; the empty frame is not a ping");
  // Every cut into two chunks around the stamps and headers, and into three.
  let checked = 0;
  for (let cut = 1; cut < bytes.length; cut += cut < 1200 || cut > bytes.length - 300 ? 1 : 97) {
    const r = run([cut]);
    if (r.seen.length !== stamps.length || r.seen.some((s, i) => s !== stamps[i]) || r.pings.length !== 3) return t.fail(`cut at ${cut}: ${r.seen.length} stamps, ${r.pings.join(" ")}`);
    checked++;
  }
  for (let a = 1; a < 400; a += 3) {
    const r = run([a, a + 7, a + 19]);
    if (r.seen.length !== stamps.length || r.pings.length !== 3) return t.fail(`cuts at ${a}+0/7/19: ${r.seen.length} stamps`);
  }
  t.true(checked > 1000);
});

test("a raw receiver on a TCP socket: the hand-made upgrade, a stamp split across two TCP writes, a WebSocket ping answered with its pong", async (t) => {
  const { bytes, stamps } = streamOfFrames();
  const fromClient: Buffer[] = [];
  let release!: () => void;
  const pongs = new Promise<void>((resolve) => (release = resolve));
  const server = net.createServer((sock) => {
    let head = "";
    sock.on("data", async (d) => {
      if (!head.includes("\r\n\r\n")) {
        head += d.toString("latin1");
        if (!head.includes("\r\n\r\n")) return;
        const key = /sec-websocket-key: (.*)\r\n/i.exec(head)![1]!;
        const { createHash } = await import("node:crypto");
        const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
        sock.setNoDelay(true);
        sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        await sleep(100); // the receiver's onData is set once its connect resolved
        // Cut inside the second stamp, after "~T17": two writes 100 ms apart.
        const cut = bytes.indexOf("~T", bytes.indexOf("~T") + 2) + 4;
        sock.write(bytes.subarray(0, cut));
        await sleep(100);
        sock.write(bytes.subarray(cut));
        return;
      }
      fromClient.push(d);
      if (clientFrames(Buffer.concat(fromClient)).some((f) => f.opcode === 0xa)) release();
    });
  });
  t.teardown(() => server.close());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const c = await RawWsReceiver.floor((server.address() as net.AddressInfo).port, 0, { timeoutMs: 10_000 });
  t.teardown(() => c.close());
  const seen: number[] = [];
  c.onData = (buf) => eachStamp(buf, (at) => seen.push(at));
  await Promise.race([pongs, sleep(10_000)]);
  for (let i = 0; i < 100 && seen.length < stamps.length; i++) await sleep(50);
  t.deepEqual(seen, stamps);
  const frames = clientFrames(Buffer.concat(fromClient));
  t.deepEqual(frames.filter((f) => f.opcode === 0xa).map((f) => f.payload.toString()), ["hb"], "one pong, masked, echoing the ping's payload");
  t.true(c.open);
});

test("raw receivers count exactly the messages chat-server and the ws floor sent them, and survive chat-server's heartbeat", async (t) => {
  t.timeout(110_000);
  const { tmp, cleanup } = await makeTmp();
  t.teardown(cleanup);
  const seed = await seedDatabase({ quick: true, profile: false, log: () => {}, tmp }, { backend: "pglite", users: 3 });
  t.teardown(() => seed.drop());
  // Pinged every second (the least the server takes); a receiver that did not answer would be
  // dropped 3 s after a ping (long enough that a busy machine's pauses do not drop one that does).
  const server = await startChatServer(seed, { CHAT_PING_INTERVAL_MS: "1000", CHAT_PING_TIMEOUT_MS: "3000" });
  t.teardown(() => server.stop());
  const receivers = await Promise.all([1, 2].map((i) => RawWsReceiver.sio(server.url, seed.users[i]!.token, { timeoutMs: 30_000 })));
  t.teardown(() => receivers.forEach((r) => r.close()));
  const counts = receivers.map(() => 0);
  receivers.forEach((r, i) => (r.onData = (buf) => eachStamp(buf, () => counts[i]!++)));
  const sender = await SioClient.connect(server.url, seed.users[0]!.token, { timeoutMs: 30_000 });
  t.teardown(() => sender.close());
  // Five pings answered each: past interval + timeout since the first, so the pongs were what kept them.
  for (let i = 0; i < 1200 && receivers.some((r) => r.pings < 5); i++) await sleep(50);
  t.true(receivers.every((r) => r.pings >= 5), `pings answered: ${receivers.map((r) => r.pings).join(", ")}`);
  t.true(receivers.every((r) => r.open), "still connected after the ping interval + timeout");
  const n = 60;
  for (let i = 0; i < n; i++) {
    const r = await sender.request("message:send", { chatId: seed.generalId, text: stampedText(60 + (i % 7) * 40), clientId: randomUUID() });
    t.true(r.ok, JSON.stringify(r.error));
  }
  for (let i = 0; i < 200 && counts.some((c) => c < n); i++) await sleep(50);
  await sleep(300);
  t.deepEqual(counts, [n, n], "every message once to each receiver");
  t.true(receivers.every((r) => r.open));

  const floor = await startWsFloor();
  t.teardown(() => floor.stop());
  const r = await RawWsReceiver.floor(floor.port, 3);
  t.teardown(() => r.close());
  let got = 0;
  r.onData = (buf) => eachStamp(buf, () => got++);
  const a = await WsClient.connect(floor.port, 3);
  t.teardown(() => a.close());
  for (let i = 0; i < n; i++) a.send(stampedText(60));
  for (let i = 0; i < 200 && got < n; i++) await sleep(50);
  await sleep(300);
  t.is(got, n, "the floor's relays counted once each");
});

const smokeTest = SMOKE ? test : test.skip;
smokeTest("npm run bench -- --quick produces a figure (or a reason for its absence) for every benchmark and reference (npm run bench:smoke)", async (t) => {
  t.timeout(10 * 60_000);
  const dir = await mkdtemp(path.join(os.tmpdir(), "bench-test-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const out = path.join(dir, "results.json");
  const { code, stdout, stderr } = await runBench(["--quick", "--out", out], 9 * 60_000, (fn) => t.teardown(fn));
  t.is(code, 0, stderr.slice(-2000));
  const report = JSON.parse(await readFile(out, "utf8")) as { rows: Row[]; results: Record<string, { error?: string }>; machine: { nproc: number; cpu: string } };
  t.true(report.machine.nproc > 0 && report.machine.cpu.length > 0);
  for (const name of BENCHMARKS) {
    t.is(report.results[name]?.error, undefined, `${name} ran without failing`);
    const rows = report.rows.filter((r) => r.bench === name);
    t.true(rows.length > 0, `${name} produced rows`);
    for (const r of rows) {
      const label = `${name}: ${r.metric}`;
      // Only prerequisites outside the project (DATABASE_URL, tmux, ngircd) may skip a figure.
      if (r.value === null) t.regex(r.skipped ?? "", /^skipped: /, `${label} has a value or a skip reason`);
      else t.true(Number.isFinite(r.value), `${label} is a finite number`);
      for (const ref of r.refs ?? []) {
        if (ref.value === null) t.regex(ref.skipped ?? "", /^skipped: /, `${label}, reference ${ref.name}: a value or a skip reason`);
        else t.true(Number.isFinite(ref.value), `${label}, reference ${ref.name} is finite`);
      }
    }
  }
  t.regex(stdout, /benchmark\s+\| metric/, "the table is printed");
});
