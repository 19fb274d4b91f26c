// A private redis-server on a port of the test's own, so a test can stop and start it without
// disturbing the shared one; it runs in its own process group (helpers/children.ts).
import { execFileSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { killTree, spawnTracked } from "./children.js";

export const REDIS_SERVER = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find((p) => existsSync(p));

/** Starts redis-server (no persistence) on the port and resolves once it answers PING. */
export async function startPrivateRedis(port: number): Promise<ChildProcess> {
  if (!REDIS_SERVER) throw new Error("redis-server is not installed");
  const child = spawnTracked(REDIS_SERVER, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--logfile", ""], { stdio: "ignore" });
  for (let i = 0; i < 200; i++) {
    try {
      execFileSync("redis-cli", ["-p", String(port), "ping"], { stdio: "pipe" });
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  killTree(child);
  throw new Error("redis-server did not start");
}
