// Conversations end to end (issue 15): replies, edits, deletes, reactions, search, mentions and
// history around a message, on PGlite and (with DATABASE_URL) PostgreSQL, with real clients.
import { createHash } from "node:crypto";
import test, { type ExecutionContext } from "ava";
import { api, BACKENDS, connect, newUser, nick, perBackend, SKIPPED_BACKENDS, startTestServer, TEST_LIMITS, uuid, type Backend, type Client, type TestServer } from "./helpers/harness.js";
import type { ChatDto, MentionPage, MessageDto, MessageUpdated, SearchPage, UploadDone, UploadState } from "../server/protocol/index.js";

const servers = perBackend(test);
for (const b of SKIPPED_BACKENDS) test.skip(`${b}: every conversation test (skipped: DATABASE_URL is not set)`, () => {});

const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? "OK" : r.error?.code);
/** A word no other test (or earlier run on this server) has written. */
const word = (prefix = "w") => `${prefix}${Math.random().toString(36).slice(2, 10).replace(/\d/g, "q")}`;
const CYR = "абвгдежзиклмнопрстуфхцчшщэюя";
const cyrWord = () => Array.from({ length: 9 }, () => CYR[Math.floor(Math.random() * CYR.length)]).join("");

async function staff(server: TestServer, role: "admin" | "moderator"): Promise<Client> {
  const name = nick(role.slice(0, 3));
  await server.accounts.addUser({ nick: name, password: "staff-password", role });
  const r = await api<{ token: string; user: { id: number; nick: string; role: "admin" } }>(server.url, "/api/v1/login", { nick: name, password: "staff-password" });
  return connect(server.url, { ...r.body, expiresAt: "" });
}

async function roomWith(owner: Client, others: Client[], priv = true): Promise<ChatDto> {
  const room = await owner.ok<ChatDto>("room:create", { name: `c${Math.random().toString(36).slice(2, 10)}`, private: priv });
  for (const o of others) await owner.ok("room:invite", { chatId: room.id, nick: o.user.nick });
  // Wait until each invitee's sockets are in the room (they are told with chat:updated).
  for (const o of others) await o.next("chat:updated", (u: { chat: ChatDto }) => u.chat.id === room.id);
  return room;
}

const send = (c: Client, chatId: number, text: string, extra: Record<string, unknown> = {}) =>
  c.ok<MessageDto>("message:send", { chatId, text, clientId: uuid(), ...extra });

for (const backend of BACKENDS) {
  const srv = () => servers.get(backend as Backend)!;
  const it = (title: string, fn: (t: ExecutionContext) => Promise<void>) => test(`${backend}: ${title}`, fn);

  it("a reply carries the replied message's id, sender and excerpt; a message of another chat is refused", async (t) => {
    const [a, b] = [await newUser(srv(), "rep"), await newUser(srv(), "rep")];
    const room = await roomWith(a, [b]);
    const other = await roomWith(a, []);
    const long = `first line\n${"x".repeat(200)}`;
    const orig = await send(a, room.id, long);
    const reply = await send(b, room.id, "answer", { replyTo: orig.id });
    t.is(reply.replyTo?.id, orig.id);
    t.is(reply.replyTo?.sender, a.user.nick);
    t.true(reply.replyTo!.excerpt.startsWith("first line x"), "the excerpt is on one line");
    t.true([...reply.replyTo!.excerpt].length <= 80);
    const seen = await a.next<MessageDto>("message:new", (m) => m.id === reply.id);
    t.is(seen.replyTo?.id, orig.id, "delivered with the quote");
    const page = await a.ok("history:fetch", { chatId: room.id });
    t.is(page.messages.find((m: MessageDto) => m.id === reply.id).replyTo.excerpt, reply.replyTo!.excerpt, "and so in history");
    const elsewhere = await send(a, other.id, "in another room");
    t.is(code(await b.request("message:send", { chatId: room.id, text: "x", clientId: uuid(), replyTo: elsewhere.id })), "MESSAGE_NOT_FOUND");
    t.is(code(await b.request("message:send", { chatId: room.id, text: "x", clientId: uuid(), replyTo: -1 })), "VALIDATION_FAILED");
    for (const c of [a, b]) c.close();
  });

  it("only the sender edits; the edit reaches the chat as message:updated, history shows it edited, the original is kept", async (t) => {
    const [a, b] = [await newUser(srv(), "ed"), await newUser(srv(), "ed")];
    const room = await roomWith(a, [b]);
    const m = await send(a, room.id, "teh original");
    t.is(code(await b.request("message:edit", { messageId: m.id, text: "hijacked", clientId: uuid() })), "NOT_MESSAGE_SENDER");
    const clientId = uuid();
    const edited = await a.ok<MessageDto>("message:edit", { messageId: m.id, text: "the fixed text", clientId });
    t.is(edited.text, "the fixed text");
    t.truthy(edited.editedAt);
    const update = await b.next<MessageUpdated>("message:updated", (u) => u.message.id === m.id);
    t.is(update.reason, "edited");
    t.is(update.message.text, "the fixed text");
    // The same edit again is one edit, told to nobody again.
    const again = await a.ok<MessageDto>("message:edit", { messageId: m.id, text: "the fixed text", clientId });
    t.is(again.editedAt, edited.editedAt);
    const rows = await srv().db.prisma.$queryRaw<{ old_text: string }[]>`SELECT old_text FROM message_edits WHERE message_id = ${BigInt(m.id)}`;
    t.deepEqual(rows.map((r) => r.old_text), ["teh original"], "one edit, the original kept");
    const page = await b.ok("history:fetch", { chatId: room.id });
    const h = page.messages.find((x: MessageDto) => x.id === m.id);
    t.is(h.text, "the fixed text");
    t.is(h.editedAt, edited.editedAt);
    t.is(b.received("message:updated", (u: MessageUpdated) => u.message.id === m.id).length, 1);
    for (const c of [a, b]) c.close();
  });

  it("a non-member can neither edit, delete, react to nor find a message", async (t) => {
    const [a, eve] = [await newUser(srv(), "mem"), await newUser(srv(), "eve")];
    const room = await roomWith(a, []);
    const secret = word("secret");
    const m = await send(a, room.id, `the ${secret} plan`);
    t.is(code(await eve.request("message:edit", { messageId: m.id, text: "x", clientId: uuid() })), "MESSAGE_NOT_FOUND");
    t.is(code(await eve.request("message:delete", { messageId: m.id })), "MESSAGE_NOT_FOUND");
    t.is(code(await eve.request("message:react", { messageId: m.id, emoji: "👍", on: true })), "MESSAGE_NOT_FOUND");
    t.is(code(await eve.request("message:send", { chatId: room.id, text: "x", clientId: uuid(), replyTo: m.id })), "CHAT_NOT_FOUND");
    t.deepEqual((await eve.ok<SearchPage>("message:search", { query: secret })).hits, []);
    t.deepEqual((await eve.ok<SearchPage>("message:search", { query: `${secret} in:#${room.name}` })).hits, []);
    t.is(code(await eve.request("message:search", { query: secret, chatId: room.id })), "CHAT_NOT_FOUND");
    t.is((await a.ok<SearchPage>("message:search", { query: secret })).hits.length, 1, "while the member finds it");
    for (const c of [a, eve]) c.close();
  });

  it("a deleted message stays as a tombstone; its text and edits are gone from the database", async (t) => {
    const [a, b] = [await newUser(srv(), "del"), await newUser(srv(), "del")];
    const room = await roomWith(a, [b]);
    const secret = word("gone");
    const m = await send(a, room.id, `first ${secret}`);
    await a.ok("message:edit", { messageId: m.id, text: `second ${secret}`, clientId: uuid() });
    await b.ok("message:react", { messageId: m.id, emoji: ":tada:", on: true });
    t.is(code(await b.request("message:delete", { messageId: m.id })), "NOT_MESSAGE_SENDER", "a plain member cannot delete another's message");
    const tomb = await a.ok<MessageDto>("message:delete", { messageId: m.id });
    t.is(tomb.text, "");
    t.is(tomb.deleted?.by, a.user.nick);
    t.deepEqual(tomb.reactions, []);
    const update = await b.next<MessageUpdated>("message:updated", (u) => u.reason === "deleted" && u.message.id === m.id);
    t.is(update.message.deleted?.by, a.user.nick);
    const page = await b.ok("history:fetch", { chatId: room.id });
    t.is(page.messages.find((x: MessageDto) => x.id === m.id).deleted.by, a.user.nick, "the tombstone stays in history");
    const p = srv().db.prisma;
    const [row] = await p.$queryRaw<{ text: string }[]>`SELECT text FROM messages WHERE id = ${BigInt(m.id)}`;
    t.is(row?.text, "");
    const edits = await p.$queryRaw<unknown[]>`SELECT 1 FROM message_edits WHERE message_id = ${BigInt(m.id)}`;
    t.is(edits.length, 0, "old versions erased");
    const anywhere = await p.$queryRaw<unknown[]>`SELECT 1 FROM message_edits WHERE old_text LIKE ${"%" + secret + "%"} UNION ALL SELECT 1 FROM messages WHERE text LIKE ${"%" + secret + "%"}`;
    t.is(anywhere.length, 0, "the words are nowhere in the database");
    t.deepEqual((await a.ok<SearchPage>("message:search", { query: secret })).hits, [], "nor found by search");
    t.is(code(await a.request("message:edit", { messageId: m.id, text: "back", clientId: uuid() })), "MESSAGE_DELETED");
    t.is(code(await b.request("message:react", { messageId: m.id, emoji: "👍", on: true })), "MESSAGE_DELETED");
    t.is((await a.ok<MessageDto>("message:delete", { messageId: m.id })).deleted?.by, a.user.nick, "deleting again answers with the tombstone");
    for (const c of [a, b]) c.close();
  });

  it("a moderator deletes anyone's message; a deleted file message deletes its file", async (t) => {
    const a = await newUser(srv(), "fil");
    const mod = await staff(srv(), "moderator");
    const room = await roomWith(a, [mod]);
    const bytes = Buffer.from("file body for deletion");
    const up = await a.ok<UploadState>("file:begin", { chatId: room.id, name: "notes.txt", size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex"), clientId: uuid() });
    await a.ok("file:chunk", { fileId: up.file.id, offset: 0, data: bytes });
    const done = await a.ok<UploadDone>("file:complete", { fileId: up.file.id });
    const tomb = await mod.ok<MessageDto>("message:delete", { messageId: done.message.id, clientId: uuid() });
    t.is(tomb.deleted?.by, mod.user.nick);
    t.is(tomb.text, "", "the file name is erased too");
    t.is(code(await a.request("file:info", { fileId: up.file.id })), "FILE_NOT_FOUND");
    const chunks = await srv().db.prisma.$queryRaw<unknown[]>`SELECT 1 FROM file_chunks WHERE file_id = ${up.file.id}`;
    t.is(chunks.length, 0);
    const text = await send(a, room.id, "moderate me");
    t.is((await mod.ok<MessageDto>("message:delete", { messageId: text.id })).deleted?.by, mod.user.nick);
    for (const c of [a, mod]) c.close();
  });

  it("reactions: one per user per emoji, idempotent, counted with who reacted; short names and bad emoji", async (t) => {
    const [a, b, c] = [await newUser(srv(), "rea"), await newUser(srv(), "rea"), await newUser(srv(), "rea")];
    const room = await roomWith(a, [b, c]);
    const m = await send(a, room.id, "react to me");
    await b.ok("message:react", { messageId: m.id, emoji: "👍", on: true });
    const twice = await b.ok<MessageDto>("message:react", { messageId: m.id, emoji: ":+1:", on: true, clientId: uuid() });
    t.deepEqual(twice.reactions, [{ emoji: "👍", count: 1, nicks: [b.user.nick] }], "the same reaction twice is one");
    await c.ok("message:react", { messageId: m.id, emoji: "👍", on: true });
    const both = await c.ok<MessageDto>("message:react", { messageId: m.id, emoji: "🎉", on: true });
    t.deepEqual(both.reactions, [{ emoji: "👍", count: 2, nicks: [b.user.nick, c.user.nick] }, { emoji: "🎉", count: 1, nicks: [c.user.nick] }]);
    const upd = await a.next<MessageUpdated>("message:updated", (u) => u.reason === "reacted" && (u.message.reactions?.length ?? 0) === 2);
    t.is(upd.message.id, m.id);
    const off = await b.ok<MessageDto>("message:react", { messageId: m.id, emoji: "👍", on: false });
    t.deepEqual(off.reactions?.[0], { emoji: "👍", count: 1, nicks: [c.user.nick] });
    const page = await a.ok("history:fetch", { chatId: room.id });
    t.deepEqual(page.messages.find((x: MessageDto) => x.id === m.id).reactions, off.reactions, "history has the counts");
    const rows = await srv().db.prisma.$queryRaw<unknown[]>`SELECT 1 FROM reactions WHERE message_id = ${BigInt(m.id)}`;
    t.is(rows.length, 2);
    for (const bad of ["ab", "👍👍", ":nosuchname:", "", "x".repeat(50)]) {
      t.is(code(await b.request("message:react", { messageId: m.id, emoji: bad, on: true })), "VALIDATION_FAILED", bad);
    }
    t.is(code(await b.request("message:react", { messageId: m.id, emoji: "🇺🇦", on: true })), "OK", "a flag is one emoji");
    t.is(code(await b.request("message:react", { messageId: m.id, emoji: "👍🏽", on: true })), "OK", "so is one with a skin tone");
    for (const x of [a, b, c]) x.close();
  });

  it("a muted user can neither edit nor react; they can still delete their own message", async (t) => {
    const admin = await staff(srv(), "admin");
    const [a, b] = [await newUser(srv(), "mut"), await newUser(srv(), "mut")];
    const room = await roomWith(a, [b]);
    const mine = await send(a, room.id, "before the mute");
    const theirs = await send(b, room.id, "theirs");
    await admin.ok("admin:mute", { nick: a.user.nick, durationSec: 600 });
    t.is(code(await a.request("message:edit", { messageId: mine.id, text: "after", clientId: uuid() })), "MUTED");
    t.is(code(await a.request("message:react", { messageId: theirs.id, emoji: "👍", on: true })), "MUTED");
    t.is(code(await a.request("message:delete", { messageId: mine.id })), "OK");
    await admin.ok("admin:unmute", { nick: a.user.nick });
    for (const c of [admin, a, b]) c.close();
  });

  it("search finds words in Cyrillic and English, phrases, from: and in:, newest first, page by page, with marks", async (t) => {
    const [a, b] = [await newUser(srv(), "sea"), await newUser(srv(), "sea")];
    const room = await roomWith(a, [b], false);
    const other = await roomWith(a, [b]);
    const en = word("deploy");
    const ru = cyrWord();
    const m1 = await send(a, room.id, `${en.toUpperCase()} of the ${ru} service`);
    const m2 = await send(b, room.id, `${ru.toUpperCase()}: done, ${en} finished`);
    const m3 = await send(b, other.id, `another ${en} there, release notes`);
    await send(a, room.id, `nothing to see`);
    const ids = (p: SearchPage) => p.hits.map((h) => h.message.id);
    t.deepEqual(ids(await a.ok("message:search", { query: en })), [m3.id, m2.id, m1.id], "newest first, every chat");
    t.deepEqual(ids(await a.ok("message:search", { query: ru })), [m2.id, m1.id], "Cyrillic, case-insensitive");
    t.deepEqual(ids(await a.ok("message:search", { query: `${en} ${ru}` })), [m2.id, m1.id], "every word must match");
    t.deepEqual(ids(await a.ok("message:search", { query: `"${en} finished"` })), [m2.id], "a quoted phrase matches words in order");
    t.deepEqual(ids(await a.ok("message:search", { query: `"finished ${en}"` })), [], "and not the other way round");
    t.deepEqual(ids(await a.ok("message:search", { query: `${en} from:${b.user.nick}` })), [m3.id, m2.id]);
    t.deepEqual(ids(await a.ok("message:search", { query: en, from: a.user.nick })), [m1.id]);
    t.deepEqual(ids(await a.ok("message:search", { query: `${en} in:#${room.name}` })), [m2.id, m1.id]);
    t.deepEqual(ids(await a.ok("message:search", { query: en, chatId: other.id })), [m3.id]);
    const p1 = await a.ok<SearchPage>("message:search", { query: en, limit: 2 });
    t.deepEqual(ids(p1), [m3.id, m2.id]);
    t.true(p1.hasMore);
    const p2 = await a.ok<SearchPage>("message:search", { query: en, limit: 2, before: p1.hits.at(-1)!.message.id });
    t.deepEqual(ids(p2), [m1.id]);
    t.false(p2.hasMore);
    const hit = (await a.ok<SearchPage>("message:search", { query: `${ru} ${en}`, chatId: room.id })).hits.find((h) => h.message.id === m2.id)!;
    const marked = hit.marks.map(([s, e]) => m2.text.slice(s, e));
    t.deepEqual(marked, [ru.toUpperCase(), en]);
    t.is(hit.chatName, room.name);
    t.is(code(await a.request("message:search", { query: "   " })), "VALIDATION_FAILED");
    for (const c of [a, b]) c.close();
  });

  it("a search hit and a mention carry the message exactly as history does (reply, edit, reactions), and a DM is named after the other person", async (t) => {
    const [a, b] = [await newUser(srv(), "eq"), await newUser(srv(), "eq")];
    const room = await roomWith(a, [b]);
    const en = word("same");
    const orig = await send(b, room.id, `the question ${en}`);
    const m = await send(a, room.id, `an answer ${en} for @${b.user.nick}`, { replyTo: orig.id });
    await a.ok("message:edit", { messageId: m.id, text: `the answer ${en} for @${b.user.nick}, edited`, clientId: uuid() });
    await b.ok("message:react", { messageId: m.id, emoji: "👍", on: true });
    await a.ok("message:react", { messageId: m.id, emoji: "👍", on: true });
    await b.ok("message:react", { messageId: m.id, emoji: "🎉", on: true });
    const inHistory = (await b.ok("history:fetch", { chatId: room.id })).messages.find((x: MessageDto) => x.id === m.id) as MessageDto;
    t.truthy(inHistory.editedAt);
    t.is(inHistory.replyTo?.id, orig.id);
    t.deepEqual(inHistory.reactions?.map((r) => [r.emoji, r.count]), [["👍", 2], ["🎉", 1]]);
    const hit = (await b.ok<SearchPage>("message:search", { query: en })).hits.find((h) => h.message.id === m.id);
    t.deepEqual(hit?.message, inHistory, "search returns the message as history does");
    t.is(hit?.chatName, room.name);
    const mention = (await b.ok<MentionPage>("mentions:list", {})).mentions.find((x) => x.message.id === m.id);
    t.deepEqual(mention?.message, inHistory, "and so does mentions:list");
    const dm = await a.ok<ChatDto>("dm:open", { nick: b.user.nick });
    const inDm = await send(a, dm.id, `private ${en}`);
    const dmHits = (await b.ok<SearchPage>("message:search", { query: en })).hits;
    t.deepEqual(dmHits.map((h) => h.message.id), [inDm.id, m.id, orig.id]);
    t.is(dmHits[0]!.chatName, a.user.nick, "b sees the DM under a's nick");
    t.is((await a.ok<SearchPage>("message:search", { query: `private ${en}` })).hits[0]?.chatName, b.user.nick, "and a under b's");
    for (const c of [a, b]) c.close();
  });

  it("history around a message holds it with the messages before and after it", async (t) => {
    const a = await newUser(srv(), "aro");
    const room = await roomWith(a, []);
    const sent: MessageDto[] = [];
    for (let i = 0; i < 12; i++) sent.push(await send(a, room.id, `line ${i}`));
    const target = sent[6]!;
    const page = await a.ok("history:fetch", { chatId: room.id, around: target.id, limit: 5 });
    t.deepEqual(page.messages.map((m: MessageDto) => m.text), ["line 8", "line 7", "line 6", "line 5", "line 4"]);
    t.true(page.hasMore);
    t.true(page.hasNewer);
    const end = await a.ok("history:fetch", { chatId: room.id, around: sent[11]!.id, limit: 4 });
    t.is(end.messages[0].text, "line 11");
    t.false(end.hasNewer);
    t.is(code(await a.request("history:fetch", { chatId: room.id, around: 1, before: 5 })), "VALIDATION_FAILED");
    a.close();
  });

  it("mentions: @nick and, from moderators only, @room are listed with read state, page by page", async (t) => {
    const mod = await staff(srv(), "moderator");
    const [a, b] = [await newUser(srv(), "men"), await newUser(srv(), "men")];
    const room = await roomWith(mod, [a, b]);
    const m1 = await send(b, room.id, `hey @${a.user.nick.toUpperCase()}, look`);
    await send(b, room.id, `@room from a plain user`);
    await send(b, room.id, `mail ${a.user.nick}@example.org is no mention`);
    const m3 = await send(mod, room.id, `@here meeting now`);
    const m4 = await send(b, room.id, `again @${a.user.nick}`);
    const list = await a.ok<MentionPage>("mentions:list", {});
    t.deepEqual(list.mentions.map((x) => x.message.id), [m4.id, m3.id, m1.id]);
    t.deepEqual(list.mentions.map((x) => x.read), [false, false, false]);
    t.is(list.unread, 3);
    t.is(list.mentions[0]!.chatName, room.name);
    await a.ok("chat:read", { chatId: room.id, messageId: m3.id });
    const after = await a.ok<MentionPage>("mentions:list", { limit: 2 });
    t.deepEqual(after.mentions.map((x) => [x.message.id, x.read]), [[m4.id, false], [m3.id, true]]);
    t.true(after.hasMore);
    t.is(after.unread, 1);
    const rest = await a.ok<MentionPage>("mentions:list", { before: m3.id });
    t.deepEqual(rest.mentions.map((x) => [x.message.id, x.read]), [[m1.id, true]]);
    t.false(rest.hasMore);
    t.deepEqual((await b.ok<MentionPage>("mentions:list", {})).mentions.map((x) => x.message.id), [m3.id], "b is mentioned only by @here from the moderator");
    await b.ok("message:delete", { messageId: m4.id });
    t.false((await a.ok<MentionPage>("mentions:list", {})).mentions.some((x) => x.message.id === m4.id), "a deleted message mentions nobody");
    for (const c of [mod, a, b]) c.close();
  });

  it("edits and reactions in a direct message reach both people", async (t) => {
    const [a, b] = [await newUser(srv(), "dm"), await newUser(srv(), "dm")];
    const dm = await a.ok<ChatDto>("dm:open", { nick: b.user.nick });
    const m = await send(a, dm.id, "hello there");
    await b.next("message:new", (x: MessageDto) => x.id === m.id);
    await a.ok("message:edit", { messageId: m.id, text: "hello again", clientId: uuid() });
    t.is((await b.next<MessageUpdated>("message:updated", (u) => u.message.id === m.id)).message.text, "hello again");
    await b.ok("message:react", { messageId: m.id, emoji: "❤️", on: true });
    t.is((await a.next<MessageUpdated>("message:updated", (u) => u.reason === "reacted")).message.reactions?.[0]?.emoji, "❤️");
    for (const c of [a, b]) c.close();
  });
}

test("edits, deletes and reactions spend the account's message limit and are refused past it", async (t) => {
  const server = await startTestServer("pglite", { limits: { ...TEST_LIMITS, messages: { points: 3, windowSec: 600 } } });
  t.teardown(() => server.stop());
  const a = await newUser(server, "lim");
  t.teardown(() => a.close());
  const general = a.ready.chats.find((c) => c.name === "general")!;
  const m = await send(a, general.id, "one point");
  await a.ok("message:edit", { messageId: m.id, text: "two points", clientId: uuid() });
  await a.ok("message:react", { messageId: m.id, emoji: "👍", on: true });
  const refused = await a.request("message:delete", { messageId: m.id });
  t.is(code(refused), "RATE_LIMITED");
  t.regex(refused.ok ? "" : refused.error.message, /too fast; wait \d+ s/);
  t.is(code(await a.request("message:search", { query: "points" })), "OK", "search spends the event limit, not this one");
});
