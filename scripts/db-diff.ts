// Writes a new prisma/migrations/NNNN_<name>/migration.sql holding the SQL that takes the
// database from the existing migrations to prisma/schema.prisma (offline `prisma migrate dev
// --create-only`). Runs on an in-memory PGlite, so it needs no database server.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { MIGRATIONS_DIR, SCHEMA_PATH } from "../server/paths.js";
import { NO_FILTERS, openSchemaEngine, readMigrations } from "../server/db/schema-engine.js";

const name = (process.argv[2] ?? "").replace(/[^a-z0-9_]/gi, "_").toLowerCase();
if (!name) {
  console.error("usage: npm run db:diff -- <migration_name>");
  process.exit(2);
}
const pglite = new PGlite();
const engine = await openSchemaEngine(new PrismaPGlite(pglite));
const migrations = await readMigrations();
const result = await engine.diff({
  from: migrations.migrationDirectories.length ? { tag: "migrations", ...migrations } : { tag: "empty" },
  to: { tag: "schemaDatamodel", files: [{ path: SCHEMA_PATH, content: await readFile(SCHEMA_PATH, "utf8") }] },
  script: true,
  exitCode: null,
  filters: NO_FILTERS,
});
engine.free();
await pglite.close();
const sql = result.stdout ?? "";
if (!sql.trim() || /empty migration/i.test(sql)) {
  console.log("schema.prisma matches the migrations: nothing to write");
  process.exit(0);
}
const number = String(migrations.migrationDirectories.length + 1).padStart(4, "0");
const dir = path.join(MIGRATIONS_DIR, `${number}_${name}`);
await mkdir(dir, { recursive: true });
await writeFile(path.join(dir, "migration.sql"), sql);
await writeFile(path.join(MIGRATIONS_DIR, "migration_lock.toml"), 'provider = "postgresql"\n');
console.log(`wrote ${path.relative(process.cwd(), dir)}/migration.sql`);
