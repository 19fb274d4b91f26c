// chat-sshd end to end: the real OpenSSH client in tmux against chat-sshd and chat-server;
// keys bound to accounts, the login form over SSH, refusals, and exec `send`.
import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import test, { type ExecutionContext } from "ava";
import { loadOrCreateHostKey } from "../gateway/host-key.js";
import { GATEWAY_FILES_REFUSAL } from "../gateway/files.js";
import { NO_PTY_MESSAGE, startGateway, type Gateway } from "../gateway/sshd.js";
import type { MessageDto } from "../server/protocol/index.js";
import { api, newUser, nick, startTestServer, type TestServer } from "./helpers/harness.js";
import { hasTmux, termWidth, Tmux } from "./helpers/tmux.js";

const run = promisify(execFile);
const hasSsh = (() => {
  try {
    execFileSync("ssh", ["-V"], { stdio: "ignore" });
    execFileSync("ssh-keygen", ["-?"], { stdio: "ignore" });
    return true;
  } catch (e) {
    return (e as { status?: number }).status !== undefined && (e as { code?: string }).code !== "ENOENT";
  }
})();
const sshTest = hasSsh && hasTmux ? test.serial : test.skip;
if (!hasSsh || !hasTmux) test.skip(`chat-sshd tests (skipped: ${!hasSsh ? "the ssh client (openssh-client) is" : "tmux is"} not installed)`, () => {});

const SECRET = "test-gateway-secret-0123456789abcdefghij";
let server: TestServer;
let gateway: Gateway;
let dir: string;

test.before(async () => {
  if (!hasSsh || !hasTmux) return;
  dir = await mkdtemp(path.join(os.tmpdir(), "chat-sshd-"));
  server = await startTestServer("pglite", { gatewaySecret: SECRET });
  gateway = await startGateway({ port: 0, host: "127.0.0.1", server: server.url, hostKey: loadOrCreateHostKey(path.join(dir, "host_ed25519")), gatewaySecret: SECRET, maxSessions: 50 });
});
test.after.always(async () => {
  await gateway?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function newKey(t: ExecutionContext): Promise<{ file: string; pub: string; fingerprint: string }> {
  const d = await mkdtemp(path.join(os.tmpdir(), "chat-sshkey-"));
  t.teardown(() => rm(d, { recursive: true, force: true }));
  const file = path.join(d, "id_ed25519");
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "tester@test", "-f", file]);
  const pub = (await readFile(file + ".pub", "utf8")).trim();
  const { stdout } = await run("ssh-keygen", ["-l", "-E", "sha256", "-f", file + ".pub"]);
  return { file, pub, fingerprint: stdout.split(" ")[1]! };
}

const SSH_OPTS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=no", "-F", "/dev/null"];
// ssh keeps the first value of an option: the log level comes first, INFO where a test reads ssh's own messages.
const sshArgs = (key: string | null, ...more: string[]) => ["-p", String(gateway.port), "-o", more.includes("-N") ? "LogLevel=INFO" : "LogLevel=ERROR", ...SSH_OPTS, ...(key ? ["-i", key] : ["-o", "PubkeyAuthentication=no"]), ...more, "127.0.0.1"];

async function openSsh(t: ExecutionContext, key: string | null, opts: { width?: number; height?: number; env?: Record<string, string> } = {}): Promise<Tmux> {
  const tmux = new Tmux();
  t.teardown(() => tmux.kill());
  const args = sshArgs(key, "-tt", "-o", "SendEnv=LANG LC_ALL").map((a) => `'${a}'`).join(" ");
  await tmux.start(`ssh ${args}; echo "EXITED $?"; sleep 60`, { width: opts.width ?? 100, height: opts.height ?? 30, ...(opts.env ? { env: opts.env } : {}) });
  return tmux;
}

sshTest("register over ssh, bind the key, reconnect straight in, Alt+2, send and receive, resize, Ctrl+C ends only the session", async (t) => {
  const key = await newKey(t);
  const name = nick("ssh");
  const other = await newUser(server, "peer");

  const first = await openSsh(t, key.file);
  await first.waitFor(/Password/, 20_000);
  await first.keys("C-u");
  await first.type(name);
  await first.keys("Tab");
  await first.type("ssh-password-1");
  await first.keys("C-r");
  const asked = await first.waitFor(/Bind this SSH key/, 20_000);
  t.true(asked.replace(/\s+/g, "").includes(key.fingerprint.replace(/\s+/g, "")) || asked.includes("SHA256:"), "the question names the key's fingerprint");
  await first.keys("y");
  await first.waitFor(/Bound the SSH key/);
  const listed = await other.ok<{ keys: unknown[] }>("key:list", {});
  t.is(listed.keys.length, 0, "the peer has no keys: keys are per account");
  await first.keys("C-c");
  await first.waitFor(/EXITED 0/);

  // The same key logs straight in: no form.
  const second = await openSsh(t, key.file);
  await second.waitFor(/#general>/, 20_000);
  t.notRegex(await second.screen(), /Password/);
  t.true((await second.screen()).includes("│"), "LANG=C.UTF-8 (sent with SendEnv) draws Unicode");
  // Send from ssh, the peer receives it.
  await second.type("hello from ssh");
  await second.keys("Enter");
  await other.next<MessageDto>("message:new", (m) => m.text === "hello from ssh", 15_000);
  // The peer's message reaches the ssh screen.
  await other.ok("message:send", { chatId: other.ready.chats.find((c) => c.name === "general")!.id, text: "hello back to ssh", clientId: crypto.randomUUID() });
  await second.waitFor(/hello back to ssh/);
  // A DM opens a second tab; Alt+2 switches to it.
  await other.ok("dm:open", { nick: name });
  const dm = await other.ok<{ id: number }>("dm:open", { nick: name });
  await other.ok("message:send", { chatId: dm.id, text: "a private word", clientId: crypto.randomUUID() });
  await second.waitFor(new RegExp(other.user.nick));
  await second.keys("M-2");
  await second.waitFor(/a private word/);
  // Resize: the layout follows the window.
  await second.resize(70, 20);
  const resized = await second.waitFor((s) => /a private word/.test(s) && s.split("\n").every((l) => termWidth(l) <= 70) && s.split("\n").some((l) => termWidth(l) >= 60 && /online/.test(l)));
  t.true(resized.split("\n").length <= 21, "20 rows");
  await second.keys("C-c");
  await second.waitFor(/EXITED 0/);

  // The gateway still serves.
  const third = await openSsh(t, key.file);
  await third.waitFor(/#general>/, 20_000);
  await third.type("/key list");
  await third.keys("Enter");
  await third.waitFor(new RegExp(key.fingerprint.replace(/[+/]/g, "\\$&")));
  await third.keys("C-c");
  await third.waitFor(/EXITED 0/);
  other.close();
});

sshTest("over ssh /send /etc/passwd is refused with the sentence, and nothing is uploaded; the session's LANG=C draws ASCII", async (t) => {
  const tui = await openSsh(t, null, { env: { LANG: "C" } });
  const form = await tui.waitFor(/Password/, 20_000);
  t.false(/[─│┌┐└┘]/.test(form), "no box drawing characters under LANG=C sent with SendEnv");
  await tui.keys("C-u");
  await tui.type(nick("snd"));
  await tui.keys("Tab");
  await tui.type("ssh-password-2");
  await tui.keys("C-r");
  await tui.waitFor(/#general>/, 20_000);
  t.notRegex(await tui.screen(), /Bind this SSH key/, "no key was offered, nothing to bind");
  await tui.type("/send /etc/passwd");
  await tui.keys("Enter");
  const screen = await tui.waitFor(/File transfer is not available over the SSH/);
  t.false(screen.includes("│"), "the chat screen is ASCII too");
  t.notRegex(screen, /root:x:0/);
  t.true(GATEWAY_FILES_REFUSAL.startsWith("File transfer is not available over the SSH gateway"));
  await tui.keys("C-c");
  await tui.waitFor(/EXITED 0/);
});

sshTest("a session without a PTY gets the one-line explanation and closes", async (t) => {
  const r = await run("ssh", [...sshArgs(null, "-T")], { timeout: 20_000 }).catch((e: { stdout: string; stderr: string; code: number }) => e);
  t.is((r as { code?: number }).code, 2);
  t.true(r.stderr.includes(NO_PTY_MESSAGE.trim()), r.stderr);
});

sshTest("port forwarding is refused", async (t) => {
  // -L asks for a direct-tcpip channel when something connects to the local port.
  const local = 20_000 + Math.floor(Math.random() * 20_000);
  const ssh = execFile("ssh", [...sshArgs(null, "-N", "-o", "ExitOnForwardFailure=yes", "-L", `${local}:127.0.0.1:${server.port}`)]);
  let stderr = "";
  ssh.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  t.teardown(() => void ssh.kill("SIGKILL"));
  const net = await import("node:net");
  const deadline = Date.now() + 20_000;
  let refused = false;
  while (Date.now() < deadline && !refused) {
    await new Promise((r) => setTimeout(r, 300));
    await new Promise<void>((resolve) => {
      const s = net.connect(local, "127.0.0.1", () => {
        s.on("close", () => resolve());
        s.on("error", () => resolve());
        s.write("GET /healthz HTTP/1.0\r\n\r\n");
        s.on("data", () => t.fail("data came through the forward"));
      });
      s.on("error", () => resolve());
    });
    refused = /administratively prohibited|open failed/i.test(stderr);
  }
  t.regex(stderr, /administratively prohibited|open failed/i);
  // A remote forward (-R) is refused as well.
  const r = await run("ssh", [...sshArgs(null, "-N", "-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:1")], { timeout: 20_000 }).catch((e: { stderr: string; code: number }) => e);
  t.regex(r.stderr, /remote port forwarding failed|forwarding failed/i);
});

sshTest("exec send: a bound key posts one message and exits 0; errors exit non-zero with a sentence", async (t) => {
  const key = await newKey(t);
  const owner = await newUser(server, "bot");
  await owner.ok("key:add", { publicKey: key.pub });
  const watcher = await newUser(server, "wat");
  const r = await run("ssh", [...sshArgs(key.file), "--", "send", "'#general'", "'build finished'"], { timeout: 30_000 });
  t.is(r.stderr, "");
  const m = await watcher.next<MessageDto>("message:new", (x) => x.text === "build finished", 15_000);
  t.is(m.sender, owner.user.nick);
  const bad = await run("ssh", [...sshArgs(key.file), "--", "send", "'#no-such-room-here'", "'x'"], { timeout: 30_000 }).catch((e: { stderr: string; code: number }) => e);
  t.not((bad as { code?: number }).code ?? 0, 0);
  t.truthy(bad.stderr.trim());
  // Without a bound key, commands are refused with a sentence.
  const none = await run("ssh", [...sshArgs(null), "--", "send", "'#general'", "'x'"], { timeout: 30_000 }).catch((e: { stderr: string; code: number }) => e);
  t.is((none as { code?: number }).code, 1);
  t.regex(none.stderr, /bound to your account/);
  owner.close();
  watcher.close();
});

test("key events: add validates and fingerprints, the same key cannot be bound twice, remove; key-login needs the gateway secret", async (t) => {
  if (!server) return t.pass("skipped with the ssh tests");
  const alice = await newUser(server, "kal");
  const bob = await newUser(server, "kbo");
  const line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBl9QI390St9124nA6UqhamLdbMFb8AdgixHUR3diGC9 alice@laptop";
  const added = await alice.ok<{ fingerprint: string; comment: string }>("key:add", { publicKey: line });
  t.regex(added.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
  t.is(added.comment, "alice@laptop");
  const again = await bob.request("key:add", { publicKey: line });
  t.false(again.ok);
  t.is(!again.ok && again.error.code, "KEY_TAKEN");
  const bad = await alice.request("key:add", { publicKey: "ssh-ed25519 notbase64!!" });
  t.is(!bad.ok && bad.error.code, "VALIDATION_FAILED");
  // Without the secret (or with a wrong one) no session is given.
  t.is((await api(server.url, "/api/v1/gateway/key-login", { fingerprint: added.fingerprint })).status, 401);
  t.is((await api(server.url, "/api/v1/gateway/key-login", { fingerprint: added.fingerprint }, { authorization: "Bearer wrong-secret-wrong-secret-wrong-secret" })).status, 401);
  const ok = await api<{ token: string; user: { nick: string } }>(server.url, "/api/v1/gateway/key-login", { fingerprint: added.fingerprint }, { authorization: `Bearer ${SECRET}` });
  t.is(ok.status, 200);
  t.is(ok.body.user.nick, alice.user.nick);
  // Bob cannot remove Alice's key.
  const notHis = await bob.request("key:remove", { fingerprint: added.fingerprint });
  t.is(!notHis.ok && notHis.error.code, "KEY_NOT_FOUND");
  await alice.ok("key:remove", { fingerprint: added.fingerprint });
  t.is((await api(server.url, "/api/v1/gateway/key-login", { fingerprint: added.fingerprint }, { authorization: `Bearer ${SECRET}` })).status, 404);
  alice.close();
  bob.close();
});

test("the host key is made once with mode 0600 and reused", async (t) => {
  const d = await mkdtemp(path.join(os.tmpdir(), "chat-hostkey-"));
  t.teardown(() => rm(d, { recursive: true, force: true }));
  const file = path.join(d, "sub", "host_ed25519");
  const a = loadOrCreateHostKey(file);
  t.is((await stat(file)).mode & 0o777, 0o600);
  t.deepEqual(loadOrCreateHostKey(file), a);
  t.regex(a.toString(), /BEGIN OPENSSH PRIVATE KEY/);
});
