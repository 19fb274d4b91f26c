// Runs chat-server as a child process (so it can be killed with SIGKILL) and finds free ports.
import type { ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { PACKAGE_ROOT } from "../../server/paths.js";
import { killTree, spawnTracked } from "./children.js";

export const SERVER_CLI = path.join(PACKAGE_ROOT, "dist", "server", "cli.js");

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export type ServerProcess = { child: ChildProcess; url: string; exited: Promise<number | null>; output: () => string };

/**
 * Starts `chat-server serve` on a fixed port and resolves once it listens; nodeArgs go to node
 * (e.g. --cpu-prof). The process is killed when the test worker exits, should the test not.
 */
export async function spawnServer(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<ServerProcess> {
  const child = spawnTracked(process.execPath, [...nodeArgs, SERVER_CLI, "serve", ...args], {
    env: { ...process.env, DATABASE_URL: "", REDIS_URL: "", LOG_LEVEL: "error", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      killTree(child);
      reject(new Error(`chat-server did not start within 60 s: ${output}`));
    }, 60_000); // a loaded two-core machine has taken over 30 s to open a fresh embedded database
    const onData = () => {
      const m = /listening on (http\S+)/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stderr?.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`chat-server exited (${code}) before listening: ${output}`));
    });
  });
  return { child, url, exited, output: () => output };
}
