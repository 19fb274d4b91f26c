// Locations inside the installed package, resolved the same from sources and from dist/.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "prisma"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package root above ${start}`);
    dir = parent;
  }
}

/** The directory holding package.json and prisma/. */
export const PACKAGE_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));
export const PRISMA_DIR = path.join(PACKAGE_ROOT, "prisma");
export const SCHEMA_PATH = path.join(PRISMA_DIR, "schema.prisma");
export const MIGRATIONS_DIR = path.join(PRISMA_DIR, "migrations");
