// Group commit of message appends: concurrent appends share one INSERT and keep the semantics
// of one insert per message (resends, reused clientIds, errors), on PGlite and PostgreSQL.
import test from "ava";
import { createRepositories } from "../server/db/repositories.js";
import { BACKENDS, newUser, perBackend, SKIPPED_BACKENDS, uuid } from "./helpers/harness.js";

const servers = perBackend(test);
for (const b of SKIPPED_BACKENDS) test.skip(`group commit on ${b} (skipped: DATABASE_URL is not set)`, () => {});

for (const backend of BACKENDS) {
  test(`concurrent appends are stored once each, resends answer the original and a reused clientId stays detectable (${backend})`, async (t) => {
    const server = servers.get(backend)!;
    // Counts the group INSERTs (the single-insert path goes through prisma.message.create).
    let groups = 0;
    /** Parameters of each group INSERT. */
    const insertParams: number[] = [];
    const prisma = new Proxy(server.db.prisma, {
      get(target, key) {
        const value = Reflect.get(target, key);
        if (key === "$queryRawUnsafe") return (...args: unknown[]) => {
          groups++;
          if (String(args[0]).includes("INSERT INTO messages")) insertParams.push(args.length - 1);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const repos = createRepositories(prisma, { groupCommit: true });
    const alice = await newUser(server, "gca");
    const general = alice.ready.chats[0]!.id;
    const ids = Array.from({ length: 300 }, () => uuid());
    const first = await Promise.all(ids.map((clientId, i) => repos.messages.append({ chatId: general, senderId: alice.user.id, kind: "text", text: `m${i}`, clientId })));
    t.true(first.every((r) => r.created));
    t.deepEqual(first.map((r) => r.message.text), ids.map((_, i) => `m${i}`));
    t.true(first.every((r) => r.message.senderNick === alice.user.nick && r.message.createdAt instanceof Date));
    t.is(new Set(first.map((r) => r.message.id)).size, ids.length);
    const sorted = [...first.map((r) => r.message.id)].sort((a, b) => a - b);
    t.deepEqual(first.map((r) => r.message.id), sorted, "ids follow the order of the appends");
    t.true(groups >= 1 && groups <= 30, `300 concurrent appends went in ${groups} INSERTs, not one each`);
    // One array per column, not five parameters per row: the statement is the same whatever the group's size.
    t.true(insertParams.length >= 1 && insertParams.every((n) => n === 5), `group INSERTs took ${insertParams.join(", ")} parameters`);

    // Resends of stored messages, a new one, and the same new clientId twice in one group.
    const twice = uuid();
    const again = await Promise.all([
      repos.messages.append({ chatId: general, senderId: alice.user.id, kind: "text", text: "m0", clientId: ids[0]! }),
      repos.messages.append({ chatId: general, senderId: alice.user.id, kind: "text", text: "new", clientId: uuid() }),
      repos.messages.append({ chatId: general, senderId: alice.user.id, kind: "text", text: "one", clientId: twice }),
      repos.messages.append({ chatId: general, senderId: alice.user.id, kind: "text", text: "two", clientId: twice }),
      repos.messages.append({ chatId: general, senderId: alice.user.id, kind: "text", text: "different", clientId: ids[1]! }),
    ]);
    t.deepEqual(again.map((r) => r.created), [false, true, true, false, false]);
    t.is(again[0]!.message.id, first[0]!.message.id);
    t.is(again[3]!.message.text, "one", "the second append of a clientId gets the first one's row");
    t.is(again[4]!.message.text, "m1", "a reused clientId returns the stored text, so the service can refuse it");
    alice.close();
  });

  test(`an append the database refuses fails alone, the rest of its group is stored (${backend})`, async (t) => {
    const server = servers.get(backend)!;
    const repos = createRepositories(server.db.prisma, { groupCommit: true });
    const bob = await newUser(server, "gcb");
    const general = bob.ready.chats[0]!.id;
    const results = await Promise.allSettled([
      repos.messages.append({ chatId: general, senderId: bob.user.id, kind: "text", text: "ok 1", clientId: uuid() }),
      repos.messages.append({ chatId: general, senderId: bob.user.id, kind: "text", text: "ok 2", clientId: uuid() }),
      repos.messages.append({ chatId: 987654, senderId: bob.user.id, kind: "text", text: "no such chat", clientId: uuid() }),
      repos.messages.append({ chatId: general, senderId: bob.user.id, kind: "text", text: "ok 3", clientId: uuid() }),
    ]);
    t.deepEqual(results.map((r) => r.status), ["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    const single = await createRepositories(server.db.prisma, { groupCommit: false }).messages
      .append({ chatId: 987654, senderId: bob.user.id, kind: "text", text: "no such chat", clientId: uuid() })
      .catch((e: unknown) => e);
    t.is((results[2] as PromiseRejectedResult).reason.code, (single as { code: string }).code, "the same error as without group commit");
    bob.close();
  });

  test(`with lanes, several group INSERTs are in flight at once and each chat's ids follow the order of its appends (${backend})`, async (t) => {
    const server = servers.get(backend)!;
    // The most statements running at once through the group path.
    let running = 0;
    let most = 0;
    const prisma = new Proxy(server.db.prisma, {
      get(target, key) {
        const value = Reflect.get(target, key);
        if (key === "$queryRawUnsafe") {
          return (...args: unknown[]) => {
            most = Math.max(most, ++running);
            return ((value as (...a: unknown[]) => Promise<unknown>).apply(target, args)).finally(() => running--);
          };
        }
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const repos = createRepositories(prisma, { groupCommit: true, commitLanes: 4 });
    const carol = await newUser(server, "gcl");
    const rooms = [];
    for (let i = 0; i < 4; i++) {
      const name = `lane${i}${uuid().slice(0, 6)}`;
      rooms.push(await repos.chats.createRoom({ name, nameKey: name, nameSkeleton: name, isPrivate: false, creatorId: carol.user.id }));
    }
    t.is(new Set(rooms.map((r) => r.id % 4)).size, 4, "the four rooms use the four lanes");
    // Two waves: the second arrives while the first wave's INSERTs are in flight.
    const appends = [];
    for (let wave = 0; wave < 2; wave++) {
      for (let i = 0; i < 100; i++) {
        for (const room of rooms) appends.push({ room: room.id, seq: wave * 100 + i, p: repos.messages.append({ chatId: room.id, senderId: carol.user.id, kind: "text", text: `w${wave}-${i}`, clientId: uuid() }) });
      }
      await new Promise((r) => setImmediate(r));
    }
    const done = await Promise.all(appends.map(async (a) => ({ ...a, r: await a.p })));
    t.true(done.every((d) => d.r.created && d.r.message.chatId === d.room));
    for (const room of rooms) {
      const ids = done.filter((d) => d.room === room.id).sort((a, b) => a.seq - b.seq).map((d) => d.r.message.id);
      t.deepEqual(ids, [...ids].sort((a, b) => a - b), `room ${room.id}: ids follow the order of its appends`);
    }
    t.true(most >= 2 && most <= 4, `${most} group INSERTs were in flight at once (lanes: 4)`);
    carol.close();
  });
}
