// Lightweight load-generating clients with byte counters: socket.io over a raw `ws` WebSocket
// (engine.io v4 framing done by hand, so thousands fit in one process), a plain `ws` client
// for the Node floor server, and a raw TCP IRC client.
import net from "node:net";
import WebSocket from "ws";

const STAMP = Buffer.from("~T");

/** Calls `fn` with the send time of every stamped message in the chunk (see stampedText). */
export function eachStamp(buf: Buffer, fn: (sentAt: number) => void): void {
  let i = buf.indexOf(STAMP);
  while (i !== -1) {
    const end = buf.indexOf(126 /* ~ */, i + 2);
    if (end === -1) return;
    fn(Number(buf.toString("latin1", i + 2, end)));
    i = buf.indexOf(STAMP, end + 1);
  }
}

export interface BenchClient {
  /** Every inbound message (a socket.io event frame, a ws message, an IRC chunk). */
  onData: ((buf: Buffer) => void) | null;
  bytesRead(): number;
  bytesWritten(): number;
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
  close = () => this.socket.destroy();
}
