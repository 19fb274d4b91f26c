// Cluster presence against a real Redis (REDIS_URL), under a prefix of its own: the connection
// cap is one atomic check-and-take across nodes, and a resync after a blip counts nothing twice.
import { randomBytes } from "node:crypto";
import test from "ava";
import { createClient } from "redis";
import { createLogger } from "../log.js";
import type { Notifier } from "../services/ports.js";
import { createClusterPresence } from "./presence.js";

const REDIS_URL = process.env["REDIS_URL"] || undefined;
const it = REDIS_URL ? test.serial : test.skip;
const silent = { toAll: () => {}, toPresence: () => {} } as unknown as Notifier;
type Redis = Parameters<typeof createClusterPresence>[0]["redis"];
const user = { id: 42, nick: "alice", role: "user" as const };

async function twoNodes(t: import("ava").ExecutionContext) {
  const prefix = `chat-test-${randomBytes(4).toString("hex")}`;
  const clients = [createClient({ url: REDIS_URL }), createClient({ url: REDIS_URL })];
  for (const c of clients) await c.connect();
  const log = createLogger("silent");
  const nodes = clients.map((redis, i) => createClusterPresence({ redis: redis as unknown as Redis, nodeId: `n${i}`, notifier: silent, ttlMs: 5000, log, prefix }));
  t.teardown(async () => {
    for (const n of nodes) await n.close();
    const keys = await clients[0]!.keys(`${prefix}:*`);
    if (keys.length) await clients[0]!.del(keys);
    for (const c of clients) await c.quit();
  });
  return { nodes: nodes as [typeof nodes[0], typeof nodes[0]], redis: clients[0]!, prefix };
}

it("concurrent reservations on two nodes admit exactly the cap; releases free places", async (t) => {
  const { nodes } = await twoNodes(t);
  const results = await Promise.all(Array.from({ length: 16 }, (_, i) => nodes[i % 2]!.reserve(user.id, `s${i}`, 10)));
  t.is(results.filter(Boolean).length, 10);
  const admitted = results.flatMap((ok, i) => (ok ? [i] : []));
  await nodes[admitted[0]! % 2]!.release(user.id, `s${admitted[0]}`);
  t.true(await nodes[1].reserve(user.id, "again", 10), "a released place is free on any node");
  t.false(await nodes[0].reserve(user.id, "full", 10));
});

it("a resync while Redis kept its data counts each socket and reservation once", async (t) => {
  const { nodes, redis, prefix } = await twoNodes(t);
  await nodes[0].connect(user, "a");
  t.true(await nodes[0].reserve(user.id, "a", 2));
  t.true(await nodes[1].reserve(user.id, "b", 2));
  await nodes[0].resync();
  await nodes[0].resync();
  t.deepEqual([...(await nodes[1].onlineIds())], [user.id], "still online after the resyncs");
  t.is(await redis.hGet(`${prefix}:presence:count`, String(user.id)), "1");
  t.is(await redis.hGet(`${prefix}:conns:count`, String(user.id)), "2");
  t.false(await nodes[1].reserve(user.id, "c", 2), "the cap still counts both reservations");
});

it("protocol 2 presence across two nodes: each node batches its own changes with the cluster-wide count, and pages list both nodes' users", async (t) => {
  const prefix = `chat-test-${randomBytes(4).toString("hex")}`;
  const clients = [createClient({ url: REDIS_URL }), createClient({ url: REDIS_URL })];
  for (const c of clients) await c.connect();
  const log = createLogger("silent");
  const sent: { node: number; version: number; event: string; payload: any }[] = [];
  const nodes = clients.map((redis, i) =>
    createClusterPresence({
      redis: redis as unknown as Redis, nodeId: `n${i}`, ttlMs: 5000, log, prefix, options: { threshold: 100, tickMs: 30 },
      notifier: { toAll: () => {}, toPresence: (version: number, event: string, payload: unknown) => sent.push({ node: i, version, event, payload }) } as unknown as Notifier,
    }),
  );
  t.teardown(async () => {
    for (const n of nodes) await n.close();
    const keys = await clients[0]!.keys(`${prefix}:*`);
    if (keys.length) await clients[0]!.del(keys);
    for (const c of clients) await c.quit();
  });
  const u = (id: number) => ({ id, nick: `c${id}`, role: "user" as const });
  await Promise.all([1, 2, 3].map((id) => nodes[0]!.connect(u(id), `a${id}`)));
  await Promise.all([4, 5].map((id) => nodes[1]!.connect(u(id), `b${id}`)));
  await nodes[1]!.connect(u(1), "second-device");
  const batchesOf = (node: number) => sent.filter((s) => s.node === node && s.event === "presence:batch").map((s) => s.payload);
  for (let i = 0; i < 200 && (batchesOf(0).length < 1 || batchesOf(1).length < 1); i++) await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(batchesOf(0).flatMap((b) => b.online.map((x: { id: number }) => x.id)).sort(), [1, 2, 3]);
  t.deepEqual(batchesOf(1).flatMap((b) => b.online.map((x: { id: number }) => x.id)).sort(), [4, 5], "a second device elsewhere is no news");
  t.is(batchesOf(1).at(-1).count, 5, "the count is the cluster's");
  t.is(await nodes[0]!.onlineCount(), 5);
  const page = await nodes[0]!.onlinePage(undefined, 3);
  t.deepEqual(page.users.map((x) => x.id), [1, 2, 3]);
  const rest = await nodes[0]!.onlinePage(page.next!, 3);
  t.deepEqual(rest.users.map((x) => x.id), [4, 5]);
  t.is(rest.next, null);
  t.is(sent.filter((s) => s.event === "presence:update").length, 5, "protocol 1 still gets one update per user");
});
