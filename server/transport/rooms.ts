// Room lookups for broadcasts: exclusions checked in place, and which protocol versions a room holds.
//
// Socket.IO's in-memory Adapter (and the Redis streams adapter's local delivery, which extends
// it) turns the `except` rooms of every broadcast into a new Set of their socket ids before it
// walks the target room (`computeExceptSids`). Every new message is broadcast twice, once per
// wire version, each excluding the other version's room (`wire:v1` / `wire:v2`), which holds
// every socket of that version on the node: so each message copied the ids of all the node's
// sockets of one version, whatever the size of the room it went to. Here the exclusion is a
// lookup instead: a member is excluded when one of the `except` rooms has it, read when the
// adapter asks (`apply` only ever calls `has`).
//
// This touches socket.io-adapter 2.5's Adapter (`rooms`, `apply`, `computeExceptSids`), read here
// and nowhere else; `adapterCheck` runs once and leaves the adapter alone when they look different.
import { createRequire } from "node:module";
import path from "node:path";

type Rooms = Map<string, Set<string>>;
/** The part of socket.io-adapter's Adapter this reads and replaces. */
export type LocalAdapter = { rooms: Rooms; computeExceptSids?: (exceptRooms?: Set<string>) => { has(id: string): boolean } };

const NONE = { has: (_id: string) => false };

/** Members of any of `except` (a room name or a socket id, which is its own room), looked up on demand. */
class ExceptRooms {
  constructor(private readonly rooms: Rooms, private readonly except: Set<string>) {}
  has(id: string): boolean {
    for (const room of this.except) if (this.rooms.get(room)?.has(id)) return true;
    return false;
  }
}

let checked: string | null | undefined;
/** Null when socket.io-adapter's Adapter has the shape this was written against, otherwise what differs. */
export function adapterCheck(): string | null {
  if (checked === undefined) {
    try {
      const here = createRequire(import.meta.url);
      const fromSio = createRequire(path.join(path.dirname(here.resolve("socket.io")), "index.js"));
      const { Adapter } = fromSio("socket.io-adapter") as { Adapter: { prototype: Record<string, unknown> } };
      const compute = Adapter.prototype["computeExceptSids"];
      const apply = Adapter.prototype["apply"];
      checked = typeof compute !== "function" || typeof apply !== "function"
        ? "socket.io-adapter's Adapter has no computeExceptSids/apply"
        // apply must use what computeExceptSids returns only through has().
        : !/const except = this\.computeExceptSids\(opts\.except\)/.test(String(apply)) || /except\.(?!has\()/.test(String(apply))
          ? "socket.io-adapter's Adapter.apply uses its exclusions in another way"
          : null;
    } catch (e) {
      checked = `the check threw: ${(e as Error).message}`;
    }
  }
  return checked;
}

/** Makes `adapter` look exclusions up instead of copying them per broadcast. Returns whether it did. */
export function lookupExclusions(adapter: LocalAdapter): boolean {
  if (adapterCheck() !== null || typeof adapter.computeExceptSids !== "function" || !(adapter.rooms instanceof Map)) return false;
  adapter.computeExceptSids = function (this: LocalAdapter, exceptRooms?: Set<string>) {
    return exceptRooms && exceptRooms.size > 0 ? new ExceptRooms(this.rooms, exceptRooms) : NONE;
  };
  return true;
}

/**
 * Whether `room` has a member in `versionRoom` other than `exceptId` (walks the smaller of the
 * two rooms and stops at the first one found).
 */
export function roomHasMemberOf(rooms: Rooms, room: string, versionRoom: string, exceptId?: string): boolean {
  const members = rooms.get(room);
  const version = rooms.get(versionRoom);
  if (!members || !version) return false;
  const [small, big] = members.size <= version.size ? [members, version] : [version, members];
  for (const id of small) if (id !== exceptId && big.has(id)) return true;
  return false;
}
