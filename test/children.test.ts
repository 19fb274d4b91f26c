// Test helpers leave nothing running: a worker that ava ends (SIGTERM, on its timeout) or that
// exits without running its teardowns still kills every process group it started.
import path from "node:path";
import test from "ava";
import { killTree, spawnTracked } from "./helpers/children.js";
import { sleep } from "./helpers/harness.js";

const HELPER = path.join(path.dirname(new URL(import.meta.url).pathname), "helpers", "children.js");

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A stand-in for an ava worker: starts a shell with a grandchild, prints both pids, then waits or exits. */
async function worker(t: { teardown(fn: () => void): void }, then: "wait" | "exit") {
  const script = `
    const { spawnTracked } = await import(${JSON.stringify(HELPER)});
    const child = spawnTracked("sh", ["-c", "sleep 300 & echo $!; wait"], { stdio: ["ignore", "pipe", "ignore"] });
    child.stdout.once("data", (d) => {
      console.log(JSON.stringify({ child: child.pid, grandchild: Number(String(d).trim()) }));
      ${then === "exit" ? "setTimeout(() => process.exit(1), 100);" : "setInterval(() => {}, 1000);"}
    });`;
  const w = spawnTracked(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  t.teardown(() => killTree(w));
  const pids = await new Promise<{ child: number; grandchild: number }>((resolve) => w.stdout!.once("data", (d) => resolve(JSON.parse(String(d)))));
  const exited = new Promise<void>((resolve) => w.once("exit", () => resolve()));
  return { w, pids, exited };
}

async function gone(pid: number, ms = 10_000): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(50)) if (!alive(pid)) return true;
  return false;
}

test("a worker ended by SIGTERM (ava's timeout) kills the process groups it started, grandchildren included", async (t) => {
  const { w, pids, exited } = await worker(t, "wait");
  t.true(alive(pids.child) && alive(pids.grandchild));
  w.kill("SIGTERM");
  await exited;
  t.true(await gone(pids.child), "the child is gone");
  t.true(await gone(pids.grandchild), "the grandchild is gone");
});

test("a worker that exits without its teardowns kills them too", async (t) => {
  const { pids, exited } = await worker(t, "exit");
  await exited;
  t.true(await gone(pids.child), "the child is gone");
  t.true(await gone(pids.grandchild), "the grandchild is gone");
});

test("killTree kills a child's whole process group", async (t) => {
  const child = spawnTracked("sh", ["-c", "sleep 300 & echo $!; wait"], { stdio: ["ignore", "pipe", "ignore"] });
  t.teardown(() => killTree(child));
  const grandchild = await new Promise<number>((resolve) => child.stdout!.once("data", (d) => resolve(Number(String(d).trim()))));
  killTree(child);
  t.true(await gone(grandchild));
});
