// docs/guide.md stays true: every picture it references exists, every code quotation still
// matches its file, and the screenshot script runs (its quick mode) and writes real PNGs.
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { PACKAGE_ROOT } from "../server/paths.js";
import { killTree, spawnTracked } from "./helpers/children.js";
import { chromiumMissing } from "./helpers/browser.js";
import { hasTmux } from "./helpers/tmux.js";

const GUIDE = path.join(PACKAGE_ROOT, "docs", "guide.md");
const SCRIPT = path.join(PACKAGE_ROOT, "dist", "scripts", "screenshots", "run.js");
const hasChromium = chromiumMissing() === null;

test("every image docs/guide.md and the README reference exists in docs/images", async (t) => {
  const guide = await readFile(GUIDE, "utf8");
  const readme = await readFile(path.join(PACKAGE_ROOT, "README.md"), "utf8");
  const refs = [...guide.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => path.join(PACKAGE_ROOT, "docs", m[1]!));
  refs.push(...[...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => path.join(PACKAGE_ROOT, m[1]!)));
  t.true(refs.length >= 15, `the guide shows the situations (found ${refs.length} pictures)`);
  for (const file of refs) {
    const s = await stat(file).catch(() => null);
    t.truthy(s && s.size > 5000, `${path.relative(PACKAGE_ROOT, file)} exists and is a picture`);
  }
});

test("every code quotation in docs/guide.md still matches the file it names", async (t) => {
  const guide = await readFile(GUIDE, "utf8");
  const blocks = [...guide.matchAll(/```\w+ (\S+)\n([\s\S]*?)```/g)];
  t.true(blocks.length >= 20, `the walk-through quotes the code (found ${blocks.length} blocks)`);
  for (const [, file, body] of blocks) {
    const source = (await readFile(path.join(PACKAGE_ROOT, file!), "utf8")).split("\n").map((l) => l.trim());
    // "// …" marks lines left out; each part in between must appear as consecutive lines.
    const parts = body!.replace(/\n$/, "").split(/\n\s*\/\/ …\n/);
    for (const part of parts) {
      const lines = part.split("\n").map((l) => l.trim());
      const found = source.some((_, i) => lines.every((l, j) => source[i + j] === l));
      t.true(found, `${file}: the quotation starting "${lines[0]}" is not in the file any more`);
    }
  }
});

const shotsTest = hasTmux && hasChromium ? test : test.skip;
if (!hasTmux || !hasChromium) test.skip(`docs:screenshots --quick (skipped: ${!hasTmux ? "tmux" : "chromium"} is not installed)`, () => {});

shotsTest("npm run docs:screenshots --quick starts the server, chat-tui and the browser client and writes their pictures", async (t) => {
  t.timeout(180_000);
  const out = await mkdtemp(path.join(os.tmpdir(), "guide-shots-"));
  t.teardown(() => rm(out, { recursive: true, force: true }));
  const child = spawnTracked(process.execPath, [SCRIPT, "--quick", "--out", out], { stdio: ["ignore", "pipe", "pipe"] });
  // SIGTERM first: the script then stops its tmux servers (and the chat-server in one).
  t.teardown(() => killTree(child, "SIGTERM"));
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  t.is(code, 0, output);
  const files = (await readdir(out)).filter((f) => f.endsWith(".png")).sort();
  t.deepEqual(files, ["connected.png", "login.png", "server-logins.png", "server-start.png", "web-desktop-dark.png", "web-desktop.png", "web-phone-chats.png", "web-phone.png"]);
  for (const f of files) {
    const bytes = await readFile(path.join(out, f));
    t.is(bytes.subarray(1, 4).toString(), "PNG", `${f} is a PNG`);
    t.true(bytes.length > 5000, `${f} has content`);
  }
});
