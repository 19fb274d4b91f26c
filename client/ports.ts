// Everything the client core needs from the outside world, as interfaces: a front end (local
// process, SSH gateway, browser) passes implementations in; tests pass fakes.
import type { AuthResponse } from "../server/protocol/index.js";
import type { Connection, ConnectionEvents } from "./connection.js";

export type TimerHandle = unknown;

/** Time and timers (tests drive a fake one). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

type Timers = {
  setTimeout(fn: () => void, ms: number): { unref?: () => void };
  clearTimeout(h: unknown): void;
  setInterval(fn: () => void, ms: number): { unref?: () => void };
  clearInterval(h: unknown): void;
  performance?: { now(): number };
};

/** The host's timers (browser and Node both have them); Node timers do not keep the process alive. */
export function systemClock(): Clock {
  const g = globalThis as unknown as Timers;
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => {
      const h = g.setTimeout(fn, ms);
      h.unref?.();
      return h;
    },
    clearTimeout: (h) => g.clearTimeout(h),
    setInterval: (fn, ms) => {
      const h = g.setInterval(fn, ms);
      h.unref?.();
      return h;
    },
    clearInterval: (h) => g.clearInterval(h),
  };
}

/** A saved login for one server (the token resumes the session without the password). */
export type SavedSession = { nick: string; token: string };

/** Where sessions are kept between runs (a 0600 file locally, storage in a browser). */
export interface SessionStore {
  load(server: string): Promise<SavedSession | null>;
  save(server: string, session: SavedSession): Promise<void>;
  remove(server: string): Promise<void>;
}

export type AuthResult = { ok: true; auth: AuthResponse } | { ok: false; message: string };

/** The HTTP account calls. */
export interface AuthApi {
  authenticate(mode: "login" | "register", nick: string, password: string): Promise<AuthResult>;
  logout(token: string): Promise<void>;
}

/** Opens a connection to the server with a session token. */
export type Connector = (token: string, on: ConnectionEvents) => Promise<Connection>;

/** Incremental SHA-256 (node:crypto locally; in a browser WebCrypto, which digests at the end). */
export interface Hasher {
  update(bytes: Uint8Array): void;
  /** Lower-case hex (a promise where the platform only hashes asynchronously, as WebCrypto does). */
  digest(): string | Promise<string>;
}

/** The bytes of a file to upload. */
export interface ByteSource {
  readonly name: string;
  /** Size and SHA-256 of the whole content (reads it once). */
  measure(signal: CancelSignal): Promise<{ size: number; sha256: string }>;
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Where a download's bytes go; nothing is visible under the final name before commit. */
export interface ByteSink {
  write(offset: number, bytes: Uint8Array): Promise<void>;
  /** Makes the bytes the finished file; returns where it is (for the user). */
  commit(): Promise<string>;
  /** Drops what was written (after a failure or a cancel). */
  discard(): Promise<void>;
}

export interface FilePorts {
  /** Opens a file the user named for upload; throws a TransferError("LOCAL_FILE") when it cannot. */
  openSource(path: string): Promise<ByteSource>;
  /** Prepares a download of `fileName` into `dest` (a directory or a file path; default: the download directory). */
  openSink(dest: string | undefined, fileName: string, fileId: number): Promise<ByteSink>;
  sha256(): Hasher;
}

/** A cancellation flag with listeners (an AbortSignal fits; so does a plain object in tests). */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: "abort", fn: () => void): void;
  removeEventListener(type: "abort", fn: () => void): void;
}

export type ClientPorts = {
  connect: Connector;
  auth: AuthApi;
  sessions: SessionStore;
  clock?: Clock;
  /** Unique ids for messages and uploads (UUID v4). */
  newId: () => string;
  files?: FilePorts;
};
