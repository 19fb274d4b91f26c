// Server configuration: defaults, environment and command-line values resolved in one place.
import os from "node:os";
import path from "node:path";

export type Config = {
  host: string;
  port: number;
  /** PostgreSQL connection string; when absent the embedded PGlite database is used. */
  databaseUrl: string | undefined;
  /** Data directory of the embedded database; undefined with databaseUrl, "memory://" for tests. */
  dataDir: string;
  sessionTtlMs: number;
  /** log2 of scrypt's N; 17 in production. Tests lower it to keep hashing fast. */
  scryptLogN: number;
  logLevel: string;
};

/** Per-user data directory: $XDG_DATA_HOME/socket-messenger or ~/.local/share/socket-messenger. */
export function defaultDataDir(env = process.env): string {
  const base = env["XDG_DATA_HOME"] || path.join(os.homedir(), ".local", "share");
  return path.join(base, "socket-messenger", "pgdata");
}

export function resolveConfig(overrides: Partial<Config> = {}, env = process.env): Config {
  const config: Config = {
    host: env["HOST"] || "127.0.0.1",
    port: env["PORT"] ? Number(env["PORT"]) : 3000,
    databaseUrl: env["DATABASE_URL"] || undefined,
    dataDir: env["CHAT_DATA_DIR"] || defaultDataDir(env),
    sessionTtlMs: 30 * 24 * 3600 * 1000,
    scryptLogN: 17,
    logLevel: env["LOG_LEVEL"] || "info",
  };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) (config as Record<string, unknown>)[k] = v;
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw new Error(`port must be a number from 0 to 65535, got ${String(config.port)}`);
  }
  return config;
}
