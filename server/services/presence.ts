// Who is online: sockets per user; an update goes out on a user's first and last socket only.
import type { UserDto } from "../protocol/index.js";
import type { Notifier } from "./ports.js";

export interface PresenceService {
  /** Records a socket; returns true when it is the user's first (they came online). */
  connect(user: UserDto, socketId: string): boolean;
  /** Forgets a socket; returns true when it was the user's last (they went offline). */
  disconnect(user: UserDto, socketId: string): boolean;
  online(): UserDto[];
  isOnline(userId: number): boolean;
  /** Sockets this node holds for the user. */
  socketCount(userId: number): number;
}

export function createPresenceService(deps: { notifier: Notifier }): PresenceService {
  const sockets = new Map<number, { user: UserDto; ids: Set<string> }>();
  return {
    connect(user, socketId) {
      const entry = sockets.get(user.id);
      if (entry) {
        entry.ids.add(socketId);
        return false;
      }
      sockets.set(user.id, { user, ids: new Set([socketId]) });
      deps.notifier.toAll("presence:update", { user, online: true });
      return true;
    },
    disconnect(user, socketId) {
      const entry = sockets.get(user.id);
      if (!entry || !entry.ids.delete(socketId) || entry.ids.size > 0) return false;
      sockets.delete(user.id);
      deps.notifier.toAll("presence:update", { user, online: false });
      return true;
    },
    online: () => [...sockets.values()].map((e) => e.user).sort((a, b) => a.nick.localeCompare(b.nick)),
    isOnline: (userId) => sockets.has(userId),
    socketCount: (userId) => sockets.get(userId)?.ids.size ?? 0,
  };
}
