// Metrics as operators read them: Prometheus text on /metrics, readiness on /readyz, and the
// admin-only snapshot the dashboard draws.
import test from "ava";
import type { ChatDto, ClusterMetrics } from "../server/protocol/index.js";
import { api, connect, newUser, nick, startTestServer, uuid, type TestServer } from "./helpers/harness.js";

let server: TestServer;
test.before(async () => {
  server = await startTestServer("pglite");
});
test.after.always(() => server.stop());

const metric = (text: string, name: string): number => {
  const line = text.split("\n").find((l) => l.startsWith(name) && !l.startsWith("#"));
  return line ? Number(line.split(" ").at(-1)) : NaN;
};

test.serial("/metrics serves Prometheus text with sockets, messages, ack latency, database, event loop and memory", async (t) => {
  const a = await newUser(server, "mt");
  const b = await newUser(server, "mt");
  const before = metric(await (await fetch(`${server.url}/metrics`)).text(), "chat_messages_total");
  for (let i = 0; i < 5; i++) await a.ok("message:send", { chatId: a.ready.chats[0]!.id, text: `m${i}`, clientId: uuid() });
  const res = await fetch(`${server.url}/metrics`);
  t.is(res.status, 200);
  t.regex(res.headers.get("content-type") ?? "", /text\/plain/);
  const text = await res.text();
  t.is(metric(text, "chat_messages_total") - before, 5);
  t.true(metric(text, "chat_connected_sockets") >= 2);
  const sendCount = text.split("\n").find((l) => l.startsWith("chat_ack_latency_seconds_count") && l.includes('event="message:send"') && l.includes('outcome="ok"'));
  t.true(Number(sendCount?.split(" ").at(-1)) >= 5, `message:send acks are timed: ${sendCount}`);
  t.regex(text, /chat_ack_latency_seconds_bucket\{le="0\.005",node="[^"]+",event="message:send",outcome="ok"\} \d+/);
  t.true(metric(text, "chat_db_query_seconds_count") > 0);
  for (const name of ["nodejs_eventloop_lag_seconds", "process_resident_memory_bytes", "nodejs_heap_size_used_bytes"]) t.regex(text, new RegExp(`^${name}`, "m"));
  a.close();
  b.close();
});

test.serial("/readyz says ready while the database answers, and not ready once a shutdown is announced", async (t) => {
  const own = await startTestServer("pglite");
  t.teardown(() => own.stop());
  const ok = await fetch(`${own.url}/readyz`);
  t.is(ok.status, 200);
  t.like(await ok.json(), { status: "ready", checks: { database: "ok" } });
  void own.shutdown({ inSeconds: 5, reason: "test" });
  const draining = await fetch(`${own.url}/readyz`);
  t.is(draining.status, 503, "a load balancer stops sending new clients");
  t.is((await fetch(`${own.url}/healthz`)).status, 200, "still alive while it counts down");
});

test.serial("admin:metrics gives admins live figures per node, rooms by activity included; others are refused", async (t) => {
  const name = nick("adm");
  await server.accounts.addUser({ nick: name, password: "admin-password", role: "admin" });
  const admin = await connect(server.url, (await api<never>(server.url, "/api/v1/login", { nick: name, password: "admin-password" })).body);
  const user = await newUser(server, "pl");
  const refused = await user.request("admin:metrics", {});
  t.is(refused.ok ? "" : refused.error.code, "FORBIDDEN");
  const room = await user.ok<ChatDto>("room:create", { name: `busy${Date.now().toString(36)}` });
  for (let i = 0; i < 7; i++) await user.ok("message:send", { chatId: room.id, text: `busy ${i}`, clientId: uuid() });
  const m = await admin.ok<ClusterMetrics>("admin:metrics", {});
  t.is(m.nodes.length, 1);
  const node = m.nodes[0]!;
  t.true(node.sockets >= 2);
  t.true(node.onlineUsers >= 2);
  t.true(node.ackMs.count > 0 && node.ackMs.p99 >= node.ackMs.p50);
  t.true(node.rssBytes > 0 && node.heapUsedBytes > 0);
  t.like(node.rooms.find((r) => r.chatId === room.id), { name: `#${room.name}`, messages: 7 });
  admin.close();
  user.close();
});
