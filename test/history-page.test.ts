// A history page read with its reader's membership in the same statement (listBefore,
// listAfter, listAround with readerId): null for a non-member, [] for a member's empty page,
// the same records as the ungated read otherwise; and history:fetch answers through it.
import test from "ava";
import { createRepositories } from "../server/db/repositories.js";
import { BACKENDS, newUser, nick, perBackend, SKIPPED_BACKENDS, uuid } from "./helpers/harness.js";

const servers = perBackend(test);
for (const b of SKIPPED_BACKENDS) test.skip(`history pages on ${b} (skipped: DATABASE_URL is not set)`, () => {});

for (const backend of BACKENDS) {
  test(`a page read for its reader: null when not a member, the ungated page otherwise (${backend})`, async (t) => {
    const server = servers.get(backend)!;
    const repos = createRepositories(server.db.prisma);
    const alice = await newUser(server, "hpa");
    const bob = await newUser(server, "hpb");
    const room = await alice.ok("room:create", { name: nick("hp"), private: true });
    const sent: number[] = [];
    for (let i = 0; i < 7; i++) sent.push((await alice.ok("message:send", { chatId: room.id, text: `m${i}`, clientId: uuid() })).id);
    const [first, mid, last] = [sent[0]!, sent[3]!, sent[6]!];

    // Not a member (bob), or no such chat: null, whatever the cursor.
    t.is(await repos.messages.listBefore(room.id, null, 3, bob.user.id), null);
    t.is(await repos.messages.listBefore(room.id, mid, 3, bob.user.id), null);
    t.is(await repos.messages.listAfter(room.id, first, 3, bob.user.id), null);
    t.is(await repos.messages.listAround(room.id, mid, 2, 2, bob.user.id), null);
    t.is(await repos.messages.listBefore(2_000_000_000, null, 3, alice.user.id), null);

    // A member: exactly the ungated page.
    const ids = (ms: { id: number }[] | null) => ms?.map((m) => m.id);
    t.deepEqual(ids(await repos.messages.listBefore(room.id, null, 3, alice.user.id)), [last, sent[5], sent[4]]);
    t.deepEqual(await repos.messages.listBefore(room.id, mid, 3, alice.user.id), await repos.messages.listBefore(room.id, mid, 3));
    t.deepEqual(await repos.messages.listAfter(room.id, first, 2, alice.user.id), await repos.messages.listAfter(room.id, first, 2));
    t.deepEqual(await repos.messages.listAround(room.id, mid, 2, 2, alice.user.id), await repos.messages.listAround(room.id, mid, 2, 2));
    // A member's empty page is empty, not null (the member's row of nulls is not a record).
    t.deepEqual(await repos.messages.listAfter(room.id, last, 3, alice.user.id), []);
    const oldest = (await repos.messages.listBefore(room.id, null, 100, alice.user.id))!.at(-1)!.id;
    t.deepEqual(await repos.messages.listBefore(room.id, oldest, 3, alice.user.id), []);
    const around = await repos.messages.listAround(room.id, last, 2, 2, alice.user.id);
    t.deepEqual(ids(around!.newer), []);

    // Through the API: bob is refused as for a chat that does not exist; after joining he reads.
    const denied = await bob.request("history:fetch", { chatId: room.id });
    t.false(denied.ok);
    t.is(denied.ok ? "" : denied.error.code, "CHAT_NOT_FOUND");
    const page = await alice.ok("history:fetch", { chatId: room.id, limit: 3 });
    t.deepEqual(page.messages.map((m: { id: number }) => m.id), [last, sent[5], sent[4]]);
    t.true(page.hasMore);
    alice.close();
    bob.close();
  });
}
