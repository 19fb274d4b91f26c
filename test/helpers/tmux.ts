// Drives a real terminal program in tmux: send keys, read the screen, wait for text.
import { execFile, execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { onWorkerExit } from "./children.js";

const exec = promisify(execFile);

export const hasTmux = (() => {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

export class Tmux {
  readonly socket = `chat-test-${randomUUID().slice(0, 8)}`;
  private started = false;
  private forget: (() => void) | null = null;

  private run(...args: string[]) {
    return exec("tmux", ["-L", this.socket, ...args], { timeout: 10_000 });
  }

  /** Starts `command` in a detached session of the given size; env entries are exported first. */
  async start(command: string, opts: { width?: number; height?: number; env?: Record<string, string> } = {}): Promise<void> {
    const env = { LANG: "C.UTF-8", TERM: "xterm-256color", ...opts.env };
    const exports = Object.entries(env).map(([k, v]) => `export ${k}='${v.replace(/'/g, "'\\''")}';`).join(" ");
    await this.run("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", String(opts.width ?? 100), "-y", String(opts.height ?? 30), `${exports} ${command}`);
    this.started = true;
    // A test killed by ava's timeout runs no teardown: the tmux server must not outlive it.
    this.forget = onWorkerExit(() => execFileSync("tmux", ["-L", this.socket, "kill-server"], { stdio: "ignore", timeout: 5000 }));
    await this.run("set-option", "-t", "t", "remain-on-exit", "on");
  }

  /** tmux key names: "Enter", "C-n", "M-1", "PageUp", or literal text with { literal: true }. */
  async keys(...keys: string[]): Promise<void> {
    await this.run("send-keys", "-t", "t", ...keys);
  }

  /** Pastes text as a terminal does (bracketed when the program asked for it: paste-buffer -p). */
  async paste(text: string): Promise<void> {
    await this.run("set-buffer", "-b", "paste", text);
    await this.run("paste-buffer", "-p", "-b", "paste", "-t", "t");
  }

  async type(text: string): Promise<void> {
    await this.run("send-keys", "-t", "t", "-l", text);
  }

  async screen(): Promise<string> {
    const { stdout } = await this.run("capture-pane", "-p", "-t", "t");
    return stdout;
  }

  /** The screen with its attributes as SGR escape sequences (capture-pane -e). */
  async screenWithAttributes(): Promise<string> {
    const { stdout } = await this.run("capture-pane", "-e", "-p", "-t", "t");
    return stdout;
  }

  async lines(): Promise<string[]> {
    return (await this.screen()).split("\n");
  }

  async display(format: string): Promise<string> {
    const { stdout } = await this.run("display-message", "-p", "-t", "t", format);
    return stdout.trim();
  }

  async resize(width: number, height: number): Promise<void> {
    await this.run("resize-window", "-t", "t", "-x", String(width), "-y", String(height));
  }

  /** Polls the screen until `match` holds; fails with the last screen when it never does. */
  async waitFor(match: RegExp | ((screen: string) => boolean), timeoutMs = 15_000): Promise<string> {
    const test = typeof match === "function" ? match : (s: string) => match.test(s);
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      last = await this.screen();
      if (test(last)) return last;
      await new Promise((r) => setTimeout(r, 60));
    }
    throw new Error(`timed out waiting for ${String(match)}; the screen was:\n${last}`);
  }

  async kill(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.forget?.();
    await this.run("kill-server").catch(() => undefined);
  }
}

/** Display width as a terminal computes it, independent of the code under test. */
export function termWidth(text: string): number {
  let w = 0;
  for (const ch of text) {
    if (/\p{Emoji_Presentation}|[\u1100-\u115f\u2e80-\u303e\u3040-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch)) w += 2;
    else if (/\p{Mn}|\p{Me}|\u200d/u.test(ch)) w += 0;
    else w += 1;
  }
  return w;
}
