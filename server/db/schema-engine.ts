// Loads Prisma's WebAssembly schema engine (migrations without the native binary, which
// cannot be downloaded here) and reads/applies the standard prisma/migrations folders.
import { readFile, readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import type { MigrationDirectory, MigrationList, SchemaEngine } from "@prisma/schema-engine-wasm";
import { MIGRATIONS_DIR, SCHEMA_PATH } from "../paths.js";

type EngineModule = typeof import("@prisma/schema-engine-wasm");
type WasmExports = Record<string, unknown>;
// Node has WebAssembly as a global; TypeScript only declares it in lib.dom, which we do not load.
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: Record<string, unknown>): Promise<{ instance: { exports: WasmExports } }>;
};
let enginePromise: Promise<EngineModule> | undefined;

// The package's entry imports a .wasm file as an ES module, which Node 20 only does behind
// --experimental-wasm-modules; instantiate the module ourselves with the JS glue instead.
async function loadEngineModule(): Promise<EngineModule> {
  const require = createRequire(import.meta.url);
  const entry = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
  const glue = (await import("@prisma/schema-engine-wasm/schema_engine_bg")) as EngineModule & {
    __wbg_set_wasm(exports: WasmExports): void;
  };
  const bytes = await readFile(path.join(path.dirname(entry), "schema_engine_bg.wasm"));
  const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": glue });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports["__wbindgen_start"] as () => void)();
  return glue;
}

/** Starts a schema engine that talks to the database through the given driver adapter. */
export async function openSchemaEngine(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  log: (line: string) => void = () => {},
): Promise<SchemaEngine> {
  enginePromise ??= loadEngineModule();
  const mod = await enginePromise;
  const schema = await readFile(SCHEMA_PATH, "utf8");
  return mod.SchemaEngine.new(
    { datamodels: [["schema.prisma", schema]] },
    (message: string) => log(message),
    bindMigrationAwareSqlAdapterFactory(adapterFactory),
  );
}

/** Reads prisma/migrations as the engine expects it, oldest first. */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationList> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const migrationDirectories: MigrationDirectory[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = path.join(dir, entry.name, "migration.sql");
    const content = await readFile(file, "utf8").then(
      (value) => ({ tag: "ok" as const, value }),
      (error: Error) => ({ tag: "error" as const, value: error.message }),
    );
    migrationDirectories.push({ path: entry.name, migrationFile: { path: "migration.sql", content } });
  }
  const lockPath = path.join(dir, "migration_lock.toml");
  const lock = await readFile(lockPath, "utf8").catch(() => null);
  return {
    baseDir: dir,
    lockfile: { path: "migration_lock.toml", content: lock },
    shadowDbInitScript: "",
    migrationDirectories,
  };
}

export const NO_FILTERS = { externalTables: [], externalEnums: [] };

/** Applies pending migrations (like `prisma migrate deploy`); returns the names applied. */
/**
 * `runScript` runs a migration's script whole instead of the adapter's executeScript (the
 * PostgreSQL adapter splits a script at every `;`, which cuts a function body in two).
 */
export async function applyMigrations(adapterFactory: SqlMigrationAwareDriverAdapterFactory, runScript?: (script: string) => Promise<void>): Promise<string[]> {
  // The engine takes an advisory lock on its connection and never closes it; disposing what it
  // opened ends that connection (and the lock) now, not when the pool's idle timer fires 10 s
  // later, so a second server opening the same database does not wait for it.
  const opened: { dispose(): Promise<void> }[] = [];
  const tracked: SqlMigrationAwareDriverAdapterFactory = {
    provider: adapterFactory.provider,
    adapterName: adapterFactory.adapterName,
    connect: async () => {
      const adapter = await adapterFactory.connect();
      opened.push(adapter);
      if (!runScript) return adapter;
      return new Proxy(adapter, { get: (target, key, receiver) => (key === "executeScript" ? runScript : Reflect.get(target, key, receiver)) });
    },
    connectToShadowDb: async () => {
      const adapter = await adapterFactory.connectToShadowDb();
      opened.push(adapter);
      return adapter;
    },
  };
  const engine = await openSchemaEngine(tracked);
  try {
    const out = await engine.applyMigrations({ migrationsList: await readMigrations(), filters: NO_FILTERS });
    return out.appliedMigrationNames;
  } finally {
    engine.free();
    await Promise.all(opened.map((a) => a.dispose().catch(() => undefined)));
  }
}
