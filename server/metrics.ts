// Metrics: Prometheus text for /metrics (prom-client, one registry per server), readiness,
// and a JSON snapshot of this node for the admin dashboard.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { NodeMetrics } from "./protocol/index.js";

const WINDOW_MS = 60_000;
/** What admin:metrics shows instead of the name of a private room the admin is not in. */
export const PRIVATE_ROOM_LABEL = "(private room)";

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
}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ node: deps.nodeId });
  // Process memory, CPU, event-loop lag, GC and handles, per node.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const started = Date.now();

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
  const recentAcks: { at: number; ms: number }[] = [];
  const recentMessages: { at: number; chatId: number }[] = [];
  const LAG_RESOLUTION_MS = 20;
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  lag.enable();
  const names = new Map<number, { name: string; private: boolean }>();
  let messagesTotal = 0;

  const trim = <T extends { at: number }>(list: T[], now: number) => {
    let i = 0;
    while (i < list.length && list[i]!.at < now - WINDOW_MS) i++;
    if (i) list.splice(0, i);
    if (list.length > 20_000) list.splice(0, list.length - 20_000);
  };
  const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0);

  return {
    registry,
    observeAck(event, seconds, ok) {
      ack.observe({ event, outcome: ok ? "ok" : "error" }, seconds);
      recentAcks.push({ at: Date.now(), ms: seconds * 1000 });
      if (recentAcks.length > 25_000) trim(recentAcks, Date.now());
    },
    messageStored(chatId) {
      messages.inc();
      messagesTotal++;
      recentMessages.push({ at: Date.now(), chatId });
      if (recentMessages.length > 25_000) trim(recentMessages, Date.now());
    },
    dbQuery: (seconds) => db.observe(seconds),
    async snapshot() {
      const now = Date.now();
      trim(recentAcks, now);
      trim(recentMessages, now);
      const sorted = recentAcks.map((a) => a.ms).sort((a, b) => a - b);
      const perChat = new Map<number, number>();
      for (const m of recentMessages) perChat.set(m.chatId, (perChat.get(m.chatId) ?? 0) + 1);
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
        at: new Date(now).toISOString(),
        uptimeSec: Math.round((now - started) / 1000),
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
