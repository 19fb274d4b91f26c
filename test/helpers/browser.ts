// Debian's chromium for tests, benchmarks and docs:screenshots (scripts/screenshots/render.ts):
// started through spawnTracked (its own process group, killed however the file or the script
// ends) with a fresh profile, driven by playwright-core over the DevTools protocol. Nothing is
// downloaded. Only node and playwright-core are imported, so scripts can use it too.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import { chromium, type Browser } from "playwright-core";
import { killTree, spawnTracked } from "./children.js";

/** CHROMIUM_PATH (or CHROMIUM) names another binary. */
export const CHROMIUM = process.env["CHROMIUM_PATH"] || process.env["CHROMIUM"] || "/usr/bin/chromium";

/** Why browser tests cannot run here, or null when they can. */
export const chromiumMissing = (): string | null =>
  existsSync(CHROMIUM) ? null : `no chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does it)`;

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  "--mute-audio",
];

export type RunningBrowser = { browser: Browser; /** chromium's main process (the leader of its own process group). */ child: ChildProcess; close(): Promise<void> };

/** Starts chromium on a free DevTools port and connects to it. */
export async function launchBrowser(extraFlags: string[] = []): Promise<RunningBrowser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), "sm-chromium-"));
  const child = spawnTracked(CHROMIUM, [...CHROMIUM_FLAGS, ...extraFlags, `--user-data-dir=${profile}`, "--remote-debugging-port=0", "about:blank"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error(`chromium did not start within 60 s: ${err.slice(-500)}`)), 60_000);
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (d: string) => {
      err += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited (${code}): ${err.slice(-500)}`));
    });
  });
  const browser = await chromium.connectOverCDP(endpoint);
  return {
    browser,
    child,
    async close() {
      await browser.close().catch(() => undefined);
      killTree(child);
      await rm(profile, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
