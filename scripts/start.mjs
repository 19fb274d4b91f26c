// `npm start`: runs the built server (dist/, built at install by `prepare`); builds once first
// only when dist is missing or older than the sources, and says so.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cli = path.join(root, "dist", "server", "cli.js");
// Written by the last step of `npm run build`.
const built = path.join(root, "dist", ".built");

/** The newest modification time of the files the server is built from. */
function newestSource() {
  let newest = 0;
  const visit = (p) => {
    const s = statSync(p, { throwIfNoEntry: false });
    if (!s) return;
    if (s.isDirectory()) {
      // The generated Prisma client is an output of the build, not a source.
      if (path.basename(p) === "generated" || path.basename(p) === "node_modules") return;
      for (const name of readdirSync(p)) visit(path.join(p, name));
    } else if (/\.(ts|mts|prisma|sql)$/.test(p) || path.basename(p) === "tsconfig.json") {
      newest = Math.max(newest, s.mtimeMs);
    }
  };
  for (const p of ["server", "prisma", "tsconfig.json"]) visit(path.join(root, p));
  return newest;
}

const why = !existsSync(cli) || !existsSync(built)
  ? "there is no complete build yet (dist/ is missing or unfinished)"
  : statSync(built).mtimeMs < newestSource() ? "the sources changed since the last build" : null;
if (why) {
  process.stderr.write(`chat-server: ${why}; building once (npm run build)\n`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npm, ["run", "build"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) {
    process.stderr.write("chat-server: the build failed (see above); fix it, or run `npm run build` to see it again.\n");
    process.exit(r.status ?? 1);
  }
}

// In this process, so that signals reach the server directly.
process.argv = [process.argv[0], cli, "serve", ...process.argv.slice(2)];
await import(pathToFileURL(cli).href);
