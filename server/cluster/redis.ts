// The Redis connection of a cluster node: bounded at start, failing fast while down, one log line per outage.
import { createClient } from "redis";
import type { Logger } from "../log.js";

export type Redis = ReturnType<typeof createClient>;

export type RedisLink = {
  /** Rate limits, presence and the adapter's publishing: fails at once while Redis is unreachable. */
  client: Redis;
  /** The client to hand to @socket.io/redis-streams-adapter (its readers wait out an outage). */
  adapterClient: Redis;
  /** Whether Redis answered last time we heard from it. */
  up(): boolean;
  /** "ok", or a sentence saying since when it has been unreachable and why. */
  status(): string;
  /** Called with false when an outage begins and true when Redis is back. */
  onChange(fn: (up: boolean) => void): void;
  close(): Promise<void>;
};

/** The URL without its password, for logs and error messages. */
export const redactUrl = (url: string) => url.replace(/\/\/[^@/]*@/, "//***@");

/**
 * Connects within `startTimeoutMs` or throws an error whose message is a sentence for the
 * operator. Afterwards the client reconnects forever, but no command waits for it: while it is
 * not ready commands fail at once (`disableOfflineQueue`), a command that cannot be written
 * within `commandTimeoutMs` fails, and a Redis that keeps the connection but stops answering is
 * caught by the watchdog below.
 */
export async function connectRedis(opts: { url: string; log: Logger; startTimeoutMs?: number; commandTimeoutMs?: number }): Promise<RedisLink> {
  const { url, log } = opts;
  const startTimeoutMs = opts.startTimeoutMs ?? 5000;
  const shown = redactUrl(url);
  // The cast drops what the default command options do to the inferred reply types (nothing here).
  const client = createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: opts.commandTimeoutMs ?? 1000 },
    socket: { connectTimeout: Math.min(startTimeoutMs, 5000), reconnectStrategy: (n) => Math.min(2000, 100 * 2 ** n) },
  }) as unknown as Redis;

  let up = false;
  let started = false;
  let downSince = 0;
  let lastError = "";
  const listeners: ((up: boolean) => void)[] = [];
  const down = (why: string | null) => {
    lastError = why ?? (lastError || "connection closed");
    if (!started || !up) return;
    up = false;
    downSince = Date.now();
    // Once per outage, not once per reconnection attempt.
    log.warn(
      { redis: shown, err: lastError },
      "redis unreachable: until it is back, rate limits count in this node's memory, presence covers this node's users, and events do not reach other nodes",
    );
    for (const fn of listeners) fn(false);
  };
  client.on("error", (e: Error) => down(e.message || e.name));
  client.on("end", () => down(null));
  client.on("ready", () => {
    if (!started || up) return;
    up = true;
    log.warn({ redis: shown, downForSec: Math.round((Date.now() - downSince) / 1000) }, "redis is back");
    for (const fn of listeners) fn(true);
  });

  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("timeout")), startTimeoutMs);
      }),
    ]);
  } catch (e) {
    const why = lastError || (e as Error).message;
    // Stop the reconnection loop, or the process would never exit.
    client.destroy();
    throw new Error(
      `cannot reach Redis at ${shown} (REDIS_URL / --redis-url) within ${Math.round(startTimeoutMs / 1000)} s: ${why}. ` +
        "Start Redis, fix the URL, or leave REDIS_URL unset to run a single node without Redis.",
      { cause: e },
    );
  } finally {
    clearTimeout(timer);
  }
  up = true;
  started = true;

  // The adapter publishes with this client and waits for each publish before delivering on this
  // node, so publishing must fail fast; but it duplicates it for its XREAD BLOCK readers and its
  // subscriber, which must wait out an outage: a reader that fails at once retries at once,
  // in a loop that never yields to the event loop. Their timeout outlasts the 5 s BLOCK.
  const adapterClient = client.duplicate() as Redis;
  adapterClient.on("error", () => undefined);
  const duplicate = client.duplicate.bind(client);
  adapterClient.duplicate = ((overrides?: object) =>
    duplicate({ ...overrides, disableOfflineQueue: false, commandOptions: { timeout: 15_000 } })) as typeof client.duplicate;
  await adapterClient.connect();

  // node-redis drops a command's timeout once the command is written, so a Redis that accepts
  // connections but does not answer (stopped, swapping, partitioned without a reset) would hold
  // every command forever. A watchdog pings it; a ping unanswered for 1.5 s counts as an
  // outage: both connections are closed (failing what waits on them, so callers fall back) and
  // opened again, commands failing at once meanwhile.
  let probing = false;
  const reopen = (c: Redis) => {
    if (!started) return;
    c.connect().catch(() => setTimeout(() => reopen(c), 1000).unref());
  };
  const watchdog = setInterval(() => {
    if (!started || !up || probing || !client.isReady) return;
    probing = true;
    let timer: NodeJS.Timeout | undefined;
    void Promise.race([
      client.ping().then(() => true, () => true), // an error is the error handler's business
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 1500))),
    ]).then((answered) => {
      clearTimeout(timer);
      probing = false;
      if (answered || !started) return;
      down("connected but not answering (no reply to PING within 1.5 s)");
      for (const c of [client, adapterClient]) {
        c.destroy();
        reopen(c);
      }
    });
  }, 500);
  watchdog.unref();

  return {
    client,
    adapterClient,
    up: () => up,
    status: () => (up ? "ok" : `unreachable since ${new Date(downSince).toISOString()}: ${lastError}`),
    onChange: (fn) => void listeners.push(fn),
    async close() {
      started = false;
      clearInterval(watchdog);
      // quit() waits for a reply a dead Redis never sends; destroy() stops reconnecting too.
      for (const c of [client, adapterClient]) {
        if (c.isReady) await c.quit().catch(() => c.destroy());
        else if (c.isOpen) c.destroy();
      }
    },
  };
}
