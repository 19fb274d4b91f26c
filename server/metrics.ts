// Metrics: Prometheus text for /metrics (prom-client, one registry per server), readiness,
// and a JSON snapshot of this node for the admin dashboard.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { NodeMetrics } from "./protocol/index.js";

const WINDOW_MS = 60_000;
/** What admin:metrics shows instead of the name of a private room the admin is not in. */
export const PRIVATE_ROOM_LABEL = "(private room)";

/** Samples kept for the dashboard's last minute (the newest, when more arrived in it). */
export const RECENT_MAX = 20_000;

/**
 * The newest `capacity` samples (time, value) in two typed arrays written in a circle: a sample
 * costs two stores, no object, and the memory is fixed (an array of objects cost an allocation
 * per acknowledged message, and a splice of thousands of them every few thousand).
 */
export class Ring {
  private readonly at: Float64Array;
  private readonly values: Float64Array;
  private next = 0;
  private size = 0;
  constructor(private readonly capacity: number) {
    this.at = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }
  push(at: number, value: number): void {
    this.at[this.next] = at;
    this.values[this.next] = value;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    if (this.size < this.capacity) this.size++;
  }
  /** The values of the samples taken at or after `from`, oldest first. */
  since(from: number): Float64Array {
    const out = new Float64Array(this.size);
    let n = 0;
    for (let k = 0, i = (this.next - this.size + this.capacity) % this.capacity; k < this.size; k++, i = i + 1 === this.capacity ? 0 : i + 1) {
      if (this.at[i]! >= from) out[n++] = this.values[i]!;
    }
    return out.subarray(0, n);
  }
}

export interface Metrics {
  readonly registry: Registry;
  /** A client event was answered after `seconds`. */
  observeAck(event: string, seconds: number, ok: boolean): void;
  messageStored(chatId: number): void;
  dbQuery(seconds: number): void;
  snapshot(): Promise<NodeMetrics>;
  close(): void;
}

export function createMetrics(deps: {
  nodeId: string;
  sockets: () => number;
  onlineUsers: () => Promise<number>;
  /** How a chat is shown; `private` for a private room, whose name only its members may see. */
  chatName: (chatId: number) => Promise<{ name: string; private: boolean }>;
  /** The clock of the last minute's figures (tests); Date.now by default. */
  now?: () => number;
}): Metrics {
  const now = deps.now ?? Date.now;
  const registry = new Registry();
  registry.setDefaultLabels({ node: deps.nodeId });
  // Process memory, CPU, event-loop lag, GC and handles, per node.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const started = now();

  new Gauge({ name: "chat_connected_sockets", help: "Sockets connected to this node", registers: [registry], collect() { this.set(deps.sockets()); } });
  const online = new Gauge({ name: "chat_online_users", help: "Users online in the cluster, as this node sees it", registers: [registry] });
  const messages = new Counter({ name: "chat_messages_total", help: "Chat messages stored by this node", registers: [registry] });
  const ack = new Histogram({
    name: "chat_ack_latency_seconds",
    help: "Time from a client event's arrival to its acknowledgement",
    labelNames: ["event", "outcome"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const db = new Histogram({ name: "chat_db_query_seconds", help: "Database query latency", buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1], registers: [registry] });

  // Exact percentiles over the last minute for the dashboard; the histogram serves Prometheus.
  const recentAcks = new Ring(RECENT_MAX);
  const recentMessages = new Ring(RECENT_MAX);
  const LAG_RESOLUTION_MS = 20;
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  lag.enable();
  const names = new Map<number, { name: string; private: boolean }>();
  let messagesTotal = 0;

  const pct = (sorted: Float64Array, p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0);

  return {
    registry,
    observeAck(event, seconds, ok) {
      ack.observe({ event, outcome: ok ? "ok" : "error" }, seconds);
      recentAcks.push(now(), seconds * 1000);
    },
    messageStored(chatId) {
      messages.inc();
      messagesTotal++;
      recentMessages.push(now(), chatId);
    },
    dbQuery: (seconds) => db.observe(seconds),
    async snapshot() {
      const at = now();
      const sorted = recentAcks.since(at - WINDOW_MS).sort();
      const perChat = new Map<number, number>();
      for (const chatId of recentMessages.since(at - WINDOW_MS)) perChat.set(chatId, (perChat.get(chatId) ?? 0) + 1);
      const top = [...perChat].sort((a, b) => b[1] - a[1]).slice(0, 10);
      const rooms = [];
      for (const [chatId, count] of top) {
        if (!names.has(chatId)) names.set(chatId, await deps.chatName(chatId).catch(() => ({ name: `#${chatId}`, private: true })));
        const shown = names.get(chatId)!;
        // The snapshot travels to other nodes and to any admin: a private name never leaves here.
        rooms.push({ chatId, name: shown.private ? PRIVATE_ROOM_LABEL : shown.name, messages: count, private: shown.private });
      }
      const users = await deps.onlineUsers();
      online.set(users);
      const mem = process.memoryUsage();
      // The histogram records whole timer intervals; the lag is what exceeds the resolution.
      const lagMs = Math.max(0, lag.mean / 1e6 - LAG_RESOLUTION_MS);
      lag.reset();
      return {
        node: deps.nodeId,
        at: new Date(at).toISOString(),
        uptimeSec: Math.round((at - started) / 1000),
        sockets: deps.sockets(),
        onlineUsers: users,
        messagesTotal,
        ackMs: { p50: pct(sorted, 50), p90: pct(sorted, 90), p99: pct(sorted, 99), count: sorted.length },
        eventLoopLagMs: Number.isFinite(lagMs) ? lagMs : 0,
        rssBytes: mem.rss,
        heapUsedBytes: mem.heapUsed,
        rooms,
      };
    },
    close() {
      lag.disable();
      registry.clear();
    },
  };
}
