// The live admin dashboard, drawn with blessed-contrib from DashState once per tick.
import { createRequire } from "node:module";
import type { Widgets } from "blessed";
import { sanitizeLine } from "../ui/sanitize.js";
import { roomsByActivity, type DashState } from "./state.js";

type Line = { setData(d: { title: string; x: string[]; y: number[]; style?: { line: string } }[]): void };
type Table = { setData(d: { headers: string[]; data: string[][] }): void };
type Box = { setContent(s: string): void };
type Grid = { set(row: number, col: number, rowSpan: number, colSpan: number, widget: unknown, opts: Record<string, unknown>): unknown };
type Contrib = { grid: new (o: { rows: number; cols: number; screen: Widgets.Screen }) => Grid; line: unknown; table: unknown };

const mib = (b: number) => `${Math.round(b / 1048576)}M`;
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

export function createDashboardView(screen: Widgets.Screen) {
  const require = createRequire(import.meta.url);
  const contrib = require("blessed-contrib") as Contrib;
  const blessed = require("blessed") as typeof import("blessed");
  const grid = new contrib.grid({ rows: 12, cols: 12, screen });
  // 80x24 and up: two rows of charts, then rooms beside a status box, then the nodes.
  const chart = (row: number, col: number, label: string) =>
    grid.set(row, col, 3, 6, contrib.line, { label, showLegend: true, legend: { width: 10 }, minY: 0, wholeNumbersOnly: false, style: { text: "white", baseline: "white" }, xLabelPadding: 1, xPadding: 1 }) as Line;
  const connections = chart(0, 0, " Connections / online ");
  const throughput = chart(0, 6, " Messages per second ");
  const latency = chart(3, 0, " Ack latency ms ");
  const process = chart(3, 6, " Event-loop lag ms / RSS MiB ");
  const rooms = grid.set(6, 0, 3, 6, contrib.table, { label: " Rooms by activity (last minute) ", keys: false, interactive: false, columnSpacing: 2, columnWidth: [24, 6], fg: "white" }) as Table;
  const status = grid.set(6, 6, 3, 6, blessed.box, { label: " Status ", tags: true, padding: { left: 1 } }) as Box;
  const nodes = grid.set(9, 0, 3, 12, contrib.table, {
    label: " Nodes ", keys: false, interactive: false, columnSpacing: 2, columnWidth: [22, 7, 7, 9, 9, 9, 8], fg: "white",
  }) as Table;

  const xs = (s: DashState) => (s.series.labels.length ? s.series.labels : [""]);
  const ys = (v: number[]) => (v.length ? v : [0]);

  return {
    render(s: DashState) {
      const x = xs(s);
      connections.setData([
        { title: "sockets", x, y: ys(s.series.sockets), style: { line: "cyan" } },
        { title: "online", x, y: ys(s.series.online), style: { line: "green" } },
      ]);
      throughput.setData([{ title: "msg/s", x, y: ys(s.series.messagesPerSec), style: { line: "yellow" } }]);
      latency.setData([
        { title: "p50", x, y: ys(s.series.p50), style: { line: "green" } },
        { title: "p90", x, y: ys(s.series.p90), style: { line: "yellow" } },
        { title: "p99", x, y: ys(s.series.p99), style: { line: "red" } },
      ]);
      process.setData([
        { title: "lag ms", x, y: ys(s.series.lagMs), style: { line: "magenta" } },
        { title: "RSS MiB", x, y: ys(s.series.rssMiB), style: { line: "cyan" } },
      ]);
      const top = roomsByActivity(s);
      rooms.setData({ headers: ["room", "msgs"], data: top.length ? top.map((r) => [sanitizeLine(r.name).slice(0, 24), String(r.messages)]) : [["(quiet)", ""]] });
      nodes.setData({
        headers: ["node", "sockets", "users", "p50 ms", "p99 ms", "lag ms", "RSS"],
        data: s.nodes.map((n) => [
          sanitizeLine(n.node).slice(-22), String(n.sockets), String(n.onlineUsers), ms(n.ackMs.p50), ms(n.ackMs.p99), ms(n.eventLoopLagMs), mib(n.rssBytes),
        ]),
      });
      const last = s.series.messagesPerSec.at(-1) ?? 0;
      const state = s.status === "online" ? "{green-fg}● online{/green-fg}" : `{yellow-fg}◌ ${s.status}{/yellow-fg}`;
      const err = s.error ? `\n{red-fg}${sanitizeLine(s.error).slice(0, 70)}{/red-fg}` : "";
      const total = s.nodes.reduce((n, x) => n + x.messagesTotal, 0);
      status.setContent(`${state} ${sanitizeLine(s.server)}\n${s.nodes.length} node(s), ${last} msg/s, ${total} stored since start${err}\n{gray-fg}q: quit{/gray-fg}`);
      screen.render();
    },
  };
}
