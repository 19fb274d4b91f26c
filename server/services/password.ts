// Password hashing with scrypt (memory-hard): at most four hashes at once, a bounded queue behind them.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { AppError } from "../app-error.js";

/** `signal`: the request was abandoned; a hash that has not started yet is not run. */
export type HashOptions = { signal?: AbortSignal | undefined };

export interface PasswordHasher {
  hash(password: string, opts?: HashOptions): Promise<string>;
  verify(password: string, stored: string, opts?: HashOptions): Promise<boolean>;
  /** Counters since start and the queue now (tests, metrics). */
  stats(): HasherStats;
}

export type HasherStats = { hashed: number; refused: number; abandoned: number; active: number; queued: number; peakQueued: number };

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password.normalize("NFKC"), salt, keylen, opts, (e, key) => (e ? reject(e) : resolve(key))));
}

/** Thrown for a task whose signal fired while it waited: nobody is left to answer. */
export const ABANDONED = "The request was abandoned by its client before its password was checked.";

/**
 * A counting semaphore with a bounded queue: each hash holds 128 MiB at N=2^17, so their number
 * is bounded, and so is the wait, because a task arriving at a full queue is refused at once
 * (UNAVAILABLE, with how long the queue takes to empty) instead of waiting behind everyone.
 */
export function limiter(max: number, opts: { maxQueue?: number } = {}) {
  const maxQueue = opts.maxQueue ?? Infinity;
  let active = 0;
  const waiting: { start: () => void }[] = [];
  const stats = { hashed: 0, refused: 0, abandoned: 0, peakQueued: 0 };
  // Mean task time (exponential moving average), for the "try again in N s" of a refusal.
  let meanMs = 0;
  const run = async <T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> => {
    if (signal?.aborted) {
      stats.abandoned++;
      throw new AppError("UNAVAILABLE", ABANDONED);
    }
    if (active >= max) {
      if (waiting.length >= maxQueue) {
        stats.refused++;
        const seconds = Math.max(1, Math.ceil(((waiting.length / max + 1) * (meanMs || 250)) / 1000));
        throw new AppError("UNAVAILABLE", `The server is busy checking other passwords; try again in ${seconds} s.`);
      }
      await new Promise<void>((resolve, reject) => {
        const entry = {
          start: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
        };
        // A request whose client hung up leaves the queue: its hash would answer no one.
        const onAbort = () => {
          const i = waiting.indexOf(entry);
          if (i < 0) return;
          waiting.splice(i, 1);
          stats.abandoned++;
          reject(new AppError("UNAVAILABLE", ABANDONED));
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        waiting.push(entry);
        stats.peakQueued = Math.max(stats.peakQueued, waiting.length);
      });
    }
    active++;
    const started = performance.now();
    try {
      return await fn();
    } finally {
      stats.hashed++;
      const ms = performance.now() - started;
      meanMs = meanMs === 0 ? ms : meanMs * 0.8 + ms * 0.2;
      active--;
      waiting.shift()?.start();
    }
  };
  return Object.assign(run, { stats: (): HasherStats => ({ ...stats, active, queued: waiting.length }) });
}

/**
 * Hashes as `scrypt$<logN>$<r>$<p>$<salt>$<hash>` (base64), so parameters can change later
 * while old hashes still verify.
 */
export function createScryptHasher(opts: { logN?: number; concurrency?: number; maxQueue?: number } = {}): PasswordHasher {
  const logN = opts.logN ?? 17;
  const r = 8;
  const p = 1;
  const run = limiter(opts.concurrency ?? 4, { maxQueue: opts.maxQueue ?? Infinity });
  const params = (ln: number, rr: number, pp: number): ScryptOptions => ({ N: 2 ** ln, r: rr, p: pp, maxmem: 256 * 2 ** ln * rr + 1024 * 1024 });
  return {
    async hash(password, o = {}) {
      const salt = randomBytes(16);
      const key = await run(() => scryptAsync(password, salt, 32, params(logN, r, p)), o.signal);
      return ["scrypt", logN, r, p, salt.toString("base64"), key.toString("base64")].join("$");
    },
    async verify(password, stored, o = {}) {
      const parts = stored.split("$");
      if (parts.length !== 6 || parts[0] !== "scrypt") return false;
      const [ln, rr, pp] = parts.slice(1, 4).map(Number) as [number, number, number];
      const salt = Buffer.from(parts[4] ?? "", "base64");
      const expected = Buffer.from(parts[5] ?? "", "base64");
      if (!(ln >= 10 && ln <= 20 && rr >= 1 && rr <= 32 && pp >= 1 && pp <= 16) || expected.length === 0) return false;
      const key = await run(() => scryptAsync(password, salt, expected.length, params(ln, rr, pp)), o.signal);
      return timingSafeEqual(key, expected);
    },
    stats: () => run.stats(),
  };
}
