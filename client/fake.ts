// Fakes of the client's ports for tests: a scripted server behind a fake connection, a manual
// clock, sessions and files in memory. Pure: usable in any test, browser or Node.
import type { ClientEventName, ErrorCode, EventAck, EventPayload, MessageDto, MessageUpdated, Result, SessionReady } from "../server/protocol/index.js";
import { offlineError, type Connection, type ConnectionEvents } from "./connection.js";
import type { ByteSink, ByteSource, ClientPorts, Clock, FilePorts, Hasher, SavedSession, SessionStore, TimerHandle } from "./ports.js";

type Handler<E extends ClientEventName> = (payload: EventPayload<E>) => Result<EventAck<E>> | Promise<Result<EventAck<E>>>;
export type Handlers = { [E in ClientEventName]?: Handler<E> };

export const okResult = <T>(data: T): Result<T> => ({ ok: true, data });
export const errResult = (code: ErrorCode | "TIMEOUT" | "OFFLINE", message: string = code): Result<never> => ({ ok: false, error: { code: code as ErrorCode, message } });

/** A server the test scripts: answers requests with `handlers`, pushes events, drops the link. */
export function fakeServer(handlers: Handlers = {}) {
  const requests: { event: ClientEventName; payload: unknown }[] = [];
  const tokens: string[] = [];
  let events: ConnectionEvents | null = null;
  let connected = false;
  const connection: Connection = {
    get connected() {
      return connected;
    },
    request: (async (event: ClientEventName, payload: unknown) => {
      if (!connected) return { ok: false, error: offlineError() };
      requests.push({ event, payload });
      const h = handlers[event] as ((p: unknown) => Result<unknown> | Promise<Result<unknown>>) | undefined;
      return h ? h(payload) : errResult("UNKNOWN_EVENT", `no fake handler for ${event}`);
    }) as Connection["request"],
    close() {
      connected = false;
    },
  };
  const on = () => {
    if (!events) throw new Error("the client has not connected");
    return events;
  };
  return {
    handlers,
    requests,
    tokens,
    /** The requests of one event, in order. */
    sent: <E extends ClientEventName>(event: E) => requests.filter((r) => r.event === event).map((r) => r.payload as EventPayload<E>),
    connect: (token: string, e: ConnectionEvents): Promise<Connection> => {
      tokens.push(token);
      events = e;
      e.status("connecting", 0, null);
      return Promise.resolve(connection);
    },
    /** The socket connects and the server sends its snapshot. */
    online(session: SessionReady) {
      connected = true;
      on().status("online", 0, null);
      on().ready(session);
    },
    drop(reason = "transport close") {
      connected = false;
      on().status("reconnecting", 1, reason);
    },
    message: (m: MessageDto) => on().message(m),
    updated: (u: MessageUpdated) => on().updated?.(u),
    syncRequired: (afterId: number) => on().syncRequired(afterId),
    get events() {
      return on();
    },
  };
}
export type FakeServer = ReturnType<typeof fakeServer>;

/** Timers that run only when the test advances time. */
export function fakeClock(start = 1_000_000) {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void; every: number | null }>();
  const add = (fn: () => void, ms: number, every: number | null): TimerHandle => {
    const id = ++seq;
    timers.set(id, { at: now + ms, fn, every });
    return id;
  };
  const clock: Clock & { advance(ms: number): Promise<void>; pending(): number } = {
    now: () => now,
    setTimeout: (fn, ms) => add(fn, ms, null),
    setInterval: (fn, ms) => add(fn, ms, ms),
    clearTimeout: (h) => void timers.delete(h as number),
    clearInterval: (h) => void timers.delete(h as number),
    /** Moves time on, running due timers in order (and letting promises settle between them). */
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        await settle();
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        const [id, t] = due;
        now = Math.max(now, t.at);
        if (t.every) t.at += t.every;
        else timers.delete(id);
        t.fn();
      }
      now = end;
      await settle();
    },
    pending: () => timers.size,
  };
  return clock;
}

/** Lets pending promise callbacks run (a few turns of the microtask queue). */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

export function memorySessions(initial: Record<string, SavedSession> = {}): SessionStore & { saved: Record<string, SavedSession> } {
  const saved = { ...initial };
  return {
    saved,
    load: async (server) => saved[server] ?? null,
    save: async (server, s) => void (saved[server] = s),
    remove: async (server) => void delete saved[server],
  };
}

/** A deterministic (not cryptographic) hash, enough to tell contents apart in tests. */
export function fakeHasher(): { update(bytes: Uint8Array): void; digest(): string } {
  let h = 0x811c9dc5;
  let n = 0;
  return {
    update(bytes) {
      for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
      n += bytes.byteLength;
    },
    digest: () => `${h.toString(16).padStart(8, "0")}${n.toString(16).padStart(8, "0")}`.padEnd(64, "0"),
  };
}

export const hashOf = (bytes: Uint8Array): string => {
  const h = fakeHasher();
  h.update(bytes);
  return h.digest();
};

/** Files in memory: `files` are what can be sent; downloads land in `written` on commit. */
export function memoryFiles(files: Record<string, Uint8Array> = {}) {
  const written: Record<string, Uint8Array> = {};
  const discarded: string[] = [];
  const ports: FilePorts = {
    async openSource(path) {
      const bytes = files[path];
      if (!bytes) throw Object.assign(new Error(`no such file ${path}`), { code: "LOCAL_FILE" });
      const source: ByteSource = {
        name: path.split("/").pop() ?? path,
        measure: async () => ({ size: bytes.byteLength, sha256: hashOf(bytes) }),
        read: async (offset, length) => bytes.slice(offset, offset + length),
        close: async () => {},
      };
      return source;
    },
    async openSink(dest, fileName) {
      const target = `${dest ?? "downloads"}/${fileName}`;
      let buf = new Uint8Array(0);
      const sink: ByteSink = {
        async write(offset, bytes) {
          const next = new Uint8Array(Math.max(buf.byteLength, offset + bytes.byteLength));
          next.set(buf);
          next.set(bytes, offset);
          buf = next;
        },
        commit: async () => ((written[target] = buf), target),
        discard: async () => void discarded.push(target),
      };
      return sink;
    },
    sha256: fakeHasher,
  };
  return { ports, written, discarded };
}

/** UUID-shaped ids, 1, 2, 3... (each generator counts on its own). */
export function sequentialIds(prefix = "00000000-0000-4000-8000-"): () => string {
  let seq = 0;
  return () => `${prefix}${String(++seq).padStart(12, "0")}`;
}

/** Ports for a client on a fake server. */
export function fakePorts(server: FakeServer, extra: Partial<ClientPorts> = {}): ClientPorts & { clock: ReturnType<typeof fakeClock>; sessions: ReturnType<typeof memorySessions> } {
  return {
    connect: server.connect,
    auth: {
      authenticate: async (_mode, nick) => ({ ok: true, auth: { token: `token-${nick}`, user: { id: 1, nick, role: "user" }, expiresAt: "2099-01-01T00:00:00.000Z" } }),
      logout: async () => {},
    },
    sessions: memorySessions(),
    clock: fakeClock(),
    newId: sequentialIds(),
    ...extra,
  } as ClientPorts & { clock: ReturnType<typeof fakeClock>; sessions: ReturnType<typeof memorySessions> };
}
