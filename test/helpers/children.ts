// Processes a test file starts: each in its own process group, all killed however the file ends.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

const groups = new Set<ChildProcess>();
const cleanups = new Set<() => void>();

/** SIGKILLs the child's whole process group (the child and whatever it started). */
export function killTree(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  groups.delete(child);
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already (ESRCH), or the child was not started detached.
    try {
      child.kill(signal);
    } catch {
      /* exited */
    }
  }
}

/**
 * `spawn`, detached into a process group of its own and remembered until killTree: a test
 * that fails, times out or is interrupted leaves nothing running behind it.
 */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  groups.add(child);
  return child;
}

/** A synchronous clean-up to run when this worker exits (a tmux server to kill, say). */
export function onWorkerExit(fn: () => void): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

function killEverything(): void {
  for (const child of [...groups]) killTree(child);
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      /* best effort: the worker is going away */
    }
  }
}

// ava ends a test file that ran past its timeout by sending SIGTERM to the worker: teardown
// functions do not run then, and children outlive a worker killed by a signal; so kill them here.
process.on("exit", killEverything);
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
  process.once(signal, () => {
    killEverything();
    // A program with its own handler (the bench runner drops its databases) exits itself.
    if (process.listenerCount(signal) === 0) process.exit(128 + ({ SIGTERM: 15, SIGINT: 2, SIGHUP: 1 } as const)[signal]);
  });
}
