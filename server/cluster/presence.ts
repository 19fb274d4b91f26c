// Cluster-wide presence in Redis. Each node counts its sockets per user in its own hash and
// in a global hash (atomically, in Lua), and keeps a heartbeat key alive. A node whose
// heartbeat lapses (it died) is reaped by whichever node notices first: its counts are taken
// out of the global hash and the users it alone held are announced offline, so no ghosts stay.
// Connection reservations (the per-account cap) are counted the same way in two more hashes,
// checked and taken in one script so concurrent handshakes on any nodes cannot overshoot.
// While Redis is unreachable presence falls back to this node's own sockets, and is counted
// again in Redis (resync) when it is back.
import type { createClient } from "redis";
import type { Logger } from "../log.js";
import type { UserDto } from "../protocol/index.js";
import type { Notifier } from "../services/ports.js";
import { byNick, createLocalReservations, createLocalSockets, createOnlinePager, createPresenceAnnouncer, type PresenceOptions, type PresenceService } from "../services/presence.js";

type Redis = ReturnType<typeof createClient>;

/** The keys of one deployment: every name starts with its prefix (CHAT_REDIS_PREFIX). */
const keys = (prefix: string) => ({
  nodes: `${prefix}:presence:nodes`,
  global: `${prefix}:presence:count`,
  users: `${prefix}:presence:users`,
  node: (id: string) => `${prefix}:presence:node:${id}`,
  alive: (id: string) => `${prefix}:presence:alive:${id}`,
  conns: `${prefix}:conns:count`,
  nodeConns: (id: string) => `${prefix}:conns:node:${id}`,
});

// KEYS: node conns hash, global conns hash. ARGV: user id, max. Returns 1 when reserved.
const RESERVE = `
local held = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if held >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
return 1`;

// KEYS: node hash, global hash. ARGV: user id, count, user id, count, ... Takes this node's
// recorded counts out of the global hash and puts the given ones in, whether or not Redis
// kept its data: nothing is counted twice after a blip, nothing lost after a restart.
const RESYNC_COUNTS = `
local old = redis.call('HGETALL', KEYS[1])
for i = 1, #old, 2 do
  local left = redis.call('HINCRBY', KEYS[2], old[i], -tonumber(old[i + 1]))
  if left <= 0 then redis.call('HDEL', KEYS[2], old[i]) end
end
redis.call('DEL', KEYS[1])
for i = 1, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], tonumber(ARGV[i + 1]))
  redis.call('HINCRBY', KEYS[2], ARGV[i], tonumber(ARGV[i + 1]))
end
return 1`;

// KEYS: node hash, global hash, users hash. ARGV: user id, user json. Returns the global count.
const CONNECT = `
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return redis.call('HINCRBY', KEYS[2], ARGV[1], 1)`;

// KEYS: node hash, global hash. ARGV: user id. Returns the global count left, or -1 when this
// node held no socket for the user in Redis (it was reaped meanwhile): nothing to take away.
const DISCONNECT = `
local mine = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if mine <= 0 then return -1 end
if mine == 1 then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HINCRBY', KEYS[1], ARGV[1], -1) end
local left = redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
if left <= 0 then redis.call('HDEL', KEYS[2], ARGV[1]) end
return left`;

// KEYS: nodes set, dead node hash, global hash, dead node conns hash, global conns hash.
// ARGV: dead node id. Returns the users now offline.
const REAP = `
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return {} end
local entries = redis.call('HGETALL', KEYS[2])
local offline = {}
for i = 1, #entries, 2 do
  local left = redis.call('HINCRBY', KEYS[3], entries[i], -tonumber(entries[i + 1]))
  if left <= 0 then redis.call('HDEL', KEYS[3], entries[i]); table.insert(offline, entries[i]) end
end
redis.call('DEL', KEYS[2])
local conns = redis.call('HGETALL', KEYS[4])
for i = 1, #conns, 2 do
  local left = redis.call('HINCRBY', KEYS[5], conns[i], -tonumber(conns[i + 1]))
  if left <= 0 then redis.call('HDEL', KEYS[5], conns[i]) end
end
redis.call('DEL', KEYS[4])
return offline`;

// KEYS: nodes set, alive key. ARGV: node id, ttl ms. Returns 1 when the node was registered.
const HEARTBEAT = `
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
return redis.call('SADD', KEYS[1], ARGV[1]) == 0 and 1 or 0`;

export function createClusterPresence(deps: { redis: Redis; nodeId: string; notifier: Notifier; ttlMs: number; log: Logger; prefix?: string; options?: PresenceOptions }): PresenceService & {
  /** After Redis lost its data (a restart), put this node's sockets back. */
  resync(): Promise<void>;
} {
  const { redis, nodeId, notifier, log } = deps;
  const K = keys(deps.prefix ?? "chat");
  const local = createLocalSockets();
  const reserved = createLocalReservations();
  /** Sockets whose reservation Redis counts (not those admitted while it was unreachable). */
  const counted = new Set<string>();
  let degraded = false;
  const reapKeys = (node: string) => [K.nodes, K.node(node), K.global, K.nodeConns(node), K.conns];
  const userKey = (u: UserDto) => JSON.stringify({ id: u.id, nick: u.nick, role: u.role });
  let registered = false;
  // Counted across the cluster: users whose global count is above zero (zeros are deleted).
  const onlineCount = () => redis.hLen(K.global).catch(() => local.size());
  const announcer = createPresenceAnnouncer({ notifier, count: onlineCount, ...(deps.options ? { options: deps.options } : {}) });
  // Each node announces the changes it made; the batches of every node reach every socket.
  const announce = (user: UserDto, online: boolean) => {
    pager.changed();
    announcer.announce(user, online);
  };

  async function resync() {
    // Our counts in Redis are gone or stale: take out whatever is left of them (the reaper's
    // path, on ourselves; nothing if Redis restarted empty or another node reaped us), then
    // count again the sockets this node holds.
    await redis.eval(REAP, { keys: reapKeys(nodeId), arguments: [nodeId] });
    const multi = redis.multi().del(K.node(nodeId));
    for (const { user, count } of local.users()) {
      multi.hIncrBy(K.node(nodeId), String(user.id), count).hIncrBy(K.global, String(user.id), count).hSet(K.users, String(user.id), userKey(user));
    }
    await multi.sAdd(K.nodes, nodeId).set(K.alive(nodeId), "1", { PX: deps.ttlMs }).exec();
    const held = reserved.counts();
    await redis.eval(RESYNC_COUNTS, { keys: [K.nodeConns(nodeId), K.conns], arguments: held.flatMap((h) => [String(h.userId), String(h.count)]) });
    for (const id of reserved.ids()) counted.add(id);
    registered = true;
  }

  async function heartbeat() {
    const wasMember = Number(await redis.eval(HEARTBEAT, { keys: [K.nodes, K.alive(nodeId)], arguments: [nodeId, String(deps.ttlMs)] }));
    // Reaped while we were alive (a long pause) or Redis restarted empty: count again.
    if (registered && wasMember === 0) {
      log.warn({ node: nodeId }, "presence lost in Redis; re-registering this node's sockets");
      await resync();
    }
    registered = true;
  }

  async function sweep() {
    const nodes = await redis.sMembers(K.nodes);
    for (const other of nodes) {
      if (other === nodeId || (await redis.exists(K.alive(other)))) continue;
      const offline = (await redis.eval(REAP, { keys: reapKeys(other), arguments: [other] })) as string[];
      if (offline.length) log.warn({ node: other, users: offline.length }, "reaped a node that stopped; its users are offline");
      for (const id of offline) {
        const json = await redis.hGet(K.users, id);
        if (json) announce(JSON.parse(json) as UserDto, false);
      }
    }
  }

  const tick = () => {
    // During an outage the connection's own log line says it all, once.
    if (!redis.isReady) return;
    heartbeat().then(sweep).catch((e: Error) => log.warn({ err: e.message }, "presence heartbeat failed"));
  };
  const timer = setInterval(tick, Math.max(200, Math.floor(deps.ttlMs / 3)));
  timer.unref();
  const started = heartbeat().catch((e: Error) => log.warn({ err: e.message }, "presence heartbeat failed"));

  // Redis commands fail at once while it is unreachable (and time out when it hangs): then this
  // node answers from its own sockets, as a single node would.
  const localOnline = () => local.users().map((e) => e.user).sort(byNick);
  async function online(): Promise<UserDto[]> {
    try {
      const counts = await redis.hGetAll(K.global);
      const ids = Object.entries(counts).filter(([, n]) => Number(n) > 0).map(([id]) => id);
      if (!ids.length) return [];
      const users = await redis.hmGet(K.users, ids);
      return users.flatMap((j) => (j ? [JSON.parse(j) as UserDto] : [])).sort(byNick);
    } catch {
      return localOnline();
    }
  }
  // Changes made on other nodes reach this one as batches, not here: the large list is also
  // rebuilt when a tick has passed since it was built, which bounds how stale it gets.
  const pager = createOnlinePager({ load: online, count: onlineCount, threshold: announcer.threshold, tickMs: announcer.tickMs, alwaysStale: true });

  return {
    resync,
    async connect(user, socketId) {
      const first = local.add(user, socketId);
      await started;
      const count = await redis
        .eval(CONNECT, { keys: [K.node(nodeId), K.global, K.users], arguments: [String(user.id), userKey(user)] })
        .then(Number, () => (first ? 1 : 0));
      if (count === 1) announce(user, true);
    },
    async disconnect(user, socketId) {
      const last = local.remove(user.id, socketId);
      const left = await redis
        .eval(DISCONNECT, { keys: [K.node(nodeId), K.global], arguments: [String(user.id)] })
        .then(Number, () => (last ? 0 : -1));
      if (left === 0) announce(user, false);
    },
    online,
    onlineCount,
    onlinePage: (after, limit) => pager.page(after, limit),
    async onlineIds() {
      try {
        const counts = await redis.hGetAll(K.global);
        return new Set(Object.entries(counts).filter(([, n]) => Number(n) > 0).map(([id]) => Number(id)));
      } catch {
        return new Set(local.users().map((e) => e.user.id));
      }
    },
    socketCount: (userId) => local.count(userId),
    async reserve(userId, socketId, max) {
      // This node's share is checked first: it can only be smaller than the cluster's.
      if (!reserved.take(userId, socketId, max)) return false;
      try {
        await started.catch(() => undefined);
        const ok = Number(await redis.eval(RESERVE, { keys: [K.nodeConns(nodeId), K.conns], arguments: [String(userId), String(max)] })) === 1;
        if (!ok) reserved.give(userId, socketId);
        else counted.add(socketId);
        if (degraded) log.info("connection reservations counted in Redis again");
        degraded = false;
        return ok;
      } catch (e) {
        // Redis unreachable: the cap holds per node until it is back (resync counts these).
        if (!degraded) log.warn({ err: (e as Error).message }, "cannot count connections in Redis; capping per node meanwhile");
        degraded = true;
        return true;
      }
    },
    async release(userId, socketId) {
      if (!reserved.give(userId, socketId) || !counted.delete(socketId)) return;
      // Redis unreachable: the count left behind is put right by the resync when it is back.
      await redis.eval(DISCONNECT, { keys: [K.nodeConns(nodeId), K.conns], arguments: [String(userId)] }).catch(() => undefined);
    },
    async close() {
      clearInterval(timer);
      // Leave cleanly: the same path a reaper takes, on ourselves.
      await redis.del(K.alive(nodeId)).catch(() => undefined);
      const offline = (await redis.eval(REAP, { keys: reapKeys(nodeId), arguments: [nodeId] }).catch(() => [])) as string[];
      for (const id of offline) {
        const json = await redis.hGet(K.users, id).catch(() => null);
        if (json) announce(JSON.parse(json) as UserDto, false);
      }
    },
  };
}
