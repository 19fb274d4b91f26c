// Password hashing with scrypt (memory-hard), at most four hashes running at once.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
}

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password.normalize("NFKC"), salt, keylen, opts, (e, key) => (e ? reject(e) : resolve(key))));
}

/** A counting semaphore: each hash holds 128 MiB at N=2^17, so their number is bounded. */
export function limiter(max: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/**
 * Hashes as `scrypt$<logN>$<r>$<p>$<salt>$<hash>` (base64), so parameters can change later
 * while old hashes still verify.
 */
export function createScryptHasher(opts: { logN?: number; concurrency?: number } = {}): PasswordHasher {
  const logN = opts.logN ?? 17;
  const r = 8;
  const p = 1;
  const run = limiter(opts.concurrency ?? 4);
  const params = (ln: number, rr: number, pp: number): ScryptOptions => ({ N: 2 ** ln, r: rr, p: pp, maxmem: 256 * 2 ** ln * rr + 1024 * 1024 });
  return {
    async hash(password) {
      const salt = randomBytes(16);
      const key = await run(() => scryptAsync(password, salt, 32, params(logN, r, p)));
      return ["scrypt", logN, r, p, salt.toString("base64"), key.toString("base64")].join("$");
    },
    async verify(password, stored) {
      const parts = stored.split("$");
      if (parts.length !== 6 || parts[0] !== "scrypt") return false;
      const [ln, rr, pp] = parts.slice(1, 4).map(Number) as [number, number, number];
      const salt = Buffer.from(parts[4] ?? "", "base64");
      const expected = Buffer.from(parts[5] ?? "", "base64");
      if (!(ln >= 10 && ln <= 20 && rr >= 1 && rr <= 32 && pp >= 1 && pp <= 16) || expected.length === 0) return false;
      const key = await run(() => scryptAsync(password, salt, expected.length, params(ln, rr, pp)));
      return timingSafeEqual(key, expected);
    },
  };
}
