// A forked load-generating process: connects many clients, sends at a steady rate, records
// delivery latencies into a histogram; driven by the benchmark runner over IPC (lib.ts startWorker).
import { randomUUID } from "node:crypto";
import { IrcClient, RawWsReceiver, SioClient, WsClient, eachStamp, type BenchClient } from "./clients.js";
import { Histogram, now, sleep, stampedText } from "./common.js";

type Target =
  | { kind: "sio"; url: string }
  | { kind: "ws"; port: number }
  | { kind: "irc"; port: number };
/** Per client: a token (sio), or a room number (ws) / channel (irc). */
type Spec = { token?: string; room?: number; channel?: string; nick?: string };

const clients: BenchClient[] = [];
let deliveries = new Histogram();
let window = { from: Infinity, to: Infinity };
let inWindow = 0;
/** Deliveries that arrived within the window, whenever sent (throughput under overload). */
let arrived = 0;
/** When the last delivery of a message sent within the window arrived. */
let lastAt = 0;
/** Every stamped delivery since `measure`, whenever sent (deliveries made vs expected, CPU per delivery). */
let total = 0;

function onData(buf: Buffer) {
  eachStamp(buf, (sentAt) => {
    const at = now();
    total++;
    if (at >= window.from && at <= window.to) arrived++;
    if (sentAt < window.from || sentAt > window.to) return;
    inWindow++;
    lastAt = at;
    deliveries.record(at - sentAt);
  });
}

/** `message:updated` arrivals by message id (see the `track` command), for events a stamp cannot mark (reactions). */
let updatedAt = new Map<number, number[]>();
const UPDATED = Buffer.from('"message:updated"');
const UPDATED_ID = /"message":\{"id":(\d+)/;

function onUpdated(buf: Buffer) {
  if (buf.indexOf(UPDATED) === -1) return;
  const at = now();
  const m = UPDATED_ID.exec(buf.toString("latin1", 0, Math.min(buf.length, 200)));
  if (!m) return;
  const id = Number(m[1]);
  const list = updatedAt.get(id);
  if (list) list.push(at);
  else updatedAt.set(id, [at]);
}

/**
 * `raw`: receivers on raw TCP sockets scanning the byte stream for stamps (RawWsReceiver), like
 * the IRC client; otherwise the `ws`-based clients (one parsed message per frame), which senders need.
 */
async function connectOne(target: Target, spec: Spec, localAddress: string | undefined, raw: boolean): Promise<BenchClient> {
  const opts = localAddress ? { localAddress } : {};
  if (target.kind === "sio") return raw ? RawWsReceiver.sio(target.url, spec.token!, opts) : SioClient.connect(target.url, spec.token!, opts);
  if (target.kind === "ws") return raw ? RawWsReceiver.floor(target.port, spec.room ?? 0, opts) : WsClient.connect(target.port, spec.room ?? 0, opts);
  return IrcClient.connect(target.port, spec.nick!, spec.channel!, opts);
}

/** Acknowledgements of message:send: how many, their latency, and the first error. */
function ackTally() {
  const hist = new Histogram();
  /** Refusals by ack error code. */
  const codes: Record<string, number> = {};
  const t = { acked: 0, errors: 0, firstError: null as string | null, codes };
  return {
    t,
    hist,
    record(r: { ok: boolean; error?: { code: string; message: string } }, at: number) {
      if (r.ok) {
        t.acked++;
        hist.record(now() - at);
      } else {
        t.errors++;
        const code = r.error?.code ?? "UNKNOWN";
        codes[code] = (codes[code] ?? 0) + 1;
        t.firstError ??= `${r.error?.code}: ${r.error?.message}`;
      }
    },
  };
}

const commands: Record<string, (a: any) => Promise<unknown>> = {
  /** Connects one client per spec, `concurrency` at a time; returns how many and the first error. `raw`: see connectOne. */
  async connect(a: { target: Target; specs: Spec[]; concurrency?: number; localAddresses?: string[]; listen?: boolean; raw?: boolean }) {
    let next = 0;
    let failed = 0;
    let firstError: string | null = null;
    const slots: (BenchClient | undefined)[] = new Array(a.specs.length);
    const runOne = async () => {
      while (next < a.specs.length) {
        const i = next++;
        const local = a.localAddresses?.length ? a.localAddresses[i % a.localAddresses.length] : undefined;
        try {
          const c = await connectOne(a.target, a.specs[i]!, local, a.raw === true);
          if (a.listen !== false) c.onData = onData;
          slots[i] = c; // in spec order: sender i sends to chat i
        } catch (e) {
          failed++;
          firstError ??= (e as Error).message;
        }
      }
    };
    await Promise.all(Array.from({ length: a.concurrency ?? 50 }, runOne));
    const ok = slots.filter((c): c is BenchClient => c !== undefined);
    clients.push(...ok);
    return { connected: ok.length, failed, firstError };
  },

  async measure(a: { from: number; to: number }) {
    deliveries = new Histogram();
    window = a;
    inWindow = 0;
    arrived = 0;
    lastAt = 0;
    total = 0;
    return null;
  },

  /** From now on every client records when each `message:updated` arrives, by message id. */
  async track() {
    updatedAt = new Map();
    for (const c of clients) c.onData = onUpdated;
    return null;
  },

  /** Back to recording stamped deliveries (after `track`). */
  async stamps() {
    for (const c of clients) c.onData = onData;
    return null;
  },

  /** The arrivals recorded since `track`, as [message id, times][]. */
  async tracked() {
    return [...updatedAt.entries()];
  },

  /**
   * Client 0 edits or reacts to one message of `messageIds` after another, `rate` a second,
   * each once (so a message id names one operation); returns when each was emitted and the
   * ack latencies.
   */
  async act(a: { kind: "edit" | "react"; rate: number; messageIds: number[]; drainMs?: number }) {
    const c = clients[0] as SioClient;
    const acks = ackTally();
    const sentAt: [number, number][] = [];
    const start = now();
    while (sentAt.length < a.messageIds.length) {
      const due = Math.min(a.messageIds.length, Math.floor(((now() - start) / 1000) * a.rate) + 1);
      while (sentAt.length < due) {
        const messageId = a.messageIds[sentAt.length]!;
        const at = now();
        sentAt.push([messageId, at]);
        if (a.kind === "edit") c.emit("message:edit", { messageId, text: `edited ${messageId} at ${at.toFixed(0)}`, clientId: randomUUID() }, (r) => acks.record(r, at));
        else c.emit("message:react", { messageId, emoji: "👍", on: true }, (r) => acks.record(r, at));
      }
      await sleep(2);
    }
    const deadline = now() + (a.drainMs ?? 10_000);
    while (acks.t.acked + acks.t.errors < sentAt.length && now() < deadline) await sleep(10);
    return { sent: sentAt.length, sentAt, ...acks.t, elapsedMs: now() - start, ackHist: acks.hist.toJSON() };
  },

  /** Stamped deliveries since `measure` (cheap to poll while waiting for the last ones). */
  async count() {
    return total;
  },

  async report() {
    return { deliveries: inWindow, arrived, lastAt, total, hist: deliveries.toJSON() };
  },

  /** TCP reads of the clients that count them (raw receivers, IRC), and how many clients do. */
  async reads() {
    const counting = clients.filter((c) => c.reads);
    return { reads: counting.reduce((s, c) => s + c.reads!(), 0), clients: counting.length };
  },

  async bytes() {
    return { read: clients.reduce((s, c) => s + c.bytesRead(), 0), written: clients.reduce((s, c) => s + c.bytesWritten(), 0) };
  },

  /**
   * Sends `rate` messages per second in total for `durationMs`, round-robin over the first
   * `senders` clients, each to its own chat (chatIds[i]) or room/channel; socket.io sends
   * are acknowledged and their ack latency recorded.
   */
  async send(a: { rate: number; durationMs: number; senders: number; chatIds?: number[]; textSize?: number; drainMs?: number }) {
    const senders = clients.slice(0, a.senders);
    const acks = ackTally();
    let sent = 0;
    const start = now();
    let turn = 0;
    while (now() - start < a.durationMs) {
      const due = Math.floor(((now() - start) / 1000) * a.rate);
      while (sent < due) {
        const i = turn++ % senders.length;
        const c = senders[i]!;
        const text = stampedText(a.textSize ?? 60);
        if (c instanceof SioClient) {
          const at = now();
          c.emit("message:send", { chatId: a.chatIds![i % a.chatIds!.length], text, clientId: randomUUID() }, (r) => acks.record(r, at));
        } else (c as WsClient | IrcClient).send(text);
        sent++;
      }
      await sleep(2);
    }
    const deadline = now() + (a.drainMs ?? 5000);
    while (senders[0] instanceof SioClient && acks.t.acked + acks.t.errors < sent && now() < deadline) await sleep(10);
    return { sent, ...acks.t, elapsedMs: now() - start, ackHist: acks.hist.toJSON() };
  },

  /**
   * Closed loop: each sender keeps `window` messages unacknowledged, for `durationMs`;
   * measures acknowledged messages per second and ack latency (socket.io only).
   */
  async blast(a: { durationMs: number; senders: number; window: number; chatIds: number[]; textSize?: number }) {
    const acks = ackTally();
    const start = now();
    const end = start + a.durationMs;
    await Promise.all(
      clients.slice(0, a.senders).map((c, i) =>
        Promise.all(
          Array.from({ length: a.window }, async () => {
            while (now() < end) {
              const at = now();
              const r = await (c as SioClient).request("message:send", { chatId: a.chatIds[i % a.chatIds.length], text: stampedText(a.textSize ?? 60), clientId: randomUUID() });
              acks.record(r, at);
            }
          }),
        ),
      ),
    );
    return { ...acks.t, elapsedMs: now() - start, ackHist: acks.hist.toJSON() };
  },

  /** Sends one request from client `index` and returns its result and the round-trip time. */
  async request(a: { index: number; event: string; payload: unknown }) {
    const at = now();
    const r = await (clients[a.index] as SioClient).request(a.event, a.payload);
    return { ms: now() - at, result: r };
  },

  async close() {
    for (const c of clients.splice(0)) c.close();
    return null;
  },

  async exit() {
    for (const c of clients.splice(0)) c.close();
    setTimeout(() => process.exit(0), 10);
    return null;
  },
};

process.on("message", (m: { id: number; cmd: string; args: unknown }) => {
  const fn = commands[m.cmd];
  if (!fn) {
    process.send!({ id: m.id, ok: false, error: `unknown command ${m.cmd}` });
    return;
  }
  fn(m.args).then(
    (value) => process.send!({ id: m.id, ok: true, value }),
    (e: Error) => process.send!({ id: m.id, ok: false, error: e.message }),
  );
});
// The runner going away (even by SIGKILL) must not leave load generators behind.
process.on("disconnect", () => process.exit(0));
