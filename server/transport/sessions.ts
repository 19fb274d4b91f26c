// Live sessions held to the database: every node re-reads the sessions of its own sockets
// (revocation, expiry, ban, role) on a short period and before any request on a session not
// read recently, so a kick, ban, logout, expiry or role change reaches every socket within a
// bound even when the adapter's broadcast never arrives (a node cut off from Redis).
import type { Socket } from "socket.io";
import { safeError, type Logger } from "../log.js";
import type { ClientToServerEvents, ErrorBody, InterServerEvents, ServerToClientEvents, SessionEnded } from "../protocol/index.js";
import type { AccountService, SessionVerdict } from "../services/accounts.js";
import { createCoalescer } from "../services/coalesce.js";
import type { ChatServer, SocketData } from "./io.js";

type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface SessionGuard {
  /**
   * Reads the socket's session afresh (a read issued now, never one already under way); ends
   * the socket and returns false when the session is over.
   */
  recheck(socket: ChatSocket): Promise<boolean>;
  /** Before a request: null when the session was found good recently, else the refusal. */
  admit(socket: ChatSocket): Promise<ErrorBody | null>;
  /** Stops the periodic sweep. */
  close(): void;
}

/** Sessions read per query by the sweep. */
const BATCH = 500;
/**
 * However still the session epoch stays, every session is read again this often: a backstop
 * for a change the triggers cannot see (the epoch row itself rewritten by hand, say).
 */
const FULL_SWEEP_MS = 60_000;

export const sessionRoom = (sessionId: number) => `session:${sessionId}`;

export function createSessionGuard(deps: {
  io: ChatServer;
  accounts: AccountService;
  intervalMs: number;
  log: Logger;
  /**
   * Whether kicks, bans and logouts made on other nodes reach this one at once (the cluster's
   * adapter is connected). While they cannot, every request reads its session first.
   */
  broadcastUp?: () => boolean;
}): SessionGuard {
  const { io, accounts, log } = deps;
  // A request may be served on a read issued at most this long ago: with the sweep's period,
  // that is what bounds how long an ended session can still act.
  const maxAgeMs = Math.round(deps.intervalMs * 1.5);
  /** When the last read that found the session good was issued (ms). */
  const verifiedAt = new Map<number, number>();
  /** When each session found good expires (ms): the epoch does not move when time passes. */
  const expiresAt = new Map<number, number>();
  /** A per-session read under way (and when it was issued), that requests coalesce on. */
  const reading = new Map<number, { issued: number; done: Promise<void> }>();
  let sweeping = false;
  let failing = false;
  /** The epoch the last full sweep read before it read the sessions, and when it read it. */
  let epoch: bigint | null = null;
  let epochReadAt = 0;
  let lastFull = 0;
  /** When the last epoch read found it unchanged (issued); 0 until one has. */
  let quietAt = 0;
  /** The earliest expiry among the sessions found good: the quiet sweeps look at none before it. */
  let nextExpiry = Infinity;

  const localSockets = (): ChatSocket[] => [...io.of("/").sockets.values()] as ChatSocket[];

  function end(socket: ChatSocket, ended: SessionEnded) {
    if (socket.disconnected) return;
    socket.emit("session:ended", ended);
    socket.disconnect(true);
  }

  function apply(socket: ChatSocket, verdict: SessionVerdict) {
    if (!verdict.ok) return end(socket, verdict.ended);
    const before = socket.data.user;
    if (before.role === verdict.user.role && before.nick === verdict.user.nick) return;
    // Handlers read socket.data.user on every request: the new role counts from the next one.
    socket.data.user = verdict.user;
    if (before.role !== verdict.user.role) socket.emit("notice", { level: "info", text: `Your role is now ${verdict.user.role}.` });
  }

  /** The local sockets of one session (its room), without walking every socket. */
  function socketsOf(sessionId: number): ChatSocket[] {
    const ns = io.of("/");
    const ids = ns.adapter.rooms.get(sessionRoom(sessionId));
    if (!ids) return [];
    const out: ChatSocket[] = [];
    for (const sid of ids) {
      const s = ns.sockets.get(sid);
      if (s) out.push(s as ChatSocket);
    }
    return out;
  }

  /** Reads the sessions and applies the verdicts to every local socket that holds one of them. */
  async function read(sessionIds: number[]): Promise<Map<number, SessionVerdict>> {
    const issued = Date.now();
    const verdicts = await accounts.checkSessions(sessionIds);
    for (const [id, v] of verdicts) {
      if (v.ok) {
        verifiedAt.set(id, Math.max(issued, verifiedAt.get(id) ?? 0));
        expiresAt.set(id, v.expiresAt.getTime());
        nextExpiry = Math.min(nextExpiry, v.expiresAt.getTime());
      } else {
        verifiedAt.delete(id);
        expiresAt.delete(id);
      }
      for (const socket of socketsOf(id)) if (socket.data.user && socket.data.sessionId === id) apply(socket, v);
    }
    return verdicts;
  }

  /**
   * Until when a session is known to be good: its own last read; or, when that read came after
   * the epoch the last full sweep read, the last epoch check that found nothing changed (no write
   * that ends or changes a session happened in between), as long as it had not expired by then.
   */
  function goodAt(id: number): number {
    const v = verifiedAt.get(id);
    if (v === undefined) return 0;
    if (v >= epochReadAt && quietAt > v && (expiresAt.get(id) ?? 0) > quietAt) return quietAt;
    return v;
  }

  /** Every held session, read again: after the epoch moved, and once a minute whatever. */
  async function fullSweep() {
    const held = new Set<number>();
    for (const s of localSockets()) if (s.data.user) held.add(s.data.sessionId);
    for (const id of verifiedAt.keys()) if (!held.has(id)) verifiedAt.delete(id);
    for (const id of expiresAt.keys()) if (!held.has(id)) expiresAt.delete(id);
    nextExpiry = Infinity;
    for (const exp of expiresAt.values()) nextExpiry = Math.min(nextExpiry, exp);
    const ids = [...held];
    for (let i = 0; i < ids.length; i += BATCH) await read(ids.slice(i, i + BATCH));
  }

  /** The sessions whose time ran out since they were found good, read (and so closed). */
  async function readExpired(now: number) {
    const expired: number[] = [];
    for (const [id, exp] of expiresAt) {
      if (exp > now) continue;
      if (socketsOf(id).length > 0) expired.push(id);
      else {
        verifiedAt.delete(id);
        expiresAt.delete(id);
      }
    }
    for (let i = 0; i < expired.length; i += BATCH) await read(expired.slice(i, i + BATCH));
    // Only once they were read (a failed read leaves nextExpiry due, so the next sweep tries
    // again), and over what is held now (reads made meanwhile added sessions).
    let next = Infinity;
    for (const exp of expiresAt.values()) next = Math.min(next, exp);
    nextExpiry = next;
  }

  async function sweep() {
    if (sweeping) return;
    sweeping = true;
    try {
      const issued = Date.now();
      const now = await accounts.sessionEpoch();
      if (now !== epoch || issued - lastFull >= FULL_SWEEP_MS) {
        // The epoch is read before the sessions: a change made while they are read moves it
        // past `now`, and the next sweep reads them all again.
        epochReadAt = issued;
        quietAt = 0;
        await fullSweep();
        epoch = now;
        lastFull = issued;
        quietAt = issued;
      } else {
        // Nothing that ends or changes a session was written since the epoch was read before
        // the last full sweep: every session found good since then is still good now (goodAt),
        // unless its time ran out. O(1) while nothing expires; no session is read.
        quietAt = issued;
        if (issued >= nextExpiry) await readExpired(issued);
      }
      if (failing) log.info("session checks work again");
      failing = false;
    } catch (e) {
      // Requests then re-read their session themselves, and fail while the database is down.
      if (!failing) log.warn({ err: safeError(e) }, "re-checking live sessions failed");
      failing = true;
    } finally {
      sweeping = false;
    }
  }

  /**
   * Rechecks coalesce: the sessions asked for while a read is under way are read together (one
   * query) when it is done, each still by a read issued after it was asked for. A join storm
   * then costs a few reads, not one per socket.
   */
  const readSoon = createCoalescer(read, { max: BATCH });

  const timer = setInterval(() => void sweep(), deps.intervalMs);
  timer.unref();

  const unavailable: ErrorBody = { code: "UNAVAILABLE", message: "The server cannot check your session right now; nothing was done. Try again shortly." };
  const ended: ErrorBody = { code: "SESSION_INVALID", message: "This session has ended; log in again." };

  return {
    async recheck(socket) {
      const v = await readSoon(socket.data.sessionId);
      return Boolean(v?.ok) && !socket.disconnected;
    },
    async admit(socket) {
      if (socket.disconnected) return ended;
      const id = socket.data.sessionId;
      const arrived = Date.now();
      // Cut off from the other nodes, only a read issued after the request arrived will do.
      const need = (deps.broadcastUp?.() ?? true) ? arrived - maxAgeMs : arrived;
      if (goodAt(id) >= need && (expiresAt.get(id) ?? 0) > arrived) return null;
      let pending = reading.get(id);
      if (!pending || pending.issued < need) {
        const entry = { issued: Date.now(), done: Promise.resolve() };
        entry.done = read([id]).then(() => undefined).finally(() => reading.get(id) === entry && reading.delete(id));
        reading.set(id, entry);
        pending = entry;
      }
      try {
        await pending.done;
      } catch (e) {
        log.warn({ err: safeError(e), session: id }, "session check failed");
        return unavailable;
      }
      return socket.disconnected || goodAt(id) < need ? ended : null;
    },
    close: () => clearInterval(timer),
  };
}
