// The dashboard's last-minute figures: a fixed ring of the newest samples, older than a minute left out.
import test from "ava";
import { createMetrics, RECENT_MAX, Ring } from "./metrics.js";

test("a ring keeps the newest samples, oldest first, and only those at or after the time asked for", (t) => {
  const ring = new Ring(4);
  t.deepEqual([...ring.since(0)], []);
  for (let i = 1; i <= 6; i++) ring.push(i * 10, i);
  t.deepEqual([...ring.since(0)], [3, 4, 5, 6]);
  t.deepEqual([...ring.since(45)], [5, 6]);
  t.deepEqual([...ring.since(61)], []);
});

test("the snapshot's ack percentiles and busiest rooms cover the last minute, at most RECENT_MAX samples", async (t) => {
  let clock = 1_000_000;
  const metrics = createMetrics({ nodeId: "n", sockets: () => 0, onlineUsers: async () => 0, chatName: async (id) => ({ name: `#${id}`, private: false }), now: () => clock });
  t.teardown(() => metrics.close());
  // A minute and more ago: slow acks in room 1; then fast ones in room 2.
  for (let i = 0; i < 100; i++) {
    metrics.observeAck("message:send", 0.5, true);
    metrics.messageStored(1);
  }
  clock += 61_000;
  for (let i = 0; i < RECENT_MAX + 500; i++) {
    metrics.observeAck("message:send", (i % 10) / 1000, true);
    metrics.messageStored(2);
  }
  const s = await metrics.snapshot();
  t.is(s.ackMs.count, RECENT_MAX);
  t.is(s.ackMs.p99, 9);
  t.is(s.ackMs.p50, 5);
  t.deepEqual(s.rooms.map((r) => [r.chatId, r.messages]), [[2, RECENT_MAX]]);
  t.is(s.messagesTotal, RECENT_MAX + 600);
});
