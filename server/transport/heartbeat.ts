// The heartbeat of every socket on one timer: a timer wheel that pings the sockets due in each
// slot and closes those whose pong is overdue, instead of engine.io's two timers per socket (a
// ping Timeout re-armed every interval and a new pong-timeout Timeout after every ping).
//
// engine.io 6.6's Socket (build/socket.js) arms its heartbeat in its constructor (onOpen ->
// schedulePing, the only timer it arms for protocol 4) and drives it from onPacket: a pong
// clears `pingTimeoutTimer` and calls `pingIntervalTimer.refresh()`; the first other packet
// while a pong is awaited calls `pingTimeoutTimer.refresh()` (then sets
// `hasRefreshedPingTimeout`). At engine.io's "connection" event the wheel clears the
// constructor's Timeout and puts its own entry for the socket (a Beat) in `pingIntervalTimer`,
// and in `pingTimeoutTimer` while a pong is awaited, so those same calls land in Beat.refresh:
// on a pong the next ping is due an interval later, on another packet the pong deadline moves a
// timeout later (once), exactly engine.io's schedule. A missed deadline closes the socket with
// engine.io's own onClose("ping timeout"). engine.io's onClose calls clearTimeout on both
// fields, which is a no-op for a Beat; the Beat leaves the wheel on the socket's "close".
//
// The ping itself is one frame encoded once (engine.io-parser's "2" in ws's unmasked text
// frame) written straight to the TCP socket when nothing can be queued ahead of it (the same
// eligibility as the broadcast fast path); otherwise engine.io's sendPacket("ping") as before.
//
// `selfCheck` compares, once, the source of the engine.io methods this stands in for with the
// text it was written against; if they differ (another engine.io) the wheel stays off and
// engine.io's own heartbeat runs, with the reason in `off` (chat-server logs it).
import { createRequire } from "node:module";
import path from "node:path";
import { clearTimeout as clearTimer } from "node:timers";
import { eligibleSocket, type EngineConn } from "./fastpath.js";

/** The part of an engine.io Socket the wheel uses (all of it checked by selfCheck). */
export type HeartbeatConn = EngineConn & {
  protocol?: number;
  pingIntervalTimer: unknown;
  pingTimeoutTimer: unknown;
  hasRefreshedPingTimeout?: boolean;
  sendPacket(type: "ping"): void;
  onClose(reason: string): void;
  on(event: "close", listener: (this: HeartbeatConn) => void): unknown;
};
type Engine = { on(event: "connection", listener: (conn: HeartbeatConn) => void): unknown };

export type HeartbeatWheel = {
  /** Null when the wheel runs the heartbeat; otherwise why engine.io's own does. */
  off: string | null;
  /** Sockets on the wheel. */
  size(): number;
  /** Whether the wheel's timer is armed (only while it has sockets). */
  running(): boolean;
  /** The slot width: pings and deadlines run at most this much (plus the event loop's delay) late. */
  slotMs: number;
  /** Pings written as the shared frame, pings through engine.io's sendPacket, sockets closed for a missed pong. */
  stats(): { pings: number; fallbackPings: number; timeouts: number };
};

/** The methods of engine.io 6.6.12's Socket the wheel stands in for, whitespace removed (comments kept). */
const EXPECTED: Record<string, string> = {
  onOpen: "onOpen(){this.readyState=\"open\";//sendsan`open`packetthis.transport.sid=this.id;this.sendPacket(\"open\",JSON.stringify({sid:this.id,upgrades:this.getAvailableUpgrades(),pingInterval:this.server.opts.pingInterval,pingTimeout:this.server.opts.pingTimeout,maxPayload:this.server.opts.maxHttpBufferSize,}));if(this.server.opts.initialPacket){this.sendPacket(\"message\",this.server.opts.initialPacket);}this.emit(\"open\");if(this.protocol===3){//inprotocolv3,theclientsendsaping,andtheserveranswerswithapongthis.resetPingTimeout();}else{//inprotocolv4,theserversendsaping,andtheclientanswerswithapongthis.schedulePing();}}",
  schedulePing: "schedulePing(){this.pingIntervalTimer=(0,timers_1.setTimeout)(()=>{debug(\"writingpingpacket-expectingpongwithin%sms\",this.server.opts.pingTimeout);this.hasRefreshedPingTimeout=false;this.sendPacket(\"ping\");this.resetPingTimeout();},this.server.opts.pingInterval);}",
  resetPingTimeout: "resetPingTimeout(){(0,timers_1.clearTimeout)(this.pingTimeoutTimer);this.pingTimeoutTimer=(0,timers_1.setTimeout)(()=>{if(this.readyState===\"closed\")return;this.onClose(\"pingtimeout\");},this.protocol===3?this.server.opts.pingInterval+this.server.opts.pingTimeout:this.server.opts.pingTimeout);}",
  onPacket: "onPacket(packet){var_a,_b;if(\"open\"!==this.readyState){returndebug(\"packetreceivedwithclosedsocket\");}//exportpacketeventdebug(`receivedpacket${packet.type}`);this.emit(\"packet\",packet);if(this.protocol!==3&&this.pingTimeoutTimer!==null&&!this.hasRefreshedPingTimeout&&packet.type!==\"pong\"){debug(\"gotpacketwhilewaitingforpong-refreshingpingtimeout\");this.pingTimeoutTimer.refresh();this.hasRefreshedPingTimeout=true;}switch(packet.type){case\"ping\":if(this.protocol!==3){this.onError(newError(\"invalidheartbeatdirection\"));return;}debug(\"gotping\");(_a=this.pingTimeoutTimer)===null||_a===void0?void0:_a.refresh();this.sendPacket(\"pong\");this.emit(\"heartbeat\");break;case\"pong\":if(this.protocol===3){this.onError(newError(\"invalidheartbeatdirection\"));return;}debug(\"gotpong\");(0,timers_1.clearTimeout)(this.pingTimeoutTimer);this.pingTimeoutTimer=null;(_b=this.pingIntervalTimer)===null||_b===void0?void0:_b.refresh();this.emit(\"heartbeat\");break;case\"error\":this.onClose(\"parseerror\");break;case\"message\":this.emit(\"data\",packet.data);this.emit(\"message\",packet.data);break;}}",
  onClose: "onClose(reason,description){if(\"closed\"!==this.readyState){this.readyState=\"closed\";//cleartimers(0,timers_1.clearTimeout)(this.pingIntervalTimer);(0,timers_1.clearTimeout)(this.pingTimeoutTimer);//cleanwriteBufferinnexttick,sodeveloperscanstill//grabthewriteBufferon'close'eventprocess.nextTick(()=>{this.writeBuffer=[];});this.packetsFn=[];this.sentCallbackFn=[];this.clearTransport();this.emit(\"close\",reason,description);}}",
};

const squeeze = (source: string) => source.replace(/\s+/g, "");

/**
 * Whether an engine.io Socket prototype has the heartbeat methods this was written against
 * (null) or what differs. Exported for its test; `selfCheck` runs it on the installed engine.io.
 */
export function checkSocketPrototype(proto: Record<string, unknown>): string | null {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    const fn = proto[name];
    if (typeof fn !== "function") return `engine.io's Socket has no ${name}`;
    if (squeeze(Function.prototype.toString.call(fn)) !== expected) return `engine.io's Socket.${name} is not the one the heartbeat wheel was written for`;
  }
  return null;
}

let checked: { off: string | null; frame: Buffer | null } | undefined;
/** Checks the installed engine.io (as socket.io loads it) once, and encodes the ping frame once. */
export function selfCheck(): { off: string | null; frame: Buffer | null } {
  if (checked === undefined) {
    try {
      checked = check();
    } catch (e) {
      checked = { off: `the check threw: ${(e as Error).message}`, frame: null };
    }
  }
  return checked;
}

function check(): { off: string | null; frame: Buffer | null } {
  const here = createRequire(import.meta.url);
  const fromSio = createRequire(path.join(path.dirname(here.resolve("socket.io")), "index.js"));
  const fromEngine = createRequire(fromSio.resolve("engine.io"));
  const engine = fromSio("engine.io") as { Socket?: { prototype: Record<string, unknown> } };
  if (!engine.Socket) return { off: "engine.io exports no Socket", frame: null };
  const differs = checkSocketPrototype(engine.Socket.prototype);
  if (differs) return { off: differs, frame: null };
  // clearTimeout, which engine.io calls on both fields, must leave a non-Timeout alone.
  const probe = { refresh() {} };
  clearTimer(probe as never);
  if (Object.keys(probe).length !== 1) return { off: "clearTimeout touches objects that are not Timeouts", frame: null };
  // The ping as engine.io would write it: engine.io-parser's packet in ws's server frame.
  const parser = fromEngine("engine.io-parser") as { encodePacket(p: { type: string }, binary: boolean, cb: (s: unknown) => void): void };
  let encoded: unknown;
  parser.encodePacket({ type: "ping" }, true, (s) => (encoded = s));
  if (typeof encoded !== "string") return { off: "engine.io-parser does not encode a ping as a string", frame: null };
  const ws = fromEngine("ws") as { Sender?: { frame?(data: Buffer, o: object): Buffer[] } };
  const list = ws.Sender?.frame?.(Buffer.from(encoded), { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false });
  if (!Array.isArray(list) || !list.every((b) => Buffer.isBuffer(b))) return { off: "ws's Sender.frame does not give Buffers", frame: null };
  const frame = Buffer.concat(list);
  if (frame.length !== 2 + encoded.length || frame[0] !== 0x81 || frame[1] !== encoded.length) return { off: "ws does not frame a ping as one unmasked text frame", frame: null };
  return { off: null, frame };
}

/** A socket's place on the wheel; also what engine.io's heartbeat fields hold (see the header). */
class Beat {
  prev: Beat | null = null;
  next: Beat | null = null;
  /** The wheel tick this is due at. */
  tick = 0;
  /** A ping was sent and its pong has not come (the tick is the deadline). */
  awaiting = false;
  constructor(
    readonly conn: HeartbeatConn | null,
    readonly wheel: Wheel | null,
  ) {}
  /** engine.io calls this on a pong (pingIntervalTimer) and on another packet while a pong is awaited (pingTimeoutTimer). */
  refresh(): this {
    this.wheel?.refreshed(this);
    return this;
  }
}

/** A slot's list head: an empty circular list points at itself. */
function head(): Beat {
  const h = new Beat(null, null);
  h.prev = h.next = h;
  return h;
}
function unlink(b: Beat): void {
  if (!b.next) return;
  b.prev!.next = b.next;
  b.next.prev = b.prev;
  b.prev = b.next = null;
}
function append(list: Beat, b: Beat): void {
  b.prev = list.prev;
  b.next = list;
  list.prev!.next = b;
  list.prev = b;
}

function onConnClose(this: HeartbeatConn): void {
  const b = this.pingIntervalTimer;
  if (b instanceof Beat) b.wheel?.remove(b);
}

class Wheel {
  readonly slots: Beat[];
  /** The last tick run: nothing is ever scheduled at or before it. */
  cursor: number;
  count = 0;
  timer: NodeJS.Timeout | null = null;
  pings = 0;
  fallbackPings = 0;
  timeouts = 0;
  private readonly due = head();
  constructor(
    readonly intervalMs: number,
    readonly timeoutMs: number,
    readonly slotMs: number,
    readonly frame: Buffer,
  ) {
    this.slots = Array.from({ length: Math.ceil(Math.max(intervalMs, timeoutMs) / slotMs) + 2 }, head);
    this.cursor = Math.floor(performance.now() / slotMs);
  }

  add(conn: HeartbeatConn): void {
    clearTimer(conn.pingIntervalTimer as NodeJS.Timeout);
    const b = new Beat(conn, this);
    conn.pingIntervalTimer = b;
    conn.on("close", onConnClose);
    if (this.count++ === 0) this.start();
    this.schedule(b, performance.now() + this.intervalMs);
  }

  remove(b: Beat): void {
    if (!b.next) return;
    unlink(b);
    if (--this.count === 0) this.stop();
  }

  schedule(b: Beat, at: number): void {
    const tick = Math.max(Math.ceil(at / this.slotMs), this.cursor + 1);
    unlink(b);
    b.tick = tick;
    append(this.slots[tick % this.slots.length]!, b);
  }

  refreshed(b: Beat): void {
    const conn = b.conn!;
    if (!b.next || conn.readyState === "closed") return;
    if (b.awaiting && conn.pingTimeoutTimer === b) {
      // Another packet while the pong is awaited: engine.io gives it one more timeout.
      this.schedule(b, performance.now() + this.timeoutMs);
      return;
    }
    // A pong (engine.io has cleared pingTimeoutTimer): the next ping is an interval away.
    b.awaiting = false;
    this.schedule(b, performance.now() + this.intervalMs);
  }

  private start(): void {
    this.cursor = Math.max(this.cursor, Math.floor(performance.now() / this.slotMs));
    this.timer = setInterval(() => this.run(), this.slotMs);
    // The sockets keep the process alive, never this timer.
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Runs every slot from the last tick run to now (all of them once at most, after a long stall). */
  private run(): void {
    const now = performance.now();
    const target = Math.floor(now / this.slotMs);
    const last = Math.min(target, this.cursor + this.slots.length);
    const due = this.due;
    while (this.cursor < last) {
      this.cursor++;
      const slot = this.slots[this.cursor % this.slots.length]!;
      if (slot.next === slot) continue;
      // The slot's whole list moves to `due`, so what a visit schedules (or a close removes) never disturbs the walk.
      due.next = slot.next;
      due.prev = slot.prev;
      due.next!.prev = due;
      due.prev!.next = due;
      slot.next = slot.prev = slot;
      while (due.next !== due) {
        const b = due.next!;
        if (b.tick > target) this.schedule(b, b.tick * this.slotMs);
        else this.visit(b, now);
      }
    }
    this.cursor = Math.max(this.cursor, target);
  }

  private visit(b: Beat, now: number): void {
    const conn = b.conn!;
    if (conn.readyState === "closed") {
      this.remove(b);
      return;
    }
    if (b.awaiting) {
      // No pong by the deadline: what engine.io's pong-timeout Timeout does.
      this.timeouts++;
      this.remove(b);
      conn.onClose("ping timeout");
      return;
    }
    // What engine.io's ping Timeout does, then its resetPingTimeout: a pong is awaited.
    conn.hasRefreshedPingTimeout = false;
    b.awaiting = true;
    conn.pingTimeoutTimer = b;
    this.schedule(b, now + this.timeoutMs);
    const raw = eligibleSocket(conn);
    if (raw) {
      raw.write(this.frame);
      this.pings++;
    } else {
      conn.sendPacket("ping");
      this.fallbackPings++;
    }
  }
}

/**
 * The slot width for an interval and timeout: a fortieth of the shorter, at most 100 ms. A ping
 * or a deadline runs at most one slot late (never early), so a dead peer is closed within
 * interval + timeout + two slots (60.2 s at the defaults) plus the event loop's delay, which
 * engine.io's own timers have too; an empty slot costs a timer callback that returns at once.
 */
export const slotWidth = (intervalMs: number, timeoutMs: number) => Math.max(1, Math.min(100, Math.floor(Math.min(intervalMs, timeoutMs) / 40)));

/**
 * Runs the heartbeat of every protocol 4 socket of `engine` on one timer (see the header).
 * `enabled: false` (CHAT_HEARTBEAT_WHEEL=0) or an engine.io that differs from the one this was
 * written for leaves engine.io's own heartbeat in place.
 */
export function heartbeatWheel(engine: Engine, opts: { intervalMs: number; timeoutMs: number; enabled?: boolean }): HeartbeatWheel {
  const slotMs = slotWidth(opts.intervalMs, opts.timeoutMs);
  const { off: differs, frame } = opts.enabled === false ? { off: "turned off (CHAT_HEARTBEAT_WHEEL=0)", frame: null } : selfCheck();
  const off = differs ?? (frame ? null : "no ping frame");
  const wheel = off === null && frame ? new Wheel(opts.intervalMs, opts.timeoutMs, slotMs, frame) : null;
  if (wheel) {
    engine.on("connection", (conn) => {
      // Protocol 3 (engine.io 3 clients, not accepted unless allowEIO3) keeps engine.io's heartbeat.
      if (conn.protocol === 3 || conn.readyState !== "open" || conn.pingTimeoutTimer !== null) return;
      wheel.add(conn);
    });
  }
  return {
    off,
    slotMs,
    size: () => wheel?.count ?? 0,
    running: () => wheel?.timer != null,
    stats: () => ({ pings: wheel?.pings ?? 0, fallbackPings: wheel?.fallbackPings ?? 0, timeouts: wheel?.timeouts ?? 0 }),
  };
}
