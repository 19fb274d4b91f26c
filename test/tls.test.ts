// TLS: the server serves HTTPS/WSS; the client trusts a private CA with --ca, refuses an
// untrusted certificate with a sentence saying what to do, and connects anyway with --insecure.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { authenticate } from "../tui/net/auth.js";
import { openConnection } from "../tui/net/connection.js";
import { tlsOptions } from "../tui/net/tls.js";
import { nick, sleep, startTestServer, type TestServer } from "./helpers/harness.js";

const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

let dir = "";
let server: TestServer | undefined;
test.before(async () => {
  if (!hasOpenssl) return;
  dir = mkdtempSync(path.join(os.tmpdir(), "chat-tls-"));
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  // A private CA and a certificate for 127.0.0.1 signed by it.
  run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=chat test CA");
  run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  writeFileSync(path.join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf");
  server = await startTestServer("pglite", { tlsCert: path.join(dir, "server.pem"), tlsKey: path.join(dir, "server.key") });
});
test.after.always(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const tlsTest = hasOpenssl ? test : test.skip;
if (!hasOpenssl) test.skip("TLS tests (skipped: openssl is not installed)", () => {});

tlsTest("the server listens on https and the client trusts its private CA with --ca", async (t) => {
  t.regex(server!.url, /^https:\/\//);
  const tls = tlsOptions({ ca: path.join(dir, "ca.pem") });
  const r = await authenticate(server!.url, "register", nick("tls"), "tls-password", tls);
  if (!r.ok) return t.fail(r.message);
  let ready = false;
  const conn = await openConnection(server!.url, r.auth.token, {
    ready: () => (ready = true), message() {}, presence() {}, chatUpdated() {}, notice() {}, status() {}, authFailed() {}, sessionEnded() {}, shutdown() {}, syncRequired() {},
  }, tls);
  for (let i = 0; i < 100 && !ready; i++) await sleep(50);
  t.true(ready, "the WSS connection reached session:ready");
  const ping = await conn.request("ping:rtt", {});
  t.true(ping.ok);
  conn.close();
});

tlsTest("an untrusted certificate is refused with a sentence that names --ca and --insecure", async (t) => {
  const r = await authenticate(server!.url, "register", nick("tlx"), "tls-password");
  t.false(r.ok);
  t.regex(r.ok ? "" : r.message, /TLS certificate is not trusted \(\w+\)\. If it is signed by a private CA, pass --ca <file>; to connect anyway \(unsafe\), pass --insecure\./);
  let status = "";
  const conn = await openConnection(server!.url, "A".repeat(43), {
    ready() {}, message() {}, presence() {}, chatUpdated() {}, notice() {}, status: (_s, _a, e) => void (e && (status = e)), authFailed() {}, sessionEnded() {}, shutdown() {}, syncRequired() {},
  });
  for (let i = 0; i < 100 && !status.includes("TLS"); i++) await sleep(50);
  conn.close();
  t.regex(status, /TLS certificate is not trusted/);
});

tlsTest("--insecure connects to a certificate it cannot verify", async (t) => {
  const r = await authenticate(server!.url, "register", nick("tli"), "tls-password", tlsOptions({ insecure: true }));
  t.true(r.ok);
});
