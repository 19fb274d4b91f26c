// OpenSSH public keys: parsing one `.pub` line and the SHA256 fingerprint OpenSSH shows.
import { createHash } from "node:crypto";
import { AppError } from "../app-error.js";

/** The key types chat-sshd can verify (ssh2 1.17 verifies these signatures). */
export const SSH_KEY_TYPES = ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"] as const;

export type ParsedSshKey = { type: string; blob: Buffer; comment: string; fingerprint: string; line: string };

/** "SHA256:" + unpadded base64 of the SHA-256 of the key blob, as `ssh-keygen -lf` prints it. */
export function sshFingerprint(blob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** The type name inside a key blob (a uint32 length, then the name), or null when malformed. */
function blobType(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const n = blob.readUInt32BE(0);
  if (n < 1 || n > 64 || 4 + n > blob.length) return null;
  return blob.subarray(4, 4 + n).toString("latin1");
}

/** Parses "type base64 [comment]"; throws AppError VALIDATION_FAILED with a sentence saying what is wrong. */
export function parseSshPublicKey(text: string): ParsedSshKey {
  const line = text.trim();
  if (/[\r\n]/.test(line)) throw new AppError("VALIDATION_FAILED", "Give one public key on one line (the content of your ~/.ssh/id_ed25519.pub).");
  const [type, b64, ...rest] = line.split(/\s+/);
  if (!type || !b64) throw new AppError("VALIDATION_FAILED", 'A public key looks like "ssh-ed25519 AAAA... you@host": paste the line of your .pub file.');
  if (line.includes("PRIVATE KEY")) throw new AppError("VALIDATION_FAILED", "That is a private key: never paste it anywhere. Give the .pub file's line instead.");
  if (!(SSH_KEY_TYPES as readonly string[]).includes(type)) {
    throw new AppError("VALIDATION_FAILED", `Key type "${type.slice(0, 40)}" is not supported; use one of ${SSH_KEY_TYPES.join(", ")}.`);
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new AppError("VALIDATION_FAILED", "The key's base64 part is damaged: copy the whole line again.");
  const blob = Buffer.from(b64, "base64");
  if (blobType(blob) !== type) throw new AppError("VALIDATION_FAILED", `The key's data is not a ${type} key: copy the whole line again.`);
  const comment = rest.join(" ").slice(0, 200);
  return { type, blob, comment, fingerprint: sshFingerprint(blob), line: `${type} ${b64}` };
}
