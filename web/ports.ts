// The client core's ports in a browser: fetch for the account calls, localStorage for the
// saved session, socket.io-client for the connection, File/Blob and WebCrypto for transfers.
import { io } from "socket.io-client";
import { HANDSHAKE_PROTOCOL, SOCKET_OPTIONS, socketConnection, systemClock, TransferError, type AuthApi, type ByteSink, type ByteSource, type ClientPorts, type FilePorts, type Hasher, type SessionStore, type SocketLike } from "../client/index.js";
import type { AuthResponse } from "../server/protocol/index.js";

const hex = (buf: ArrayBuffer) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");

/** A UUID v4; crypto.randomUUID exists only in secure contexts (not on http://<LAN address>). */
export function newId(): string {
  if (typeof crypto.randomUUID === "function" && isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = hex(b.buffer);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function browserAuth(base: string): AuthApi {
  return {
    async authenticate(mode, nick, password) {
      let res: Response;
      try {
        res = await fetch(new URL(`/api/v1/${mode}`, base), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ nick, password }) });
      } catch {
        return { ok: false, message: "Cannot reach the server. Check your connection and try again." };
      }
      const body = (await res.json().catch(() => null)) as (AuthResponse & { error?: { message?: string } }) | null;
      if (res.ok && body?.token) return { ok: true, auth: body };
      return { ok: false, message: body?.error?.message ?? `The server answered HTTP ${res.status}.` };
    },
    async logout(token) {
      await fetch(new URL("/api/v1/logout", base), { method: "POST", headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
    },
  };
}

/** The session token in localStorage: a reload resumes it, /logout removes it. */
export function browserSessions(storage: Storage): SessionStore {
  const key = (server: string) => `socket-messenger:session:${server}`;
  return {
    async load(server) {
      try {
        const v = JSON.parse(storage.getItem(key(server)) ?? "null") as { nick?: unknown; token?: unknown } | null;
        return v && typeof v.nick === "string" && typeof v.token === "string" ? { nick: v.nick, token: v.token } : null;
      } catch {
        return null;
      }
    },
    async save(server, s) {
      storage.setItem(key(server), JSON.stringify(s));
    },
    async remove(server) {
      storage.removeItem(key(server));
    },
  };
}

/** SHA-256 through WebCrypto: it has no incremental API, so the chunks are kept and digested at the end. */
function webHasher(): Hasher {
  const parts: Uint8Array[] = [];
  return {
    update: (b) => void parts.push(b),
    digest: async () => hex(await crypto.subtle.digest("SHA-256", await new Blob(parts as BlobPart[]).arrayBuffer())),
  };
}

/** What a finished download does with its bytes (the page clicks a link to a blob: URL). */
export type SaveBlob = (blob: Blob, name: string) => void;

/**
 * Files picked or dropped by the user are registered under a "picked:<id>" name, which is the
 * path the core's sendFile takes; downloads collect their chunks and are saved only after the
 * core checked their SHA-256.
 */
export function browserFiles(save: SaveBlob) {
  const picked = new Map<string, File>();
  const ports: FilePorts = {
    async openSource(p) {
      const file = picked.get(p);
      if (!file) throw new TransferError("LOCAL_FILE", "That file is no longer available: pick it again.");
      let whole: Uint8Array | null = null;
      const source: ByteSource = {
        name: file.name,
        async measure() {
          const buf = await file.arrayBuffer();
          whole = new Uint8Array(buf);
          return { size: file.size, sha256: hex(await crypto.subtle.digest("SHA-256", buf)) };
        },
        async read(offset, length) {
          if (whole) return whole.subarray(offset, offset + length);
          return new Uint8Array(await file.slice(offset, offset + length).arrayBuffer());
        },
        async close() {
          whole = null;
          picked.delete(p);
        },
      };
      return source;
    },
    async openSink(_dest, fileName) {
      const parts: Uint8Array[] = [];
      const sink: ByteSink = {
        async write(_offset, bytes) {
          parts.push(bytes.slice());
        },
        async commit() {
          save(new Blob(parts as BlobPart[]), fileName);
          return "your browser's downloads";
        },
        async discard() {
          parts.length = 0;
        },
      };
      return sink;
    },
    sha256: webHasher,
  };
  return {
    ports,
    /** Registers a picked or dropped file; returns the name to give sendFile. */
    pick(file: File): string {
      const id = `picked:${newId()}`;
      picked.set(id, file);
      return id;
    },
  };
}

export function browserPorts(base: string, files: FilePorts): ClientPorts {
  const clock = systemClock();
  return {
    clock,
    newId,
    files,
    auth: browserAuth(base),
    sessions: browserSessions(localStorage),
    async connect(token, on) {
      on.status("connecting", 0, null);
      const socket = io(base, { ...SOCKET_OPTIONS, transports: [...SOCKET_OPTIONS.transports], auth: { token, protocol: HANDSHAKE_PROTOCOL } });
      return socketConnection(socket as unknown as SocketLike, on, { clock });
    },
  };
}
