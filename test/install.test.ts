// chat-tui and chat-server as installed commands: the packed tarball holds what the commands
// need (and no tests), the bins resolve, and both run from any directory. With
// CHAT_INSTALL_TEST=1 the tarball is also installed into a temporary prefix (needs the npm
// registry or cache; about a minute) and the installed commands are run.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import test from "ava";
import { PACKAGE_ROOT } from "../server/paths.js";

const run = promisify(execFile);
type Pack = { filename: string; files: { path: string }[] };

test("npm pack holds dist (no tests), prisma and both bins; each bin runs --help from another directory", async (t) => {
  const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: PACKAGE_ROOT, maxBuffer: 16 << 20 });
  const [pack] = JSON.parse(stdout) as Pack[];
  const files = new Set(pack!.files.map((f) => f.path));
  const pkg = JSON.parse(await readFile(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
  t.deepEqual(Object.keys(pkg.bin).sort(), ["chat-server", "chat-tui"]);
  for (const bin of Object.values(pkg.bin)) {
    t.true(files.has(bin), `${bin} is in the tarball`);
    t.regex(await readFile(path.join(PACKAGE_ROOT, bin), "utf8"), /^#!\/usr\/bin\/env (-S )?node[ \n]/, `${bin} starts with a node shebang`);
  }
  t.true(files.has("prisma/schema.prisma") && [...files].some((f) => f.startsWith("prisma/migrations/")), "migrations ship");
  t.true([...files].some((f) => f.startsWith("dist/client/")), "the client core ships");
  t.false([...files].some((f) => f.endsWith(".test.js") || f.startsWith("dist/test/") || f.startsWith("dist/scripts/")), "no tests or benchmarks");

  const elsewhere = await mkdtemp(path.join(os.tmpdir(), "chat-cwd-"));
  t.teardown(() => rm(elsewhere, { recursive: true, force: true }));
  const tui = await run(process.execPath, [path.join(PACKAGE_ROOT, pkg.bin["chat-tui"]!), "--help"], { cwd: elsewhere });
  t.regex(tui.stdout, /chat-tui \[dashboard\] \[options\]/);
  t.regex(tui.stdout, /--bell/);
  const srv = await run(process.execPath, [path.join(PACKAGE_ROOT, pkg.bin["chat-server"]!), "--help"], { cwd: elsewhere });
  t.regex(srv.stdout, /chat-server/);
});

const full = process.env["CHAT_INSTALL_TEST"] === "1" ? test : test.skip;
full("the packed tarball installs into a user prefix and its commands run from another directory", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "chat-install-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], { cwd: PACKAGE_ROOT, maxBuffer: 16 << 20 });
  const tarball = path.join(dir, (JSON.parse(stdout) as Pack[])[0]!.filename);
  const prefix = path.join(dir, "prefix");
  await run("npm", ["install", "-g", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", tarball], { cwd: dir, timeout: 300_000, maxBuffer: 16 << 20 });
  for (const [bin, pattern] of [["chat-tui", /chat-tui \[dashboard\]/], ["chat-server", /chat-server/]] as const) {
    const r = await run(path.join(prefix, "bin", bin), ["--help"], { cwd: os.tmpdir() });
    t.regex(r.stdout, pattern);
  }
});
