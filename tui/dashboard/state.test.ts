import test from "ava";
import type { NodeMetrics } from "../../server/protocol/index.js";
import { ingest, initialDash, POINTS, roomsByActivity } from "./state.js";

const node = (name: string, total: number, extra: Partial<NodeMetrics> = {}): NodeMetrics => ({
  node: name, at: "", uptimeSec: 1, sockets: 3, onlineUsers: 5, messagesTotal: total, ackMs: { p50: 1, p90: 2, p99: 4, count: 10 },
  eventLoopLagMs: 1.5, rssBytes: 100 * 1048576, heapUsedBytes: 1, rooms: [], ...extra,
});

test("message totals become a cluster-wide rate; sockets add up; online is the cluster's", (t) => {
  let s = ingest(initialDash("x"), { nodes: [node("a", 100), node("b", 50)] }, 1000);
  t.deepEqual(s.series.messagesPerSec, [0]);
  s = ingest(s, { nodes: [node("a", 130), node("b", 60)] }, 3000);
  t.deepEqual(s.series.messagesPerSec, [0, 20]);
  t.deepEqual(s.series.sockets, [6, 6]);
  t.deepEqual(s.series.online, [5, 5]);
  t.deepEqual(s.series.rssMiB, [200, 200]);
  // A node that restarted counts from zero: its drop is not negative traffic.
  s = ingest(s, { nodes: [node("a", 140), node("b", 2)] }, 4000);
  t.is(s.series.messagesPerSec.at(-1), 10);
});

test("series keep a bounded number of points", (t) => {
  let s = initialDash("x");
  for (let i = 0; i < POINTS + 25; i++) s = ingest(s, { nodes: [node("a", i)] }, i * 1000);
  t.is(s.series.labels.length, POINTS);
  t.is(s.series.sockets.length, POINTS);
});

test("rooms by activity add up the same chat across nodes", (t) => {
  const s = ingest(initialDash("x"), {
    nodes: [node("a", 1, { rooms: [{ chatId: 1, name: "#general", messages: 4 }, { chatId: 2, name: "#ops", messages: 9 }] }), node("b", 1, { rooms: [{ chatId: 1, name: "#general", messages: 7 }] })],
  }, 1);
  t.deepEqual(roomsByActivity(s), [{ name: "#general", messages: 11 }, { name: "#ops", messages: 9 }]);
});
