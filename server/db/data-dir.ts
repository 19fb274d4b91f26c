// The embedded database's directory belongs to one process: an exclusive lock file, and
// owner-only permissions on everything in it (messages and password hashes live there).
import { chmod, link, lstat, mkdir, readdir, readFile, unlink, writeFile } from "node:fs/promises";
import { readFileSync, unlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const LOCK_FILE = "chat-server.lock";
/** The running server's local control socket (user commands while it runs). */
export const CONTROL_SOCKET = "control.sock";

export type LockHolder = { pid: number; host: string; startedAt: string; command: string };

export class DataDirLockedError extends Error {
  readonly holder: LockHolder;
  readonly dataDir: string;
  constructor(dataDir: string, holder: LockHolder) {
    super(
      `the embedded database in ${dataDir} is in use by process ${holder.pid} on ${holder.host} ` +
        `(${holder.command}, since ${holder.startedAt}); only one process may open it at a time. ` +
        `Stop that process first, or give this one another --data-dir; while a server runs, ` +
        `\`chat-server user add\` and \`user set-role\` go through it.`,
    );
    this.name = "DataDirLockedError";
    this.holder = holder;
    this.dataDir = dataDir;
  }
}

export type DataDirLock = { path: string; holder: LockHolder; release(): Promise<void> };

// Locks this process holds, so a second open in the same process is refused too (its pid is
// alive, but it is ours; a lock file naming our pid that we do not hold is a dead predecessor's).
const heldHere = new Set<string>();

/** Whether the lock's process is alive: only answerable on the host that wrote it. */
export function holderAlive(holder: LockHolder): boolean | "unknown" {
  if (holder.host !== os.hostname()) return "unknown";
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid === "number" && typeof v.host === "string" && typeof v.startedAt === "string" && typeof v.command === "string") return v as LockHolder;
  } catch {
    // fall through: unreadable
  }
  return null;
}

/** Who holds the lock on dataDir, if anyone (null when there is no lock file). */
export async function readLock(dataDir: string): Promise<LockHolder | null> {
  const text = await readFile(path.join(dataDir, LOCK_FILE), "utf8").catch(() => null);
  return text === null ? null : parseHolder(text);
}

/**
 * Takes the directory's lock or throws DataDirLockedError naming the holder. The file appears
 * complete or not at all (written aside, then hard-linked into place, which fails if it exists).
 * A lock whose process no longer exists on this host is taken over and `onStale` told.
 */
export async function lockDataDir(dataDir: string, command: string, onStale: (holder: LockHolder | null) => void = () => {}): Promise<DataDirLock> {
  const lockPath = path.join(path.resolve(dataDir), LOCK_FILE);
  const holder: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), command };
  if (heldHere.has(lockPath)) throw new DataDirLockedError(dataDir, parseHolder(readFileSync(lockPath, "utf8")) ?? holder);
  const body = JSON.stringify(holder) + "\n";
  const temp = `${lockPath}.${process.pid}.tmp`;
  await writeFile(temp, body, { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(temp, lockPath);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 5) throw e;
      }
      const text = await readFile(lockPath, "utf8").catch(() => null);
      if (text === null) continue; // released between our link and read: try again
      const current = parseHolder(text);
      if (current && holderAlive(current) !== false) throw new DataDirLockedError(dataDir, current);
      // Dead holder (or a lock file nobody can read): take it over.
      onStale(current);
      await unlink(lockPath).catch(() => undefined);
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  heldHere.add(lockPath);
  const ours = () => {
    try {
      return readFileSync(lockPath, "utf8") === body;
    } catch {
      return false;
    }
  };
  // A process that exits without closing (an uncaught error, process.exit) leaves no lock behind.
  const onExit = () => {
    if (ours()) unlinkSync(lockPath);
  };
  process.on("exit", onExit);
  return {
    path: lockPath,
    holder,
    async release() {
      process.off("exit", onExit);
      heldHere.delete(lockPath);
      if (ours()) await unlink(lockPath).catch(() => undefined);
    },
  };
}

/** Creates the directory owner-only (0700) whatever the umask, and its parents as needed. */
export async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/**
 * Makes everything under dir owner-only: directories 0700, files 0600 (owner bits kept);
 * returns how many entries were changed. Symbolic links are left alone.
 */
export async function restrictPermissions(dir: string): Promise<number> {
  let fixed = 0;
  const visit = async (p: string): Promise<void> => {
    const st = await lstat(p).catch(() => null);
    if (!st || st.isSymbolicLink()) return;
    const mode = st.mode & 0o777;
    if (st.isDirectory()) {
      if (mode !== 0o700) {
        await chmod(p, 0o700).catch(() => undefined);
        fixed++;
      }
      const entries = await readdir(p).catch(() => [] as string[]);
      for (const name of entries) await visit(path.join(p, name));
    } else if (mode & 0o077) {
      await chmod(p, (mode & 0o700) | 0o600).catch(() => undefined);
      fixed++;
    }
  };
  await visit(dir);
  return fixed;
}
