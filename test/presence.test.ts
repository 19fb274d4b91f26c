// Protocol 2 presence end to end: the handshake's protocol field, coalesced batches, the
// threshold, presence:list paging and its validation, and protocol 1 clients unchanged.
import test from "ava";
import { io as connectSocket } from "socket.io-client";
import { Client, nick, register, startTestServer, type TestServer } from "./helpers/harness.js";
import type { PresenceBatch, PresenceUpdate, SessionReady } from "../server/protocol/index.js";

let srv: TestServer;
const THRESHOLD = 8;
test.before(async () => {
  srv = await startTestServer("pglite", { presenceThreshold: THRESHOLD, presenceTickMs: 100 });
});
test.after.always(async () => srv?.stop());

const opened: Client[] = [];
test.afterEach.always(() => {
  for (const c of opened.splice(0)) c.close();
});

async function join(protocol?: number): Promise<Client> {
  const auth = await register(srv.url, nick("pres"));
  const socket = connectSocket(srv.url, { transports: ["websocket"], auth: protocol === undefined ? { token: auth.token } : { token: auth.token, protocol }, reconnection: false, forceNew: true });
  const client = new Client(socket, auth);
  opened.push(client);
  client.ready = await new Promise<SessionReady>((resolve, reject) => {
    socket.once("session:ready", resolve);
    socket.once("connect_error", reject);
    setTimeout(() => reject(new Error("no session:ready within 20 s")), 20_000);
  });
  return client;
}

// One test at a time: they count who is online on the one server.
test.serial("protocol 2 gets batches with everyone who came online, protocol 1 gets presence:update per user", async (t) => {
  const v2 = await join(2);
  const v1 = await join();
  t.is(typeof v2.ready.onlineCount, "number");
  t.is(v1.ready.onlineCount, undefined, "protocol 1's session:ready is as before");
  const burst = await Promise.all([join(2), join(2), join(2)]);
  const ids = new Set(burst.map((c) => c.user.id));
  const seen = new Set<number>();
  // Wait (generously) until the batches have named all three; none of them twice.
  await v2.next<PresenceBatch>("presence:batch", (b) => {
    for (const u of b.online) if (ids.has(u.id)) seen.add(u.id);
    return seen.size === ids.size;
  }, 15_000).catch(() => undefined);
  const named = (v2.received("presence:batch") as PresenceBatch[]).flatMap((b) => b.online.filter((u) => ids.has(u.id)));
  t.is(named.length, 3, "each newcomer in exactly one batch");
  t.is(v2.received("presence:update").length, 0, "protocol 2 gets no per-user updates");
  for (const c of burst) await v1.next<PresenceUpdate>("presence:update", (p) => p.user.id === c.user.id && p.online, 15_000);
  t.is(v1.received("presence:batch").length, 0, "protocol 1 gets no batches");
});

test.serial("above the threshold: the count only, session:ready with a page and presence:list walking the rest", async (t) => {
  const crowd = await Promise.all(Array.from({ length: THRESHOLD + 2 }, () => join(2)));
  const last = crowd[crowd.length - 1]!;
  const total = last.ready.onlineCount!;
  t.true(total > THRESHOLD);
  const late = await join(2);
  const batch = await crowd[0]!.next<PresenceBatch>("presence:batch", (b) => b.summary && b.count >= total + 1, 15_000);
  t.deepEqual([batch.online, batch.offline], [[], []], "no names above the threshold");
  // A large list is rebuilt at most once per tick: walk it until it has caught up (generously).
  const walk = async () => {
    const nicks: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 50; i++) {
      const page = await late.ok<{ users: { nick: string }[]; count: number; next: string | null }>("presence:list", after ? { after, limit: 2 } : { limit: 2 });
      t.true(page.users.length <= 2);
      nicks.push(...page.users.map((u) => u.nick));
      if (!page.next) break;
      after = page.next;
    }
    return nicks;
  };
  let nicks = await walk();
  for (let i = 0; i < 100 && ![...crowd, late].every((c) => nicks.includes(c.user.nick)); i++) {
    await new Promise((r) => setTimeout(r, 100));
    nicks = await walk();
  }
  t.is(new Set(nicks).size, nicks.length, "no one twice");
  for (const c of [...crowd, late]) t.true(nicks.includes(c.user.nick), `${c.user.nick} is listed`);
});

test.serial("presence:list refuses bad input with a validation error ack", async (t) => {
  const c = await join(2);
  for (const bad of [{ limit: 0 }, { limit: 501 }, { limit: "10" }, { after: "" }, { after: 5 }, "x"]) {
    const r = await c.request("presence:list", bad);
    t.false(r.ok, JSON.stringify(bad));
    if (!r.ok) t.is(r.error.code, "VALIDATION_FAILED");
  }
  const fine = await c.request("presence:list", {});
  t.true(fine.ok);
});
