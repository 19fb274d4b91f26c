// Unit tests for OpenSSH public key parsing and fingerprints (compared with ssh-keygen).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { parseSshPublicKey, sshFingerprint } from "./ssh-keys.js";

function hasKeygen(): boolean {
  try {
    execFileSync("ssh-keygen", ["-?"], { stdio: "ignore" });
  } catch (e) {
    return (e as { code?: string }).code !== "ENOENT";
  }
  return true;
}

for (const type of ["ed25519", "rsa", "ecdsa"]) {
  const t = hasKeygen() ? test : test.skip;
  t(`fingerprint of a ${type} key is the one ssh-keygen -lf prints`, (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sshkey-"));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "k");
    execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "me@host two", "-f", file]);
    const line = readFileSync(file + ".pub", "utf8");
    const expected = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", file + ".pub"], { encoding: "utf8" }).split(" ")[1];
    const parsed = parseSshPublicKey(line);
    t.is(parsed.fingerprint, expected!);
    t.is(parsed.comment, "me@host two");
    t.true(line.startsWith(parsed.line));
  });
}

test("fingerprint: SHA256 prefix, unpadded base64 of the blob's hash", (t) => {
  t.is(sshFingerprint(Buffer.from("abc")), "SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0");
});

test("parse refuses what is not a public key line, with a sentence", (t) => {
  const good = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBl9QI390St9124nA6UqhamLdbMFb8AdgixHUR3diGC9";
  t.is(parseSshPublicKey(good).type, "ssh-ed25519");
  t.throws(() => parseSshPublicKey(""), { message: /looks like/ });
  t.throws(() => parseSshPublicKey("ssh-dss AAAAB3NzaC1kc3MAAACBAP"), { message: /not supported/ });
  t.throws(() => parseSshPublicKey("ssh-ed25519 AAAA$$$="), { message: /base64/ });
  // The blob names another type than the line.
  t.throws(() => parseSshPublicKey(good.replace("ssh-ed25519", "ssh-rsa")), { message: /not a ssh-rsa key/ });
  t.throws(() => parseSshPublicKey("-----BEGIN OPENSSH PRIVATE KEY----- abc"), { message: /not supported|private/ });
  t.throws(() => parseSshPublicKey(good + "\n" + good), { message: /one line/ });
});
