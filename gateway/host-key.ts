// chat-sshd's host key: an ed25519 key in OpenSSH format, made on first start (0600) and reused.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import ssh2 from "ssh2";

/** Reads the host key at `file`, or makes one there (mode 0600) when it does not exist. */
export function loadOrCreateHostKey(file: string): Buffer {
  try {
    const key = readFileSync(file);
    const parsed = ssh2.utils.parseKey(key);
    if (parsed instanceof Error) throw new Error(`${file} is not a private key ssh2 can read: ${parsed.message}`);
    return key;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // ssh2 reads ed25519 private keys in OpenSSH format only (not node:crypto's PKCS#8 PEM),
  // and its own generator writes that format.
  const pair = ssh2.utils.generateKeyPairSync("ed25519", { comment: "chat-sshd host key" });
  writeFileSync(file, pair.private, { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  writeFileSync(file + ".pub", pair.public + "\n", { mode: 0o644 });
  return Buffer.from(pair.private);
}
