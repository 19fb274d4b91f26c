// Who is online: sockets per user; an update goes out on a user's first and last socket only.
// This in-memory version serves a single node; server/cluster/presence.ts counts across nodes.
import type { PresencePage, UserDto } from "../protocol/index.js";
import type { Notifier } from "./ports.js";

export interface PresenceService {
  /** Records a socket; tells everyone when it is the user's first (they came online). */
  connect(user: UserDto, socketId: string): Promise<void>;
  /** Forgets a socket; tells everyone when it was the user's last (they went offline). */
  disconnect(user: UserDto, socketId: string): Promise<void>;
  online(): Promise<UserDto[]>;
  onlineIds(): Promise<Set<number>>;
  /** How many users are online. */
  onlineCount(): Promise<number>;
  /**
   * Online users by nick after the cursor (a nick), at most `limit`. Exact while at most the
   * threshold are online; above it read from a list rebuilt at most once per tick (a storm of
   * n connects costs n pages, not n full sorts), which the batches that follow bring up to date.
   */
  onlinePage(after: string | undefined, limit: number): Promise<PresencePage>;
  /** Sockets this node holds for the user. */
  socketCount(userId: number): number;
  /**
   * Takes one of the user's `max` connections for a socket being admitted, atomically with the
   * check (across the cluster when there is one); false when all are taken. Each reservation
   * is given back with release(), whether the socket was set up or not.
   */
  reserve(userId: number, socketId: string, max: number): Promise<boolean>;
  /** Gives the socket's reservation back; nothing happens when it holds none. */
  release(userId: number, socketId: string): Promise<void>;
  /** Stops timers and forgets this node (cluster); no-op alone. */
  close(): Promise<void>;
}

/** Local bookkeeping shared by both implementations: which sockets this process holds. */
export function createLocalSockets() {
  const sockets = new Map<number, { user: UserDto; ids: Set<string> }>();
  return {
    /** Returns true for the user's first socket on this node. */
    add(user: UserDto, socketId: string): boolean {
      const entry = sockets.get(user.id);
      if (entry) {
        entry.ids.add(socketId);
        return false;
      }
      sockets.set(user.id, { user, ids: new Set([socketId]) });
      return true;
    },
    /** Returns true when it was the user's last socket on this node. */
    remove(userId: number, socketId: string): boolean {
      const entry = sockets.get(userId);
      if (!entry || !entry.ids.delete(socketId) || entry.ids.size > 0) return false;
      sockets.delete(userId);
      return true;
    },
    count: (userId: number) => sockets.get(userId)?.ids.size ?? 0,
    size: () => sockets.size,
    users: () => [...sockets.values()].map((e) => ({ user: e.user, count: e.ids.size })),
  };
}

/** Connections reserved per user on this node (the per-account cap counts these). */
export function createLocalReservations() {
  const held = new Map<number, Set<string>>();
  return {
    /** Reserves when the user holds fewer than `max` here; check and reserve are one step. */
    take(userId: number, socketId: string, max: number): boolean {
      const ids = held.get(userId) ?? new Set<string>();
      if (ids.size >= max) return false;
      ids.add(socketId);
      held.set(userId, ids);
      return true;
    },
    /** Returns whether the socket held a reservation. */
    give(userId: number, socketId: string): boolean {
      const ids = held.get(userId);
      if (!ids?.delete(socketId)) return false;
      if (ids.size === 0) held.delete(userId);
      return true;
    },
    counts: () => [...held].map(([userId, ids]) => ({ userId, count: ids.size })),
    ids: () => [...held.values()].flatMap((ids) => [...ids]),
  };
}

export const byNick = (a: UserDto, b: UserDto) => a.nick.localeCompare(b.nick);

/** How presence is told: the threshold above which only the count goes out, and the tick. */
export type PresenceOptions = { threshold?: number; tickMs?: number; summaryMs?: number };
/** summaryMs: above the threshold a count-only batch goes out at most this often. */
export const PRESENCE_DEFAULTS = { threshold: 200, tickMs: 100, summaryMs: 1000 };

/**
 * Tells who came online or went offline. Protocol 1 sockets get today's presence:update per
 * user at once; protocol 2 sockets get one presence:batch per tick with every change in it
 * (only the count above the threshold), so a storm of n connects costs each socket one frame
 * per tick instead of n.
 */
export function createPresenceAnnouncer(deps: { notifier: Notifier; count: () => Promise<number>; options?: PresenceOptions }) {
  const { threshold, tickMs, summaryMs } = { ...PRESENCE_DEFAULTS, ...deps.options };
  let pending = new Map<number, { user: UserDto; online: boolean }>();
  let timer: NodeJS.Timeout | null = null;
  let lastSummary = -Infinity;
  const flush = async (final = false) => {
    timer = null;
    const changes = [...pending.values()];
    if (!changes.length) return;
    const count = await deps.count().catch(() => -1);
    if (count < 0) return;
    const summary = count > threshold;
    // Count-only batches are spaced out: during a storm each socket gets one a summaryMs, not
    // one a tick (the frames then grow with the clients, not with the clients times the storm).
    const wait = lastSummary + summaryMs - Date.now();
    if (summary && wait > 0 && !final) {
      timer ??= setTimeout(() => void flush(), wait);
      return;
    }
    pending = new Map();
    if (summary) lastSummary = Date.now();
    deps.notifier.toPresence(2, "presence:batch", {
      online: summary ? [] : changes.filter((c) => c.online).map((c) => c.user),
      offline: summary ? [] : changes.filter((c) => !c.online).map((c) => c.user),
      count,
      summary,
    });
  };
  return {
    threshold,
    tickMs,
    announce(user: UserDto, online: boolean) {
      deps.notifier.toPresence(1, "presence:update", { user, online });
      // The last change in a tick wins: online then offline in one tick is sent as offline.
      pending.delete(user.id);
      pending.set(user.id, { user, online });
      if (!timer) timer = setTimeout(() => void flush(), tickMs);
    },
    /** Sends what is pending now (shutdown). */
    async flush() {
      if (timer) clearTimeout(timer);
      await flush(true);
    },
  };
}

/** Pages over a sorted online list: exact when small, rebuilt at most once per tick when large. */
export function createOnlinePager(deps: { load: () => Promise<UserDto[]>; count: () => Promise<number>; threshold: number; tickMs: number; alwaysStale?: boolean }) {
  let cached: UserDto[] | null = null;
  let builtAt = 0;
  let dirty = true;
  let building: Promise<UserDto[]> | null = null;
  const list = async (): Promise<UserDto[]> => {
    if (cached && ((!dirty && !deps.alwaysStale) || Date.now() - builtAt < deps.tickMs)) return cached;
    if (!building) {
      dirty = false;
      building = deps.load().then(
        (users) => {
          cached = users.sort(byNick);
          builtAt = Date.now();
          building = null;
          return cached;
        },
        (e: unknown) => {
          dirty = true;
          building = null;
          throw e;
        },
      );
    }
    return building;
  };
  return {
    changed() {
      dirty = true;
    },
    async page(after: string | undefined, limit: number) {
      const count = await deps.count();
      // Small: sorted fresh (at most the threshold), so a socket never misses someone.
      const users = count <= deps.threshold ? (await deps.load()).sort(byNick) : await list();
      let start = 0;
      if (after !== undefined) {
        let lo = 0;
        let hi = users.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (users[mid]!.nick.localeCompare(after) <= 0) lo = mid + 1;
          else hi = mid;
        }
        start = lo;
      }
      const slice = users.slice(start, start + limit);
      const next = start + limit < users.length && slice.length ? slice[slice.length - 1]!.nick : null;
      return { users: slice, count, next };
    },
  };
}

export function createPresenceService(deps: { notifier: Notifier; options?: PresenceOptions }): PresenceService & { flush(): Promise<void> } {
  const local = createLocalSockets();
  const reserved = createLocalReservations();
  const count = async () => local.size();
  const announcer = createPresenceAnnouncer({ notifier: deps.notifier, count, ...(deps.options ? { options: deps.options } : {}) });
  const pager = createOnlinePager({ load: async () => local.users().map((e) => e.user), count, threshold: announcer.threshold, tickMs: announcer.tickMs });
  return {
    async connect(user, socketId) {
      if (local.add(user, socketId)) {
        pager.changed();
        announcer.announce(user, true);
      }
    },
    async disconnect(user, socketId) {
      if (local.remove(user.id, socketId)) {
        pager.changed();
        announcer.announce(user, false);
      }
    },
    online: async () => local.users().map((e) => e.user).sort(byNick),
    onlineIds: async () => new Set(local.users().map((e) => e.user.id)),
    onlineCount: count,
    onlinePage: (after, limit) => pager.page(after, limit),
    flush: () => announcer.flush(),
    socketCount: (userId) => local.count(userId),
    reserve: async (userId, socketId, max) => reserved.take(userId, socketId, max),
    release: async (userId, socketId) => void reserved.give(userId, socketId),
    close: () => announcer.flush(),
  };
}
