// Room broadcasts as one pre-encoded WebSocket frame written straight to each member's TCP socket.
//
// Socket.IO's Adapter.broadcast (the in-memory one, and the Redis streams adapter's local
// delivery, which goes through it) encodes a packet once and computes its WebSocket frame once
// (`packetOpts.wsPreEncodedFrame`, ws's Sender.frame: [header, payload]), then calls
// `socket.client.writeToEngine(encoded, packetOpts)` for every member. From there each member
// still pays engine.io's per-socket packet path (a packet object, writeBuffer, four events,
// flush, a write callback that re-arms `transport.writable`) and ws's sendFrame (two writes).
// Here the frame is joined once per broadcast into one Buffer and written to each eligible
// member's TCP socket, corked until the end of the turn by the write coalescer (coalesce.ts).
//
// A socket is eligible only when nothing can be queued ahead of the frame and the frame is what
// ws would have written: engine.io socket open and not upgrading, its writeBuffer empty, its
// transport a writable websocket without permessage-deflate, the ws socket OPEN, ws's Sender
// idle (not deflating nor reading a blob, nothing queued), the TCP socket writable. Anything
// else (compressed sockets, polling, a send in flight, binary attachments: those never get a
// pre-encoded frame) goes through writeToEngine as before, so order per socket is kept.
//
// This touches internals of socket.io 4.8 (Client.writeToEngine, packetOpts.wsPreEncodedFrame),
// engine.io 6.6 (Socket.readyState/upgrading/writeBuffer, WebSocket transport writable/
// perMessageDeflate/socket) and ws 8 (WebSocket._sender, Sender._state/_queue/_bufferedBytes/
// _extensions/_socket). All of them are read here and nowhere else; `selfCheck` runs once and
// turns the fast path off (everything takes the normal path) when they look different.
import { createRequire } from "node:module";
import path from "node:path";
import type { Socket as NetSocket } from "node:net";
import type { Coalescer } from "./coalesce.js";

/** ws's WebSocket.OPEN. */
const WS_OPEN = 1;
/** ws 8's Sender._state when it is neither deflating nor reading a Blob (nothing ahead of a frame). */
const SENDER_IDLE = 0;

type FrameList = readonly (Buffer | string)[];
type PacketOpts = { wsPreEncodedFrame?: FrameList; volatile?: boolean };
type Sender = { _state?: number; _queue?: unknown[]; _bufferedBytes?: number; _extensions?: Record<string, unknown>; _socket?: NetSocket };
type WsSocket = { readyState?: number; _sender?: Sender | null };
type Transport = { name?: string; writable?: boolean; perMessageDeflate?: unknown; socket?: WsSocket };
export type EngineConn = { readyState?: string; upgrading?: boolean; writeBuffer?: unknown[]; transport?: Transport };
type WriteToEngine = (encoded: unknown, opts: PacketOpts) => void;
export type EngineClient = { conn: EngineConn; writeToEngine: WriteToEngine };

/**
 * The TCP socket to write a pre-encoded frame to, or null when this socket must take engine.io's
 * path (something may be queued ahead, the frame would be wrong for it, or it is not open).
 */
export function eligibleSocket(conn: EngineConn): NetSocket | null {
  if (conn.readyState !== "open" || conn.upgrading !== false || conn.writeBuffer?.length !== 0) return null;
  const t = conn.transport;
  if (t?.name !== "websocket" || t.writable !== true || t.perMessageDeflate) return null;
  const ws = t.socket;
  if (ws?.readyState !== WS_OPEN) return null;
  const s = ws._sender;
  if (!s || s._state !== SENDER_IDLE || s._queue?.length !== 0 || s._bufferedBytes !== 0) return null;
  if (!s._extensions || s._extensions["permessage-deflate"] !== undefined) return null;
  const raw = s._socket;
  if (!raw || raw.destroyed || !raw.writable) return null;
  return raw;
}

/** The frame as one Buffer, joined once per broadcast (every member gets the same list object). */
let lastList: FrameList | undefined;
let lastFrame: Buffer | null = null;
function joined(list: FrameList): Buffer | null {
  if (list === lastList) return lastFrame;
  lastList = list;
  lastFrame = list.every((b) => Buffer.isBuffer(b)) ? (list.length === 1 ? (list[0] as Buffer) : Buffer.concat(list as Buffer[])) : null;
  return lastFrame;
}

/**
 * Checks once that the internals this relies on have the shapes it was written against:
 * socket.io's Client.writeToEngine, engine.io's Socket and websocket transport, the adapter
 * computing a ws frame for a broadcast, that ws being engine.io's, and ws's Sender fields.
 * Returns null when they do, or what differs. The fields of live sockets are checked by
 * eligibleSocket on every delivery: any one missing or unexpected sends that one through
 * engine.io.
 */
let checked: string | null | undefined;
export function selfCheck(): string | null {
  if (checked === undefined) {
    try {
      checked = check();
    } catch (e) {
      checked = `the check threw: ${(e as Error).message}`;
    }
  }
  return checked;
}

function check(): string | null {
  const here = createRequire(import.meta.url);
  const sioDir = path.dirname(here.resolve("socket.io"));
  const fromSio = createRequire(path.join(sioDir, "index.js"));
  const fromEngine = createRequire(fromSio.resolve("engine.io"));
  const fromAdapter = createRequire(fromSio.resolve("socket.io-adapter"));
  const { Client } = fromSio(path.join(sioDir, "client.js")) as { Client?: { prototype: Record<string, unknown> } };
  if (typeof Client?.prototype["writeToEngine"] !== "function") return "socket.io's Client has no writeToEngine";
  const engine = fromSio("engine.io") as { Socket?: { prototype: Record<string, unknown> }; transports?: Record<string, { prototype: Record<string, unknown> }> };
  if (typeof engine.Socket?.prototype["flush"] !== "function" || typeof engine.Socket.prototype["sendPacket"] !== "function") return "engine.io's Socket has no flush/sendPacket";
  // The transport that writes pre-encoded frames with ws's sendFrame, the path this one short-cuts.
  if (typeof engine.transports?.["websocket"]?.prototype["_canSendPreEncodedFrame"] !== "function") return "engine.io's websocket transport does not send pre-encoded frames";
  const ws = fromEngine("ws") as { Sender?: { frame?: unknown; new (socket: unknown): Sender & { sendFrame?: unknown } } };
  if (fromAdapter("ws") !== ws) return "socket.io-adapter and engine.io load different copies of ws";
  const Sender = ws.Sender;
  if (typeof Sender?.frame !== "function") return "ws has no Sender.frame";
  const fake = {} as NetSocket;
  const sender = new Sender(fake);
  if (sender._state !== SENDER_IDLE || !Array.isArray(sender._queue) || sender._bufferedBytes !== 0 || sender._socket !== fake || typeof sender._extensions !== "object" || typeof sender.sendFrame !== "function") {
    return "ws's Sender fields differ (_state, _queue, _bufferedBytes, _extensions, _socket)";
  }
  // The adapter's own encoding of a broadcast: one string packet must come with its frame.
  const { Adapter } = fromAdapter("socket.io-adapter") as { Adapter: new (nsp: unknown) => { _encode?(packet: unknown, opts: PacketOpts): unknown[] } };
  const { Encoder } = fromSio("socket.io-parser") as { Encoder: new () => unknown };
  const adapter = new Adapter({ server: { encoder: new Encoder() }, name: "/" });
  const opts: PacketOpts = {};
  const encoded = adapter._encode?.({ type: 2, data: ["e", 1], nsp: "/" }, opts);
  const frame = opts.wsPreEncodedFrame ? joined(opts.wsPreEncodedFrame) : null;
  const payload = `4${String(encoded?.[0])}`;
  if (!frame || frame.length !== 2 + payload.length || frame[0] !== 0x81 || frame[1] !== payload.length || frame.subarray(2).toString() !== payload) {
    return "socket.io-adapter does not pre-encode a broadcast as one unmasked text frame";
  }
  return null;
}

export type FastPath = {
  /** Null when on; otherwise why it is off (the internals differ, or it was turned off). */
  off: string | null;
  /** Makes broadcasts to this client's sockets take the fast path when eligible (once per client). */
  attach(client: EngineClient): void;
  /** Deliveries written as a pre-encoded frame, and pre-encoded ones that took engine.io's path. */
  stats(): { fast: number; fallback: number };
};

export function broadcastFastPath(coalescer: Pick<Coalescer, "cork">, opts: { enabled?: boolean } = {}): FastPath {
  const off = opts.enabled === false ? "turned off (CHAT_BROADCAST_FASTPATH=0)" : selfCheck();
  let fast = 0;
  let fallback = 0;
  function writeToEngine(this: EngineClient, encoded: unknown, packetOpts: PacketOpts): void {
    const list = packetOpts.wsPreEncodedFrame;
    if (list !== undefined && (!Array.isArray(encoded) || encoded.length === 1)) {
      const raw = eligibleSocket(this.conn);
      const frame = raw ? joined(list) : null;
      if (raw && frame) {
        // Transport writable: engine.io would not drop a volatile packet either.
        coalescer.cork(raw);
        raw.write(frame);
        fast++;
        return;
      }
      fallback++;
    }
    (Object.getPrototypeOf(this) as EngineClient).writeToEngine.call(this, encoded, packetOpts);
  }
  return {
    off,
    attach(client) {
      // An own writeToEngine is this one (a second namespace of the client) or someone else's: leave it.
      if (off || Object.prototype.hasOwnProperty.call(client, "writeToEngine")) return;
      client.writeToEngine = writeToEngine;
    },
    stats: () => ({ fast, fallback }),
  };
}
