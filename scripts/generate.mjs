// Runs `prisma generate` offline. The Prisma CLI insists that its native schema engine exists
// before generating, although generation itself runs in WebAssembly; that engine cannot be
// downloaded here, so point the check at an existing file (see README "Database").
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const schema = path.join(root, "prisma", "schema.prisma");
const out = path.join(root, "server", "db", "generated", "client.ts");
// Skip when the client is newer than the schema: builds stay fast.
if (existsSync(out) && statSync(out).mtimeMs >= statSync(schema).mtimeMs && !process.argv.includes("--force")) process.exit(0);

const env = { ...process.env, CHECKPOINT_DISABLE: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1" };
env.PRISMA_SCHEMA_ENGINE_BINARY ||= schema;
const cli = path.join(root, "node_modules", "prisma", "build", "index.js");
const r = spawnSync(process.execPath, [cli, "generate", "--schema", schema], { cwd: root, env, stdio: ["ignore", "inherit", "inherit"] });
process.exit(r.status ?? 1);
