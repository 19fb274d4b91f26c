// Rate limits with rate-limiter-flexible: in memory, or in Redis (shared by every node) when
// one is configured, with the memory limiter as insurance while Redis is unreachable (used at
// once while the client is not ready, not after a command timeout).
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { LimitConfig } from "../config.js";

export type LimitKind = "message" | "event" | "transfer" | "handshake" | "loginFailure" | "loginAddress" | "register";
export type LimitResult = { ok: true } | { ok: false; retryAfterMs: number };

export interface Limits {
  consume(kind: LimitKind, key: string): Promise<LimitResult>;
  reset(kind: LimitKind, key: string): Promise<void>;
  /** Gives back one point spent in advance for something that did not happen. */
  refund(kind: LimitKind, key: string): Promise<void>;
}

export function createLimits(config: LimitConfig, redis?: unknown, prefix = "chat"): Limits {
  const spec: Record<LimitKind, { points: number; windowSec: number }> = {
    message: config.messages,
    event: config.events,
    transfer: config.fileChunks,
    handshake: config.handshakesPerAddress,
    loginFailure: config.loginFailuresPerAccount,
    loginAddress: config.loginsPerAddress,
    register: config.registrationsPerAddress,
  };
  const limiters = {} as Record<LimitKind, RateLimiterAbstract>;
  for (const [kind, { points, windowSec }] of Object.entries(spec) as [LimitKind, { points: number; windowSec: number }][]) {
    const memory = new RateLimiterMemory({ keyPrefix: `${prefix}:${kind}`, points, duration: windowSec });
    limiters[kind] = redis
      ? new RateLimiterRedis({ storeClient: redis, useRedisPackage: true, keyPrefix: `${prefix}:${kind}`, points, duration: windowSec, insuranceLimiter: memory, rejectIfRedisNotReady: true })
      : memory;
  }
  const refused = (e: unknown): LimitResult => {
    if (e instanceof RateLimiterRes) return { ok: false, retryAfterMs: e.msBeforeNext };
    throw e;
  };
  return {
    consume: (kind, key) => limiters[kind].consume(key).then((): LimitResult => ({ ok: true }), refused),
    reset: async (kind, key) => void (await limiters[kind].delete(key)),
    refund: async (kind, key) => void (await limiters[kind].reward(key, 1)),
  };
}

export const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
