// Who is online: sockets per user; an update goes out on a user's first and last socket only.
// This in-memory version serves a single node; server/cluster/presence.ts counts across nodes.
import type { UserDto } from "../protocol/index.js";
import type { Notifier } from "./ports.js";

export interface PresenceService {
  /** Records a socket; tells everyone when it is the user's first (they came online). */
  connect(user: UserDto, socketId: string): Promise<void>;
  /** Forgets a socket; tells everyone when it was the user's last (they went offline). */
  disconnect(user: UserDto, socketId: string): Promise<void>;
  online(): Promise<UserDto[]>;
  onlineIds(): Promise<Set<number>>;
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

export function createPresenceService(deps: { notifier: Notifier }): PresenceService {
  const local = createLocalSockets();
  const reserved = createLocalReservations();
  return {
    async connect(user, socketId) {
      if (local.add(user, socketId)) deps.notifier.toAll("presence:update", { user, online: true });
    },
    async disconnect(user, socketId) {
      if (local.remove(user.id, socketId)) deps.notifier.toAll("presence:update", { user, online: false });
    },
    online: async () => local.users().map((e) => e.user).sort(byNick),
    onlineIds: async () => new Set(local.users().map((e) => e.user.id)),
    socketCount: (userId) => local.count(userId),
    reserve: async (userId, socketId, max) => reserved.take(userId, socketId, max),
    release: async (userId, socketId) => void reserved.give(userId, socketId),
    close: async () => {},
  };
}
