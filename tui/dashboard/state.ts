// The dashboard's pure state: successive cluster snapshots become bounded time series.
import type { ClusterMetrics, NodeMetrics } from "../../server/protocol/index.js";

export const POINTS = 60;

export type Series = { labels: string[]; sockets: number[]; online: number[]; messagesPerSec: number[]; p50: number[]; p90: number[]; p99: number[]; lagMs: number[]; rssMiB: number[] };

export type DashState = {
  server: string;
  status: "connecting" | "online" | "reconnecting" | "offline";
  error: string | null;
  nodes: NodeMetrics[];
  series: Series;
  /** The previous snapshot's message total per node and its time, for rates. */
  previous: { at: number; totals: Record<string, number> } | null;
};

const emptySeries = (): Series => ({ labels: [], sockets: [], online: [], messagesPerSec: [], p50: [], p90: [], p99: [], lagMs: [], rssMiB: [] });

export const initialDash = (server: string): DashState => ({ server, status: "connecting", error: null, nodes: [], series: emptySeries(), previous: null });

const push = (list: number[] | string[], value: number | string) => [...list, value].slice(-POINTS);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const max = (xs: number[]) => (xs.length ? Math.max(...xs) : 0);

/** Adds a snapshot taken at `now` (ms): totals become rates, nodes become one point each. */
export function ingest(state: DashState, m: ClusterMetrics, now: number): DashState {
  const nodes = [...m.nodes].sort((a, b) => a.node.localeCompare(b.node));
  const totals = Object.fromEntries(nodes.map((n) => [n.node, n.messagesTotal]));
  let rate = 0;
  if (state.previous && now > state.previous.at) {
    // A node that restarted counts from zero again; count only growth.
    const grown = nodes.map((n) => Math.max(0, n.messagesTotal - (state.previous!.totals[n.node] ?? n.messagesTotal)));
    rate = sum(grown) / ((now - state.previous.at) / 1000);
  }
  const s = state.series;
  const label = new Date(now).toISOString().slice(11, 19);
  return {
    ...state,
    status: "online",
    error: null,
    nodes,
    previous: { at: now, totals },
    series: {
      labels: push(s.labels, label) as string[],
      sockets: push(s.sockets, sum(nodes.map((n) => n.sockets))) as number[],
      // Every node sees the whole cluster's online users; take the highest.
      online: push(s.online, max(nodes.map((n) => n.onlineUsers))) as number[],
      messagesPerSec: push(s.messagesPerSec, Math.round(rate * 10) / 10) as number[],
      p50: push(s.p50, max(nodes.map((n) => n.ackMs.p50))) as number[],
      p90: push(s.p90, max(nodes.map((n) => n.ackMs.p90))) as number[],
      p99: push(s.p99, max(nodes.map((n) => n.ackMs.p99))) as number[],
      lagMs: push(s.lagMs, max(nodes.map((n) => n.eventLoopLagMs))) as number[],
      rssMiB: push(s.rssMiB, Math.round(sum(nodes.map((n) => n.rssBytes)) / 1048576)) as number[],
    },
  };
}

/** Rooms by activity across nodes: the same chat's counts added up. */
export function roomsByActivity(state: DashState): { name: string; messages: number }[] {
  const byChat = new Map<number, { name: string; messages: number }>();
  for (const n of state.nodes) for (const r of n.rooms) {
    const e = byChat.get(r.chatId) ?? { name: r.name, messages: 0 };
    e.messages += r.messages;
    byChat.set(r.chatId, e);
  }
  return [...byChat.values()].sort((a, b) => b.messages - a.messages).slice(0, 10);
}

export const withStatus = (state: DashState, status: DashState["status"], error: string | null = null): DashState => ({ ...state, status, error });
