// Reference servers: the `ws` floor (ws-floor.ts) and ngIRCd from Debian, each a child process
// on a free loopback port, killed at the end.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { freePort, HERE, stopChild, track, type Ctx } from "./lib.js";

export type RefServer = { port: number; pid: number; child: ChildProcess; stop(): Promise<void> };

function waitForLine(child: ChildProcess, re: RegExp, what: string, timeoutMs = 15_000): Promise<RegExpExecArray> {
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${out.slice(-500)}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}): ${out.slice(-500)}`));
    });
  });
}

export async function startWsFloor(): Promise<RefServer> {
  const child = track(spawn(process.execPath, [path.join(HERE, "ws-floor.js"), "0"], { stdio: ["ignore", "pipe", "pipe", "ipc"] }));
  const m = await waitForLine(child, /listening (\d+)/, "ws floor server");
  return { port: Number(m[1]), pid: child.pid!, child, stop: () => stopChild(child, 2000) };
}

export const NGIRCD = ["/usr/sbin/ngircd", "/usr/local/sbin/ngircd"].find((p) => existsSync(p)) ?? null;
export const NGIRCD_SKIP = "skipped: ngircd not installed";

/** ngIRCd in the foreground (-n) with a generated configuration: no DNS/ident/PAM lookups, no per-IP or flood limits. */
export async function startNgircd(ctx: Ctx): Promise<RefServer> {
  if (!NGIRCD) throw new Error(NGIRCD_SKIP);
  const dir = await ctx.tmp();
  const port = await freePort();
  const conf = path.join(dir, "ngircd.conf");
  await writeFile(path.join(dir, "motd"), "bench\n");
  await writeFile(
    conf,
    `[Global]
Name = bench.irc
Info = socket-messenger benchmark reference
Listen = 127.0.0.1
Ports = ${port}
MotdFile = ${path.join(dir, "motd")}
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxNickLength = 30
MaxPenaltyTime = 0
PingTimeout = 600
PongTimeout = 600
[Options]
DNS = no
Ident = no
PAM = no
OperCanUseMode = yes
`,
  );
  const child = track(spawn(NGIRCD, ["-n", "-f", conf], { stdio: ["ignore", "pipe", "pipe"] }));
  await waitForLine(child, /(Now listening|listening on).*?\d+/i, "ngircd");
  return { port, pid: child.pid!, child, stop: () => stopChild(child, 2000) };
}
