// File transfer end to end: real server, real socket.io clients, the client's transfer code
// (tui/net/transfer.ts) on real files, on PGlite and (with DATABASE_URL) PostgreSQL.
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import {
  api, BACKENDS, connect, newUser, nick, perBackend, sleep, SKIPPED_BACKENDS, startTestServer, uuid, type Backend, type Client,
} from "./helpers/harness.js";
import { FILE_CHUNK_BYTES, type AuthResponse, type ChatDto, type MessageDto } from "../server/protocol/index.js";
import { downloadFile, uploadFile, type Requester, type TransferHooks } from "../tui/net/transfer.js";

const LIMITS = { maxFileBytes: 1024 * 1024, quotaBytesPerUser: 3 * 1024 * 1024 - 100, maxTransfersPerUser: 2, uploadIdleMs: 60_000 };
const servers = perBackend(test, { files: LIMITS });
for (const b of SKIPPED_BACKENDS) test.skip(`${b}: every file transfer test (skipped: DATABASE_URL is not set)`, () => {});

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const general = (c: Client) => c.ready.chats.find((x) => x.name === "general")!;

let tmpRoot = "";
test.before(async () => {
  tmpRoot = await mkdtemp(path.join(os.tmpdir(), "sm-files-"));
});
test.after.always(async () => {
  if (tmpRoot) await rm(tmpRoot, { recursive: true, force: true });
});
const tmpDir = () => mkdtemp(path.join(tmpRoot, "d-"));

/** The transfer code's view of a test client: requests, and "online again" after a drop. */
function requester(c: Client): Requester {
  return ((event: string, payload: unknown, timeoutMs = 10_000) => {
    if (!c.socket.connected) return Promise.resolve({ ok: false, error: { code: "OFFLINE", message: "offline" } });
    return (c.socket.timeout(timeoutMs) as any).emitWithAck(event, payload).catch(() => ({ ok: false, error: { code: "TIMEOUT", message: "timeout" } }));
  }) as Requester;
}
/** A requester that runs `act` just before the nth request of `event`, and counts them. */
function onNth(base: Requester, event: string, n: number, act: () => void): { request: Requester; count: () => number } {
  let seen = 0;
  const request = ((e: string, payload: unknown, ms?: number) => {
    if (e === event && ++seen === n) act();
    return (base as any)(e, payload, ms);
  }) as Requester;
  return { request, count: () => seen };
}
function hooks(c: Client, extra: Partial<TransferHooks> = {}): TransferHooks {
  return {
    waitOnline: () => (c.socket.connected ? Promise.resolve() : new Promise((r) => c.socket.once("session:ready", () => r()))),
    ...extra,
  };
}

async function roomWith(owner: Client, others: Client[], priv = true): Promise<ChatDto> {
  const room = await owner.ok<ChatDto>("room:create", { name: `f${Math.random().toString(36).slice(2, 10)}`, private: priv });
  for (const o of others) await owner.ok("room:invite", { chatId: room.id, nick: o.user.nick });
  return room;
}

for (const backend of BACKENDS) {
  const srv = () => servers.get(backend as Backend)!;
  const it = (title: string, fn: (t: ExecutionContext) => Promise<void>) => test.serial(`${backend}: ${title}`, fn);

  it("files of 0 bytes, 1 byte, exactly one chunk and many chunks arrive intact and appear as file messages", async (t) => {
    const [alice, bob] = [await newUser(srv(), "fa"), await newUser(srv(), "fb")];
    const room = await roomWith(alice, [bob]);
    const dir = await tmpDir();
    for (const size of [0, 1, FILE_CHUNK_BYTES, FILE_CHUNK_BYTES * 3 + 17]) {
      const bytes = randomBytes(size);
      const src = path.join(dir, `up-${size}.bin`);
      await writeFile(src, bytes);
      const seen: number[] = [];
      const done = await uploadFile(requester(alice), { chatId: room.id, file: src, clientId: uuid() }, hooks(alice, { progress: (p) => seen.push(p.bytes) }));
      t.is(done.file.size, size);
      t.is(done.file.sha256, sha(bytes));
      t.is(done.message.kind, "file");
      t.is(done.message.file?.id, done.file.id);
      t.is(seen.at(-1), size, "progress reaches the size");
      const live = await bob.next<MessageDto>("message:new", (m) => m.file?.id === done.file.id);
      t.is(live.text, `up-${size}.bin`);
      t.is(live.sender, alice.user.nick);
      const out = await tmpDir();
      const got = await downloadFile(requester(bob), { fileId: done.file.id, dest: out }, hooks(bob));
      t.deepEqual(await readFile(got.path), bytes, `${size} bytes match`);
      t.is(path.basename(got.path), `up-${size}.bin`);
    }
    const page = await bob.ok("history:fetch", { chatId: room.id });
    t.is(page.messages.filter((m: MessageDto) => m.kind === "file" && m.file).length, 4, "history carries the file on each file line");
    const list = await bob.ok("file:list", { chatId: room.id });
    t.deepEqual(list.files.map((f: { size: number }) => f.size), [FILE_CHUNK_BYTES * 3 + 17, FILE_CHUNK_BYTES, 1, 0], "newest first");
    t.false(list.hasMore);
  });

  it("files over the size limit, over the quota, and too many uploads at once are refused with their codes", async (t) => {
    const alice = await newUser(srv(), "fl");
    const chatId = general(alice).id;
    const begin = (size: number, clientId = uuid()) => alice.request("file:begin", { chatId, name: "big.bin", size, sha256: "0".repeat(64), clientId });
    const tooBig = await begin(LIMITS.maxFileBytes + 1);
    t.is(tooBig.ok ? "" : tooBig.error.code, "FILE_TOO_LARGE");
    t.regex(tooBig.ok ? "" : tooBig.error.message, /1\.00 MiB/);
    const a = await begin(LIMITS.maxFileBytes);
    const b = await begin(LIMITS.maxFileBytes);
    t.true(a.ok && b.ok);
    const third = await begin(10);
    t.is(third.ok ? "" : third.error.code, "TOO_MANY_TRANSFERS", "two uploads in progress is the limit here");
    await alice.ok("file:cancel", { fileId: a.ok ? a.data.file.id : 0 });
    const c = await begin(LIMITS.maxFileBytes);
    t.true(c.ok, "a cancelled upload frees its slot");
    // b and c hold 2 MiB of the 3 MiB quota: 1 MiB more would pass the quota only without them.
    await alice.ok("file:cancel", { fileId: c.ok ? c.data.file.id : 0 });
    const d = await begin(LIMITS.maxFileBytes);
    t.true(d.ok);
    const over = await begin(LIMITS.maxFileBytes);
    t.is(over.ok ? "" : over.error.code, "TOO_MANY_TRANSFERS");
    // Finish one (its bytes stay in the quota), then ask for more than what is left.
    const bytes = randomBytes(LIMITS.maxFileBytes);
    const src = path.join(await tmpDir(), "quota.bin");
    await writeFile(src, bytes);
    await alice.ok("file:cancel", { fileId: d.ok ? d.data.file.id : 0 });
    const shared = await uploadFile(requester(alice), { chatId, file: src, clientId: uuid() }, hooks(alice));
    const q = await begin(LIMITS.maxFileBytes);
    t.is(q.ok ? "" : q.error.code, "QUOTA_EXCEEDED", "1 MiB shared + 1 MiB unfinished + 1 MiB more is over the quota");
    t.regex(q.ok ? "" : q.error.message, /does not fit/);
    await alice.ok("file:delete", { fileId: shared.file.id });
    t.true((await begin(LIMITS.maxFileBytes)).ok, "deleting a shared file frees its bytes");
  });

  it("an upload cut off midway resumes where it stopped, and so does a download", async (t) => {
    const [alice, bob] = [await newUser(srv(), "fr"), await newUser(srv(), "fs")];
    const room = await roomWith(alice, [bob]);
    const bytes = randomBytes(FILE_CHUNK_BYTES * 12 + 5);
    const src = path.join(await tmpDir(), "resume.bin");
    await writeFile(src, bytes);
    // The connection drops as the 6th chunk goes out; it comes back a moment later.
    const cutting = onNth(requester(alice), "file:chunk", 6, () => {
      alice.socket.disconnect();
      setTimeout(() => alice.socket.connect(), 300);
    });
    const resumes: number[] = [];
    const done = await uploadFile(cutting.request, { chatId: room.id, file: src, clientId: uuid() }, hooks(alice, { resumed: (from) => resumes.push(from) }));
    t.is(done.file.sha256, sha(bytes));
    t.deepEqual(resumes, [5 * FILE_CHUNK_BYTES], "resumed at the chunk that was in flight");
    t.true(cutting.count() <= 13 + 1, `sent ${cutting.count()} chunks for 13: not started over`);

    // A new process resumes by beginning again with the same clientId.
    const clientId = uuid();
    const half = bytes.subarray(0, FILE_CHUNK_BYTES * 2);
    const begun = await alice.ok("file:begin", { chatId: room.id, name: "again.bin", size: bytes.length, sha256: sha(bytes), clientId });
    await alice.ok("file:chunk", { fileId: begun.file.id, offset: 0, data: half.subarray(0, FILE_CHUNK_BYTES) });
    await alice.ok("file:chunk", { fileId: begun.file.id, offset: FILE_CHUNK_BYTES, data: half.subarray(FILE_CHUNK_BYTES) });
    const again = await alice.ok("file:begin", { chatId: room.id, name: "again.bin", size: bytes.length, sha256: sha(bytes), clientId });
    t.is(again.file.id, begun.file.id);
    t.is(again.received, FILE_CHUNK_BYTES * 2, "the server says how much it has");
    const other = await alice.request("file:begin", { chatId: room.id, name: "again.bin", size: 1, sha256: sha(bytes), clientId });
    t.is(other.ok ? "" : other.error.code, "CLIENT_ID_REUSED");
    await alice.ok("file:cancel", { fileId: begun.file.id });

    const out = await tmpDir();
    const cuttingRead = onNth(requester(bob), "file:read", 4, () => {
      bob.socket.disconnect();
      setTimeout(() => bob.socket.connect(), 300);
    });
    const downResumes: number[] = [];
    const got = await downloadFile(cuttingRead.request, { fileId: done.file.id, dest: out }, hooks(bob, { resumed: (from) => downResumes.push(from) }));
    t.deepEqual(await readFile(got.path), bytes);
    t.deepEqual(downResumes, [3 * FILE_CHUNK_BYTES]);
    t.deepEqual(await readdir(out), ["resume.bin"], "no temporary file is left behind");
  });

  it("a corrupted chunk is caught by the SHA-256 on both ends, and nothing corrupted is kept", async (t) => {
    const [alice, bob] = [await newUser(srv(), "fc"), await newUser(srv(), "fd")];
    const room = await roomWith(alice, [bob]);
    const bytes = randomBytes(FILE_CHUNK_BYTES + 100);
    const clientId = uuid();
    const begun = await alice.ok("file:begin", { chatId: room.id, name: "c.bin", size: bytes.length, sha256: sha(bytes), clientId });
    const bad = Buffer.from(bytes.subarray(0, FILE_CHUNK_BYTES));
    bad[1000] = bad[1000]! ^ 0xff;
    await alice.ok("file:chunk", { fileId: begun.file.id, offset: 0, data: bad });
    await alice.ok("file:chunk", { fileId: begun.file.id, offset: FILE_CHUNK_BYTES, data: bytes.subarray(FILE_CHUNK_BYTES) });
    const r = await alice.request("file:complete", { fileId: begun.file.id });
    t.is(r.ok ? "" : r.error.code, "HASH_MISMATCH");
    t.regex(r.ok ? "" : r.error.message, /corrupted/);
    const gone = await alice.request("file:info", { fileId: begun.file.id });
    t.is(gone.ok ? "" : gone.error.code, "FILE_NOT_FOUND", "the corrupted upload was discarded");
    const fresh = await alice.ok("file:begin", { chatId: room.id, name: "c.bin", size: bytes.length, sha256: sha(bytes), clientId });
    t.is(fresh.received, 0, "sending it again starts from nothing");
    await alice.ok("file:cancel", { fileId: fresh.file.id });

    // Bytes damaged at rest on the server: the downloader refuses them.
    const src = path.join(await tmpDir(), "rest.bin");
    await writeFile(src, bytes);
    const done = await uploadFile(requester(alice), { chatId: room.id, file: src, clientId: uuid() }, hooks(alice));
    await srv().db.prisma.$executeRaw`UPDATE file_chunks SET data = set_byte(data, 7, (get_byte(data, 7) + 1) % 256) WHERE file_id = ${done.file.id} AND seq = 1`;
    const out = await tmpDir();
    const e = await t.throwsAsync(downloadFile(requester(bob), { fileId: done.file.id, dest: out }, hooks(bob)));
    t.is((e as { code?: string }).code, "HASH_MISMATCH");
    t.deepEqual(await readdir(out), [], "nothing was saved");
  });

  it("only members of the chat can see, list or download a file, and only the uploader can add to an upload", async (t) => {
    const [alice, bob, eve] = [await newUser(srv(), "fm"), await newUser(srv(), "fn"), await newUser(srv(), "fe")];
    const dm = await alice.ok<ChatDto>("dm:open", { nick: bob.user.nick });
    const src = path.join(await tmpDir(), "secret.txt");
    await writeFile(src, "for bob only");
    const done = await uploadFile(requester(alice), { chatId: dm.id, file: src, clientId: uuid() }, hooks(alice));
    const got = await downloadFile(requester(bob), { fileId: done.file.id, dest: await tmpDir() }, hooks(bob));
    t.is(await readFile(got.path, "utf8"), "for bob only");
    const again = await connect(srv().url, bob.auth);
    t.is(again.ready.chats.find((c) => c.id === dm.id)?.unread, 1, "a shared file counts as unread for the other person");
    again.close();
    for (const [event, payload, code] of [
      ["file:info", { fileId: done.file.id }, "FILE_NOT_FOUND"],
      ["file:read", { fileId: done.file.id, offset: 0 }, "FILE_NOT_FOUND"],
      ["file:list", { chatId: dm.id }, "CHAT_NOT_FOUND"],
      ["file:begin", { chatId: dm.id, name: "x", size: 1, sha256: "a".repeat(64), clientId: uuid() }, "CHAT_NOT_FOUND"],
      ["file:info", { fileId: 2_000_000_000 }, "FILE_NOT_FOUND"],
    ] as const) {
      const r = await eve.request(event, payload);
      t.is(r.ok ? "" : r.error.code, code, `${event} by a non-member`);
    }
    const e2 = await eve.request("file:info", { fileId: done.file.id });
    const e3 = await eve.request("file:info", { fileId: 2_000_000_000 });
    t.is(e2.ok ? "" : e2.error.message.replace(/\d+/g, "N"), e3.ok ? "" : e3.error.message.replace(/\d+/g, "N"), "someone else's file looks like no file");
    const begun = await alice.ok("file:begin", { chatId: dm.id, name: "y", size: 3, sha256: sha(Buffer.from("abc")), clientId: uuid() });
    const hijack = await bob.request("file:chunk", { fileId: begun.file.id, offset: 0, data: Buffer.from("abc") });
    t.is(hijack.ok ? "" : hijack.error.code, "FILE_NOT_FOUND");
    const unfinished = await bob.request("file:read", { fileId: begun.file.id, offset: 0 });
    t.is(unfinished.ok ? "" : unfinished.error.code, "FILE_NOT_FOUND", "an unfinished upload cannot be read");
    await alice.ok("file:cancel", { fileId: begun.file.id });
  });

  it("hostile file names are neutralised for storage and display, and downloads stay in their directory", async (t) => {
    const alice = await newUser(srv(), "fh");
    const chatId = general(alice).id;
    const cases: [string, string][] = [
      ["../../etc/passwd", "_.._etc_passwd"],
      ["..", "file"],
      ["a/b\\c.txt", "a_b_c.txt"],
      ["evil\u202Egpj.exe", "evilgpj.exe"],
      ["\u001b]0;pwned\u0007.txt", "_]0;pwned_.txt"],
      [".bashrc", "bashrc"],
      ["CON.txt", "_CON.txt"],
      ["line\nbreak.txt", "line_break.txt"],
      [`${"é".repeat(300)}.txt`, `${"é".repeat(125)}.txt`],
    ];
    for (const [raw, expected] of cases) {
      const r = await alice.ok("file:begin", { chatId, name: raw, size: 1, sha256: sha(Buffer.from("x")), clientId: uuid() });
      t.is(r.file.name, expected, JSON.stringify(raw));
      t.true(Buffer.byteLength(r.file.name) <= 255);
      await alice.ok("file:chunk", { fileId: r.file.id, offset: 0, data: Buffer.from("x") });
      const done = await alice.ok("file:complete", { fileId: r.file.id });
      t.is(done.message.text, expected);
      const out = await tmpDir();
      const got = await downloadFile(requester(alice), { fileId: r.file.id, dest: out }, hooks(alice));
      t.is(path.dirname(got.path), out, "saved inside the chosen directory");
      t.is(path.basename(got.path), expected);
    }
    for (const [raw, expected] of [["a\u0000b.txt", "a_b.txt"], ["x\ud800y.txt", "x\ufffdy.txt"]]) {
      const r = await alice.ok("file:begin", { chatId, name: raw, size: 1, sha256: sha(Buffer.from("x")), clientId: uuid() });
      t.is(r.file.name, expected, "NUL and a lone surrogate are neutralised too, not refused");
      await alice.ok("file:cancel", { fileId: r.file.id });
    }
  });

  it("cancelling an upload midway removes it from the server; cancelling a download leaves no file", async (t) => {
    const alice = await newUser(srv(), "fx");
    const bytes = randomBytes(FILE_CHUNK_BYTES * 8);
    const src = path.join(await tmpDir(), "cancel.bin");
    await writeFile(src, bytes);
    const control = new AbortController();
    let id = 0;
    const counting = onNth(requester(alice), "file:chunk", 3, () => control.abort());
    const e = await t.throwsAsync(uploadFile(counting.request, { chatId: general(alice).id, file: src, clientId: uuid(), started: (s) => (id = s.fileId) }, hooks(alice, { signal: control.signal })));
    t.is((e as { code?: string }).code, "CANCELLED");
    t.is(await srv().db.prisma.file.count({ where: { id } }), 0, "the unfinished upload is gone from the server");
    t.is(await srv().db.prisma.fileChunk.count({ where: { fileId: id } }), 0);

    const done = await uploadFile(requester(alice), { chatId: general(alice).id, file: src, clientId: uuid() }, hooks(alice));
    const out = await tmpDir();
    const stop = new AbortController();
    const countingRead = onNth(requester(alice), "file:read", 3, () => stop.abort());
    const e2 = await t.throwsAsync(downloadFile(countingRead.request, { fileId: done.file.id, dest: out }, hooks(alice, { signal: stop.signal })));
    t.is((e2 as { code?: string }).code, "CANCELLED");
    t.deepEqual(await readdir(out), [], "no partial file is left");
  });

  it("a shared file is deleted by its uploader or a moderator, not by other members; its message stays without it", async (t) => {
    const [alice, bob] = [await newUser(srv(), "fk"), await newUser(srv(), "fj")];
    const name = nick("mod");
    await srv().accounts.addUser({ nick: name, password: "staff-password", role: "moderator" });
    const login = await api<AuthResponse>(srv().url, "/api/v1/login", { nick: name, password: "staff-password" });
    const mod = await connect(srv().url, login.body);
    const chatId = general(alice).id;
    const src = path.join(await tmpDir(), "del.txt");
    await writeFile(src, "delete me");
    const one = await uploadFile(requester(alice), { chatId, file: src, clientId: uuid() }, hooks(alice));
    const two = await uploadFile(requester(alice), { chatId, file: src, clientId: uuid() }, hooks(alice));
    const unfinished = await alice.ok("file:begin", { chatId, name: "wip.txt", size: 3, sha256: "a".repeat(64), clientId: uuid() });
    const byMod = await mod.request("file:delete", { fileId: unfinished.file.id });
    t.is(byMod.ok ? "" : byMod.error.code, "FILE_NOT_FOUND", "someone else's unfinished upload is invisible, even to a moderator");
    await alice.ok("file:delete", { fileId: unfinished.file.id });
    const byBob = await bob.request("file:delete", { fileId: one.file.id });
    t.is(byBob.ok ? "" : byBob.error.code, "FORBIDDEN");
    t.deepEqual(await alice.ok("file:delete", { fileId: one.file.id }), { fileId: one.file.id, name: "del.txt" });
    t.deepEqual(await mod.ok("file:delete", { fileId: two.file.id }), { fileId: two.file.id, name: "del.txt" });
    for (const f of [one, two]) {
      const r = await bob.request("file:read", { fileId: f.file.id, offset: 0 });
      t.is(r.ok ? "" : r.error.code, "FILE_NOT_FOUND");
    }
    const page = await bob.ok("history:fetch", { chatId, after: one.message.id - 1 });
    const shared = page.messages.filter((m: MessageDto) => m.id === one.message.id || m.id === two.message.id);
    t.is(shared.length, 2, "the messages stay");
    t.true(shared.every((m: MessageDto) => m.kind === "file" && m.file === undefined && m.text === "del.txt"), "without their file");
    mod.close();
  });

  it("completing twice answers the same message; file:list pages with before; a muted user cannot share", async (t) => {
    const [alice, bob] = [await newUser(srv(), "fq"), await newUser(srv(), "fw")];
    const room = await roomWith(alice, [bob]);
    const dir = await tmpDir();
    const done: number[] = [];
    for (let i = 0; i < 3; i++) {
      const src = path.join(dir, `p${i}.txt`);
      await writeFile(src, `page ${i}`);
      done.push((await uploadFile(requester(alice), { chatId: room.id, file: src, clientId: uuid() }, hooks(alice))).file.id);
    }
    const first = await alice.ok("file:complete", { fileId: done[0] });
    const again = await alice.ok("file:complete", { fileId: done[0] });
    t.is(again.message.id, first.message.id, "one message per file, however often it is completed");
    const page1 = await bob.ok("file:list", { chatId: room.id, limit: 2 });
    t.deepEqual(page1.files.map((f: { id: number }) => f.id), [done[2], done[1]]);
    t.true(page1.hasMore);
    const page2 = await bob.ok("file:list", { chatId: room.id, limit: 2, before: done[1] });
    t.deepEqual(page2.files.map((f: { id: number }) => f.id), [done[0]]);
    t.false(page2.hasMore);

    const name = nick("mu");
    await srv().accounts.addUser({ nick: name, password: "staff-password", role: "moderator" });
    const mod = await connect(srv().url, (await api<AuthResponse>(srv().url, "/api/v1/login", { nick: name, password: "staff-password" })).body);
    const begun = await bob.ok("file:begin", { chatId: room.id, name: "b.txt", size: 1, sha256: sha(Buffer.from("b")), clientId: uuid() });
    await bob.ok("file:chunk", { fileId: begun.file.id, offset: 0, data: Buffer.from("b") });
    await mod.ok("admin:mute", { nick: bob.user.nick });
    const muted = await bob.request("file:begin", { chatId: room.id, name: "c.txt", size: 1, sha256: sha(Buffer.from("c")), clientId: uuid() });
    t.is(muted.ok ? "" : muted.error.code, "MUTED");
    const mutedComplete = await bob.request("file:complete", { fileId: begun.file.id });
    t.is(mutedComplete.ok ? "" : mutedComplete.error.code, "MUTED", "an upload finished while muted is not shared");
    await mod.ok("admin:unmute", { nick: bob.user.nick });
    t.is((await bob.ok("file:complete", { fileId: begun.file.id })).message.kind, "file", "after the mute it can be shared");
    mod.close();
  });

  it("a download never overwrites: the second copy gets a suffix", async (t) => {
    const alice = await newUser(srv(), "fo");
    const src = path.join(await tmpDir(), "same.txt");
    await writeFile(src, "one");
    const done = await uploadFile(requester(alice), { chatId: general(alice).id, file: src, clientId: uuid() }, hooks(alice));
    const out = await tmpDir();
    await writeFile(path.join(out, "same.txt"), "mine, keep me");
    const a = await downloadFile(requester(alice), { fileId: done.file.id, dest: out }, hooks(alice));
    const b = await downloadFile(requester(alice), { fileId: done.file.id, dest: path.join(out, "same.txt") }, hooks(alice));
    t.is(path.basename(a.path), "same (1).txt");
    t.is(path.basename(b.path), "same (2).txt");
    t.is(await readFile(path.join(out, "same.txt"), "utf8"), "mine, keep me");
  });

  it("malformed chunks get clear errors, not a crash", async (t) => {
    const alice = await newUser(srv(), "fv");
    const bytes = randomBytes(FILE_CHUNK_BYTES * 2);
    const begun = await alice.ok("file:begin", { chatId: general(alice).id, name: "v.bin", size: bytes.length, sha256: sha(bytes), clientId: uuid() });
    const id = begun.file.id;
    const cases: [unknown, string, RegExp][] = [
      [{ fileId: id, offset: 0, data: "not binary" }, "VALIDATION_FAILED", /binary/],
      [{ fileId: id, offset: 0, data: Buffer.alloc(FILE_CHUNK_BYTES + 1) }, "VALIDATION_FAILED", /at most 65536/],
      [{ fileId: id, offset: 0, data: Buffer.alloc(100) }, "VALIDATION_FAILED", /exactly 65536/],
      [{ fileId: id, offset: 7, data: Buffer.alloc(100) }, "VALIDATION_FAILED", /multiple/],
      [{ fileId: id, offset: FILE_CHUNK_BYTES, data: bytes.subarray(FILE_CHUNK_BYTES) }, "OFFSET_MISMATCH", /offset 0/],
      [{ fileId: id, offset: FILE_CHUNK_BYTES * 2, data: Buffer.alloc(1) }, "VALIDATION_FAILED", /past the file's declared size/],
      [{ fileId: id, offset: -1, data: Buffer.alloc(1) }, "VALIDATION_FAILED", /negative/],
    ];
    for (const [payload, code, message] of cases) {
      const r = await alice.request("file:chunk", payload);
      t.is(r.ok ? "" : r.error.code, code, JSON.stringify(payload).slice(0, 80));
      t.regex(r.ok ? "" : r.error.message, message);
    }
    const early = await alice.request("file:complete", { fileId: id });
    t.is(early.ok ? "" : early.error.code, "UPLOAD_INCOMPLETE");
    const badHash = await alice.request("file:begin", { chatId: general(alice).id, name: "v", size: 1, sha256: "xyz", clientId: uuid() });
    t.is(badHash.ok ? "" : badHash.error.code, "VALIDATION_FAILED");
    t.true(alice.socket.connected, "still connected");
    await alice.ok("file:cancel", { fileId: id });
  });

}

test.serial("an unfinished upload left idle is removed with its chunks", async (t) => {
  // A server of its own, with a short timeout (the others keep theirs long).
  const server = await startTestServer(BACKENDS[0]!, { files: { ...LIMITS, uploadIdleMs: 1000 } });
  t.teardown(() => server.stop());
  const alice = await newUser(server, "fi");
  const bytes = randomBytes(FILE_CHUNK_BYTES + 1);
  const begun = await alice.ok("file:begin", { chatId: general(alice).id, name: "idle.bin", size: bytes.length, sha256: sha(bytes), clientId: uuid() });
  await alice.ok("file:chunk", { fileId: begun.file.id, offset: 0, data: bytes.subarray(0, FILE_CHUNK_BYTES) });
  const chunks = async () => Number((await server.db.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM file_chunks WHERE file_id = ${begun.file.id}`)[0]!.n);
  const files = () => server.db.prisma.file.count({ where: { id: begun.file.id } });
  t.is(await chunks(), 1);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && (await files()) > 0) await sleep(200);
  t.is(await files(), 0, "the idle upload is gone");
  t.is(await chunks(), 0, "and its chunks with it");
  const late = await alice.request("file:chunk", { fileId: begun.file.id, offset: FILE_CHUNK_BYTES, data: bytes.subarray(FILE_CHUNK_BYTES) });
  t.is(late.ok ? "" : late.error.code, "FILE_NOT_FOUND");
  alice.close();
});
