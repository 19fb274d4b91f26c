// The client's saved sessions: one token per server, in a file only the user can read (0600).
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export type SavedSession = { nick: string; token: string };
export type ClientConfig = { sessions: Record<string, SavedSession> };

export function defaultConfigPath(env = process.env): string {
  const base = env["XDG_CONFIG_HOME"] || path.join(os.homedir(), ".config");
  return path.join(base, "socket-messenger", "tui.json");
}

export async function loadConfig(file: string): Promise<ClientConfig> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<ClientConfig>;
    return { sessions: typeof parsed.sessions === "object" && parsed.sessions ? parsed.sessions : {} };
  } catch {
    return { sessions: {} };
  }
}

/** Writes atomically with mode 0600 in a 0700 directory. */
export async function saveConfig(file: string, config: ClientConfig): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** Sessions are keyed by the server's origin, so "http://host:3000/" and "http://host:3000" match. */
export const serverKey = (server: string): string => {
  try {
    return new URL(server).origin;
  } catch {
    return server;
  }
};
