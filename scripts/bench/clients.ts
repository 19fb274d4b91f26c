// Lightweight load-generating clients with byte counters: socket.io over a raw `ws` WebSocket
// (engine.io v4 framing done by hand, so thousands fit in one process), a plain `ws` client
// for the Node floor server, a raw TCP IRC client, and raw TCP WebSocket receivers (RawWsReceiver)
// for chat-server and the floor that scan the byte stream for stamps the way the IRC one does.
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";
import WebSocket from "ws";

const STAMP = Buffer.from("~T");

/** Calls `fn` with the send time of every stamped message in the chunk (see stampedText); the chunk must hold whole stamps only (see stampCut). */
export function eachStamp(buf: Buffer, fn: (sentAt: number) => void): void {
  let i = buf.indexOf(STAMP);
  while (i !== -1) {
    const end = buf.indexOf(126 /* ~ */, i + 2);
    if (end === -1) return;
    fn(Number(buf.toString("latin1", i + 2, end)));
    i = buf.indexOf(STAMP, end + 1);
  }
}

/** The longest a stamp (`~T<ms>.<µs>~`) can be; a `~T` with no closing `~` within it is not one. */
const STAMP_MAX = 40;

/**
 * Where `buf` must be cut so that every stamp before the cut is whole: at the start of a last
 * stamp still missing its closing `~`, before a last byte `~` (the next chunk may start with
 * `T`), else the end. The bytes from the cut on go in front of the next chunk.
 */
export function stampCut(buf: Buffer): number {
  const i = buf.lastIndexOf(STAMP);
  const close = i === -1 ? -1 : buf.indexOf(126 /* ~ */, i + 2);
  if (i !== -1 && close === -1 && buf.length - i < STAMP_MAX) return i;
  // A last `~` that closes the last stamp is the stamp's own, not the start of another.
  return buf.length > 0 && buf[buf.length - 1] === 126 && close !== buf.length - 1 ? buf.length - 1 : buf.length;
}

export interface BenchClient {
  /** Every inbound message (a socket.io event frame, a ws message, an IRC chunk). */
  onData: ((buf: Buffer) => void) | null;
  bytesRead(): number;
  bytesWritten(): number;
  /** TCP reads (data events) so far, where the client counts them (the raw receivers). */
  reads?(): number;
  close(): void;
}

type Ack = (result: { ok: boolean; data?: unknown; error?: { code: string; message: string } }) => void;

/** A socket.io client: handshake with a token, waits for session:ready, answers pings, emits with acks. */
export class SioClient implements BenchClient {
  onData: ((buf: Buffer) => void) | null = null;
  private acks = new Map<number, Ack>();
  private nextAck = 1;
  private constructor(readonly ws: WebSocket) {}

  /** `compress`: ask for a compressed socket (compress=1, permessage-deflate both ways). */
  static connect(baseUrl: string, token: string, opts: { localAddress?: string; timeoutMs?: number; auth?: Record<string, unknown>; compress?: boolean } = {}): Promise<SioClient> {
    const url = `${baseUrl.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket${opts.compress ? "&compress=1" : ""}`;
    const ws = new WebSocket(url, { perMessageDeflate: opts.compress ? { threshold: 32 } : false, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    const client = new SioClient(ws);
    return new Promise((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => fail(new Error("no session:ready in time")), opts.timeoutMs ?? 60_000);
      const fail = (e: Error) => {
        clearTimeout(timer);
        ws.terminate();
        reject(e);
      };
      ws.on("error", (e) => (ready ? undefined : fail(e)));
      ws.on("message", (data: Buffer) => {
        const type = data[0];
        if (type === 0x34 /* 4: message */) {
          const sub = data[1];
          if (sub === 0x32 /* 2: event */) {
            if (!ready) {
              if (data.includes('"session:ready"')) {
                ready = true;
                clearTimeout(timer);
                resolve(client);
              }
              return;
            }
            client.onData?.(data);
          } else if (sub === 0x33 /* 3: ack */) {
            const open = data.indexOf(0x5b /* [ */);
            const id = Number(data.toString("latin1", 2, open));
            const ack = client.acks.get(id);
            if (ack) {
              client.acks.delete(id);
              ack((JSON.parse(data.toString("utf8", open)) as [Parameters<Ack>[0]])[0]);
            }
          } else if (sub === 0x34 /* 4: connect error */) {
            fail(new Error(`refused: ${data.toString("utf8", 2)}`));
          }
        } else if (type === 0x30 /* 0: open */) {
          ws.send(`40${JSON.stringify({ ...opts.auth, token })}`);
        } else if (type === 0x32 /* 2: ping */) {
          ws.send("3");
        }
      });
      ws.on("close", () => {
        if (!ready) fail(new Error("closed before session:ready"));
        // Nothing answers the requests still waiting once the socket is gone: fail them.
        for (const ack of client.acks.values()) ack({ ok: false, error: { code: "CLOSED", message: "the connection closed before the answer" } } as Parameters<Ack>[0]);
        client.acks.clear();
      });
    });
  }

  emit(event: string, payload: unknown, ack?: Ack): void {
    if (!ack) {
      this.ws.send(`42${JSON.stringify([event, payload])}`);
      return;
    }
    const id = this.nextAck++;
    this.acks.set(id, ack);
    this.ws.send(`42${id}${JSON.stringify([event, payload])}`);
  }

  request(event: string, payload: unknown): Promise<Parameters<Ack>[0]> {
    return new Promise((resolve) => this.emit(event, payload, resolve));
  }

  bytesRead = () => (this.ws as unknown as { _socket: net.Socket })._socket?.bytesRead ?? 0;
  bytesWritten = () => (this.ws as unknown as { _socket: net.Socket })._socket?.bytesWritten ?? 0;
  close = () => this.ws.terminate();
}

/** A client of the floor server (ws-floor.ts): text frames in, text frames out, to one room. */
export class WsClient implements BenchClient {
  onData: ((buf: Buffer) => void) | null = null;
  private constructor(readonly ws: WebSocket) {}

  static connect(port: number, room: number, opts: { localAddress?: string } = {}): Promise<WsClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/?room=${room}`, { perMessageDeflate: false, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    const client = new WsClient(ws);
    ws.on("message", (data: Buffer) => client.onData?.(data));
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(client));
      ws.once("error", reject);
    });
  }

  send(text: string): void {
    this.ws.send(text);
  }

  bytesRead = () => (this.ws as unknown as { _socket: net.Socket })._socket?.bytesRead ?? 0;
  bytesWritten = () => (this.ws as unknown as { _socket: net.Socket })._socket?.bytesWritten ?? 0;
  close = () => this.ws.terminate();
}

/** A raw TCP IRC client: registers, joins one channel, answers PING, sends PRIVMSG. */
export class IrcClient implements BenchClient {
  onData: ((buf: Buffer) => void) | null = null;
  nReads = 0;
  private constructor(readonly socket: net.Socket, readonly channel: string) {}

  static connect(port: number, nick: string, channel: string, opts: { localAddress?: string; timeoutMs?: number } = {}): Promise<IrcClient> {
    const socket = net.connect({ port, host: "127.0.0.1", ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    socket.setNoDelay(true);
    const client = new IrcClient(socket, channel);
    return new Promise((resolve, reject) => {
      let ready = false;
      let pending = "";
      let tail = Buffer.alloc(0);
      const timer = setTimeout(() => fail(new Error(`IRC ${nick}: not joined in time`)), opts.timeoutMs ?? 60_000);
      const fail = (e: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(e);
      };
      socket.on("error", (e) => (ready ? undefined : fail(e)));
      socket.on("data", (buf: Buffer) => {
        client.nReads++;
        if (ready) {
          // TCP cuts lines anywhere: hand on whole lines only, keeping the partial last one.
          const whole = tail.length ? Buffer.concat([tail, buf]) : buf;
          const cut = whole.lastIndexOf(10 /* \n */) + 1;
          tail = Buffer.from(whole.subarray(cut));
          const lines = whole.subarray(0, cut);
          // PING can arrive at any time; it is rare, so a cheap check first.
          if (lines.includes("PING ")) for (const m of lines.toString("latin1").matchAll(/^PING (.*)\r$/gm)) socket.write(`PONG ${m[1]}\r\n`);
          if (lines.length) client.onData?.(lines);
          return;
        }
        pending += buf.toString("latin1");
        let nl: number;
        while ((nl = pending.indexOf("\r\n")) !== -1) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 2);
          if (line.startsWith("PING ")) socket.write(`PONG ${line.slice(5)}\r\n`);
          const code = line.split(" ")[1];
          if (code === "001") socket.write(`JOIN ${channel}\r\n`);
          else if (code === "366") {
            ready = true;
            clearTimeout(timer);
            resolve(client);
          } else if (line.startsWith("ERROR") || /^4\d\d$/.test(code ?? "")) fail(new Error(`IRC ${nick}: ${line}`));
        }
      });
      socket.write(`NICK ${nick}\r\nUSER ${nick} 0 * :bench\r\n`);
    });
  }

  send(text: string): void {
    this.socket.write(`PRIVMSG ${this.channel} :${text}\r\n`);
  }

  bytesRead = () => this.socket.bytesRead;
  bytesWritten = () => this.socket.bytesWritten;
  reads = () => this.nReads;
  close = () => this.socket.destroy();
}

// ---- raw TCP WebSocket receivers --------------------------------------------------------------

const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const EMPTY: Buffer = Buffer.alloc(0);

/** A client-to-server WebSocket frame: FIN, `opcode`, masked (RFC 6455 5.3). */
export function maskedFrame(opcode: number, payload: Buffer | string): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload) : payload;
  const len = data.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + 4 + len);
  out[0] = 0x80 | opcode;
  if (len < 126) out[1] = 0x80 | len;
  else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  const mask = randomBytes(4);
  mask.copy(out, head);
  for (let i = 0; i < len; i++) out[head + 4 + i] = data[i]! ^ mask[i & 3]!;
  return out;
}

/**
 * The receiving side of a WebSocket byte stream from a server (unmasked, uncompressed frames),
 * without a per-frame message: `push` walks the frame headers of each TCP chunk (a few integer
 * reads per frame, payloads skipped), hands whole frames to `onFrame` only while `captureAll`
 * (the handshake: until session:ready) and afterwards only control frames and one-byte text
 * frames (engine.io's ping "2"); once `scanning`, the bytes themselves go to `onData` in raw
 * chunks holding whole stamps (a stamp cut by TCP waits for the rest in a kept tail), as the
 * IRC client hands on whole lines. Header bytes of extended-length frames are zeroed in the
 * chunk (a length byte 126 is `~`), so stamps found in the raw bytes are exactly the payloads'.
 */
export class WsStreamScanner {
  captureAll = true;
  scanning = false;
  onData: ((buf: Buffer) => void) | null = null;
  private hdr = Buffer.alloc(14);
  private hdrLen = 0;
  /** Payload bytes of the current frame still to come; -1 while reading a header. */
  private need = -1;
  private opcode = 0;
  private fin = true;
  private capture = false;
  private parts: Buffer[] = [];
  /** A fragmented message being captured: its opcode and the payloads of its frames so far. */
  private fragOpcode = 0;
  private fragParts: Buffer[] = [];
  private tail: Buffer = EMPTY;
  constructor(private readonly onFrame: (opcode: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    let scanFrom = this.scanning ? 0 : -1;
    const n = chunk.length;
    let p = 0;
    while (p < n) {
      if (this.need === -1) {
        const hl = this.hdrLen === 0 && n - p >= 2 ? headerLength(chunk[p + 1]!) : 0;
        if (hl > 0 && n - p >= hl) {
          // The whole header in this chunk (nearly always).
          this.startFrame(chunk, p, hl);
          if (hl > 2) chunk.fill(0, p + 1, p + hl);
          p += hl;
        } else {
          // A header cut by TCP: gather it byte by byte.
          this.hdr[this.hdrLen++] = chunk[p]!;
          if (this.hdrLen > 1 && (this.hdr[1]! & 0x7f) >= 126) chunk[p] = 0;
          p++;
          if (this.hdrLen < 2 || this.hdrLen < headerLength(this.hdr[1]!)) continue;
          this.startFrame(this.hdr, 0, this.hdrLen);
          this.hdrLen = 0;
        }
      }
      // (An empty frame completes right after its header, even at the end of the chunk.)
      const take = Math.min(this.need, n - p);
      if (this.capture && take > 0) this.parts.push(chunk.subarray(p, p + take));
      p += take;
      this.need -= take;
      if (this.need === 0) {
        this.need = -1;
        if (this.capture) this.endFrame();
        if (scanFrom === -1 && this.scanning) scanFrom = p;
      }
    }
    if (scanFrom === -1 || !this.onData) return;
    const region = scanFrom === 0 ? (this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk) : chunk.subarray(scanFrom);
    const cut = stampCut(region);
    this.tail = cut < region.length ? Buffer.from(region.subarray(cut)) : EMPTY;
    if (cut > 0) this.onData(cut < region.length ? region.subarray(0, cut) : region);
  }

  private startFrame(src: Buffer, at: number, hl: number): void {
    const b0 = src[at]!;
    const b1 = src[at + 1]!;
    if (b1 & 0x80) throw new Error("the server sent a masked frame");
    const len7 = b1 & 0x7f;
    this.need = len7 < 126 ? len7 : len7 === 126 ? src.readUInt16BE(at + 2) : src.readUInt32BE(at + 2) * 2 ** 32 + src.readUInt32BE(at + 6);
    this.opcode = b0 & 0x0f;
    this.fin = (b0 & 0x80) !== 0;
    this.capture = this.captureAll || this.opcode >= 8 || (this.opcode === 1 && this.fin && this.need === 1);
    this.parts = [];
  }

  private endFrame(): void {
    const payload = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    if (this.opcode >= 8) return this.onFrame(this.opcode, payload);
    // Data frames: put the fragments of a message back together (the handshake only).
    if (this.opcode !== 0) {
      this.fragOpcode = this.opcode;
      this.fragParts = [];
    }
    if (!this.fin) {
      this.fragParts.push(payload);
      return;
    }
    const whole = this.fragParts.length ? Buffer.concat([...this.fragParts, payload]) : payload;
    this.fragParts = [];
    this.onFrame(this.fragOpcode, whole);
  }
}

/** The length of a server frame header (unmasked) from its second byte. */
function headerLength(b1: number): number {
  const len7 = b1 & 0x7f;
  return len7 < 126 ? 2 : len7 === 126 ? 4 : 10;
}

/**
 * A receiver on a raw `net` socket: the HTTP upgrade done by hand, then WsStreamScanner over the
 * bytes (no `ws` parser, no message event per frame). Socket.IO mode (`sio`): engine.io's open,
 * the auth packet, pings answered, ready at session:ready, connect errors fail the connect;
 * plain mode (`floor`, the `ws` floor server): ready at the 101. WebSocket pings get a pong and
 * a close frame its echo. It only receives: the senders stay SioClient / WsClient (acks).
 */
export class RawWsReceiver implements BenchClient {
  private readonly scanner: WsStreamScanner;
  nReads = 0;
  /** engine.io pings answered (for tests: the heartbeat is kept up). */
  pings = 0;
  private constructor(readonly socket: net.Socket, onFrame: (opcode: number, payload: Buffer) => void) {
    this.scanner = new WsStreamScanner(onFrame);
  }

  get onData(): ((buf: Buffer) => void) | null {
    return this.scanner.onData;
  }
  set onData(fn: ((buf: Buffer) => void) | null) {
    this.scanner.onData = fn;
  }

  static sio(baseUrl: string, token: string, opts: { localAddress?: string; timeoutMs?: number; auth?: Record<string, unknown> } = {}): Promise<RawWsReceiver> {
    const u = new URL(baseUrl);
    return RawWsReceiver.open(Number(u.port), u.hostname, "/socket.io/?EIO=4&transport=websocket", true, { ...opts, token });
  }

  static floor(port: number, room: number, opts: { localAddress?: string; timeoutMs?: number } = {}): Promise<RawWsReceiver> {
    return RawWsReceiver.open(port, "127.0.0.1", `/?room=${room}`, false, opts);
  }

  private static open(port: number, host: string, pathAndQuery: string, sio: boolean, opts: { localAddress?: string; timeoutMs?: number; auth?: Record<string, unknown>; token?: string }): Promise<RawWsReceiver> {
    const socket = net.connect({ port, host, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    socket.setNoDelay(true);
    const send = (opcode: number, payload: Buffer | string) => {
      if (socket.writable) socket.write(maskedFrame(opcode, payload));
    };
    return new Promise((resolve, reject) => {
      let ready = false;
      let settled = false;
      const timer = setTimeout(() => fail(new Error(sio ? "no session:ready in time" : "no upgrade in time")), opts.timeoutMs ?? 60_000);
      const fail = (e: Error) => {
        clearTimeout(timer);
        socket.destroy();
        if (!settled) reject(e);
        settled = true;
      };
      const becomeReady = () => {
        ready = true;
        client.scanner.captureAll = false;
        client.scanner.scanning = true;
        clearTimeout(timer);
        settled = true;
        resolve(client);
      };
      const client: RawWsReceiver = new RawWsReceiver(socket, (opcode, payload) => {
        if (opcode === 0x8) {
          // Close: echo its status code, then go.
          send(0x8, payload.subarray(0, 2));
          socket.end();
          if (!ready) fail(new Error(`closed before ready: ${payload.toString("utf8", 2)}`));
        } else if (opcode === 0x9) send(0xa, payload);
        else if (opcode === 0x1 && sio) {
          const type = payload[0];
          if (type === 0x32 /* 2: ping */) (send(0x1, "3"), client.pings++);
          else if (ready) return;
          else if (type === 0x30 /* 0: open */) send(0x1, `40${JSON.stringify({ ...opts.auth, token: opts.token })}`);
          else if (type === 0x34 /* 4: message */) {
            if (payload[1] === 0x32 /* 2: event */ && payload.includes('"session:ready"')) becomeReady();
            else if (payload[1] === 0x34 /* 4: connect error */) fail(new Error(`refused: ${payload.toString("utf8", 2)}`));
          } else if (type === 0x31 /* 1: close */) fail(new Error("engine.io closed before session:ready"));
        }
      });
      const key = randomBytes(16).toString("base64");
      const accept = createHash("sha1").update(key + WS_GUID).digest("base64");
      let head: Buffer = EMPTY;
      const onHead = (buf: Buffer) => {
        head = head.length ? Buffer.concat([head, buf]) : buf;
        const end = head.indexOf("\r\n\r\n");
        if (end === -1) {
          if (head.length > 16_384) fail(new Error("no end to the upgrade response"));
          return;
        }
        const lines = head.toString("latin1", 0, end).split("\r\n");
        if (!/^HTTP\/1\.1 101 /.test(lines[0] ?? "")) return fail(new Error(`upgrade refused: ${lines[0]}`));
        const got = lines.find((l) => /^sec-websocket-accept:/i.test(l))?.split(":")[1]?.trim();
        if (got !== accept) return fail(new Error(`bad Sec-WebSocket-Accept: ${got}`));
        socket.off("data", onHead);
        socket.on("data", onFrames);
        if (!sio) becomeReady();
        const rest = head.subarray(end + 4);
        head = EMPTY;
        if (rest.length) onFrames(rest);
      };
      const onFrames = (buf: Buffer) => {
        client.nReads++;
        try {
          client.scanner.push(buf);
        } catch (e) {
          fail(e as Error);
        }
      };
      socket.on("data", onHead);
      socket.on("error", (e) => (ready ? undefined : fail(e)));
      socket.on("close", () => (ready ? undefined : fail(new Error(sio ? "closed before session:ready" : "closed before the upgrade"))));
      socket.write(
        `GET ${pathAndQuery} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
  }

  /** Whether the socket is still open (for tests: it survived the heartbeat). */
  get open(): boolean {
    return !this.socket.destroyed && this.socket.readyState === "open";
  }

  bytesRead = () => this.socket.bytesRead;
  bytesWritten = () => this.socket.bytesWritten;
  reads = () => this.nReads;
  close = () => this.socket.destroy();
}
