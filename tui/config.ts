// The client's config file: saved sessions (one token per server; the file is 0600), and the
// user's settings: key overrides and the bell. Other fields are kept as they are.
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { SavedSession, SessionStore } from "../client/ports.js";
import { COMMAND_IDS, type CommandId } from "./commands/ids.js";
import { MODES, type KeyOverrides, type Mode } from "./keys/keymap.js";

export type { SavedSession } from "../client/ports.js";
export type BellMode = "off" | "mentions" | "all";
export const BELL_MODES: readonly BellMode[] = ["off", "mentions", "all"];

export type ClientConfig = {
  sessions: Record<string, SavedSession>;
  /** Key overrides per mode ("global" too): key name -> command id, or null to unbind. */
  keys?: KeyOverrides;
  bell?: BellMode;
  [other: string]: unknown;
};

export function defaultConfigPath(env: Record<string, string | undefined> = process.env): string {
  const base = env["XDG_CONFIG_HOME"] || path.join(os.homedir(), ".config");
  return path.join(base, "socket-messenger", "tui.json");
}

/** Reads the file; a missing or unreadable one is an empty config (sessions are optional). */
export async function loadConfig(file: string): Promise<ClientConfig> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<ClientConfig>;
    return { ...parsed, sessions: typeof parsed.sessions === "object" && parsed.sessions ? parsed.sessions : {} };
  } catch {
    return { sessions: {} };
  }
}

/** Writes atomically with mode 0600 in a 0700 directory. */
export async function saveConfig(file: string, config: ClientConfig): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
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

/** The client core's session store on this file. */
export function fileSessionStore(file: string): SessionStore {
  return {
    async load(server) {
      return (await loadConfig(file)).sessions[serverKey(server)] ?? null;
    },
    async save(server, session) {
      const config = await loadConfig(file);
      config.sessions[serverKey(server)] = session;
      await saveConfig(file, config);
    },
    async remove(server) {
      const config = await loadConfig(file);
      delete config.sessions[serverKey(server)];
      await saveConfig(file, config);
    },
  };
}

export type Settings = { keys: KeyOverrides; bell: BellMode };

/**
 * Checks the user's settings: every mode and command id in "keys" must exist, "bell" must be
 * one of off/mentions/all. Throws an Error whose message names the field and what to write.
 */
export function checkSettings(config: Pick<ClientConfig, "keys" | "bell">, file = "the config file"): Settings {
  const known = new Set<string>(COMMAND_IDS);
  const keys: KeyOverrides = {};
  const raw = config.keys ?? {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`${file}: "keys" must be an object like {"global": {"C-q": "app.quit"}}.`);
  for (const [mode, table] of Object.entries(raw)) {
    if (mode !== "global" && !(MODES as readonly string[]).includes(mode)) {
      throw new Error(`${file}: keys."${mode}" is not a mode; use one of global, ${MODES.join(", ")}.`);
    }
    if (typeof table !== "object" || table === null || Array.isArray(table)) throw new Error(`${file}: keys."${mode}" must be an object of key name -> command id.`);
    const out: Record<string, CommandId | null> = {};
    for (const [key, id] of Object.entries(table as Record<string, unknown>)) {
      if (id !== null && (typeof id !== "string" || !known.has(id))) {
        const near = COMMAND_IDS.filter((c) => typeof id === "string" && (c.startsWith(id.split(".")[0] ?? "") || c.includes(id))).slice(0, 6);
        throw new Error(
          `${file}: keys.${mode}."${key}" names the unknown command ${JSON.stringify(id)}. ${near.length ? `Did you mean ${near.join(", ")}? ` : ""}` +
            `The F1 help and the README list the command ids; null unbinds a key.`,
        );
      }
      out[key] = id as CommandId | null;
    }
    keys[mode as Mode | "global"] = out;
  }
  const bell = config.bell ?? "mentions";
  if (!BELL_MODES.includes(bell)) throw new Error(`${file}: "bell" must be one of ${BELL_MODES.join(", ")}, not ${JSON.stringify(bell)}.`);
  return { keys, bell };
}
