// Fake lag for message:send: a burst past the account's message limit waits in a short queue
// (per account, on this node) and is released in order as the limit's points come back.
import type { Limits } from "./limits.js";

/** At most this many messages and bytes wait per account; `messages: 0` refuses at once. */
export type QueueBounds = { messages: number; bytes: number };

/** A send may run now (call `done` once it is answered), or is refused. */
export type Turn =
  | { ok: true; queued: boolean; done: () => void }
  | { ok: false; reason: "full"; retryAfterMs: number }
  | { ok: false; reason: "gone" | "draining" | "failed" };

export interface SendQueue {
  /** Waits for a point of the account's `message` limit, queued behind its earlier sends. */
  turn(account: string, send: { bytes: number; gone: () => boolean }): Promise<Turn>;
  /** Refuses every queued send and every later one (shutdown). */
  drain(): void;
  /** Sends waiting on this node. */
  queued(): number;
}

type Waiting = { bytes: number; gone: () => boolean; queued: boolean; resolve: (t: Turn) => void };
type Queue = { items: Waiting[]; bytes: number; throttledUntil: number; wake: (() => void) | null };

const noop = () => {};

export function createSendQueue(deps: { limits: Limits; bounds: QueueBounds }): SendQueue {
  const { limits, bounds } = deps;
  // One queue per account while it has sends in it; its pump runs while it exists.
  const queues = new Map<string, Queue>();
  let draining = false;

  const take = (q: Queue): Waiting => {
    const item = q.items.shift()!;
    q.bytes -= item.bytes;
    return item;
  };

  /** Keeps the longest prefix of the queue within the bounds; refuses the rest. */
  function trim(q: Queue, retryAfterMs: number): void {
    let count = 0;
    let bytes = 0;
    const kept: Waiting[] = [];
    for (const item of q.items) {
      if (count + 1 <= bounds.messages && bytes + item.bytes <= bounds.bytes) {
        count++;
        bytes += item.bytes;
        kept.push(item);
      } else item.resolve({ ok: false, reason: "full", retryAfterMs });
    }
    q.items = kept;
    q.bytes = bytes;
  }

  async function pump(account: string, q: Queue): Promise<void> {
    while (q.items.length > 0) {
      const head = q.items[0]!;
      // The sender hung up: nobody could be told the outcome, so the message is not stored
      // (clients resend unacknowledged messages with the same clientId).
      if (draining || head.gone()) {
        take(q).resolve({ ok: false, reason: head.gone() ? "gone" : "draining" });
        continue;
      }
      // Points are spent one send at a time, so an account's sends pass in arrival order.
      const r = await limits.consume("message", account).catch(() => null);
      if (r === null) {
        take(q).resolve({ ok: false, reason: "failed" });
        continue;
      }
      if (r.ok) {
        const item = take(q);
        if (!item.queued) item.resolve({ ok: true, queued: false, done: noop });
        // Released from the queue: one at a time, so a paste is stored in the order it was sent.
        else await new Promise<void>((done) => item.resolve({ ok: true, queued: true, done }));
        continue;
      }
      // Out of points: everything waiting is queued until the window ends.
      q.throttledUntil = Date.now() + r.retryAfterMs;
      for (const item of q.items) item.queued = true;
      trim(q, r.retryAfterMs);
      if (q.items.length === 0) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => q.wake?.(), r.retryAfterMs);
        q.wake = () => {
          clearTimeout(timer);
          q.wake = null;
          resolve();
        };
      });
    }
    queues.delete(account);
  }

  return {
    turn(account, send) {
      if (draining) return Promise.resolve({ ok: false, reason: "draining" });
      let q = queues.get(account);
      // Once a queue has run out of points it stays a queue (bounded, one send at a time) until it empties.
      const throttled = q !== undefined && q.throttledUntil > 0;
      if (q && throttled && (q.items.length + 1 > bounds.messages || q.bytes + send.bytes > bounds.bytes)) {
        return Promise.resolve({ ok: false, reason: "full", retryAfterMs: Math.max(0, q.throttledUntil - Date.now()) });
      }
      return new Promise<Turn>((resolve) => {
        const fresh = !q;
        q ??= { items: [], bytes: 0, throttledUntil: 0, wake: null };
        q.items.push({ bytes: send.bytes, gone: send.gone, queued: throttled, resolve });
        q.bytes += send.bytes;
        if (fresh) {
          queues.set(account, q);
          void pump(account, q);
        }
      });
    },
    drain() {
      draining = true;
      for (const q of queues.values()) q.wake?.();
    },
    queued: () => [...queues.values()].reduce((n, q) => n + q.items.length, 0),
  };
}
