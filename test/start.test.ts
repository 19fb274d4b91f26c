// `npm start` runs the built server: it builds only when dist/ is missing or older than the
// sources, and says so. Checked on a copy of scripts/start.mjs in a scratch package whose
// "build" is a stand-in, so the test never rebuilds the real dist/ other tests run from.
import { copyFile, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { PACKAGE_ROOT } from "../server/paths.js";
import { killTree, spawnTracked } from "./helpers/children.js";

const BUILD = `
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
if (process.env.FAIL_BUILD) process.exit(3);
appendFileSync("builds.log", "built\\n");
mkdirSync("dist/server", { recursive: true });
writeFileSync("dist/server/cli.js", "console.log('served ' + JSON.stringify(process.argv.slice(2)));\\n");
writeFileSync("dist/.built", "");
`;

async function scratchPackage(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "chat-start-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, "scripts"));
  await mkdir(path.join(dir, "server"));
  await copyFile(path.join(PACKAGE_ROOT, "scripts", "start.mjs"), path.join(dir, "scripts", "start.mjs"));
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module", scripts: { build: "node build.mjs" } }));
  await writeFile(path.join(dir, "build.mjs"), BUILD);
  await writeFile(path.join(dir, "server", "main.ts"), "export {};\n");
  return dir;
}

function start(t: { teardown(fn: () => void): void }, dir: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const child = spawnTracked(process.execPath, [path.join(dir, "scripts", "start.mjs"), "--port", "4321"], { cwd: dir, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  t.teardown(() => killTree(child));
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`start.mjs did not finish in 60 s: ${out}`)), 60_000);
    child.on("close", (code) => (clearTimeout(timer), resolve({ code, out })));
  });
}

const builds = async (dir: string) => (await readFile(path.join(dir, "builds.log"), "utf8").catch(() => "")).split("\n").filter(Boolean).length;

test("npm start is the built server: no build step in the script, and prepare builds at install", async (t) => {
  const pkg = JSON.parse(await readFile(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string>; engines: { node: string } };
  t.is(pkg.scripts["start"], "node scripts/start.mjs");
  t.is(pkg.scripts["prepare"], "npm run build");
  t.regex(pkg.scripts["build"]!, /node scripts\/built\.mjs$/, "a build marks when it finished");
  t.is(pkg.engines.node, "^20.19 || ^22.12 || >=24");
});

test("start builds once when dist is missing or older than the sources, and otherwise just serves", async (t) => {
  const dir = await scratchPackage(t);
  const first = await start(t, dir);
  t.is(first.code, 0, first.out);
  t.regex(first.out, /there is no complete build yet \(dist\/ is missing or unfinished\); building once \(npm run build\)/);
  t.regex(first.out, /served \["serve","--port","4321"\]/);
  t.is(await builds(dir), 1);

  const second = await start(t, dir);
  t.is(second.code, 0, second.out);
  t.notRegex(second.out, /building/);
  t.regex(second.out, /served \["serve","--port","4321"\]/);
  t.is(await builds(dir), 1, "an up-to-date dist is not rebuilt");

  const later = new Date(Date.now() + 60_000);
  await utimes(path.join(dir, "server", "main.ts"), later, later);
  const third = await start(t, dir);
  t.regex(third.out, /the sources changed since the last build; building once/);
  t.regex(third.out, /served/);
  t.is(await builds(dir), 2);
});

test("start says so and exits when the build fails, without serving a stale dist", async (t) => {
  const dir = await scratchPackage(t);
  const r = await start(t, dir, { FAIL_BUILD: "1" });
  t.not(r.code, 0);
  t.regex(r.out, /the build failed \(see above\)/);
  t.notRegex(r.out, /served/);
});
