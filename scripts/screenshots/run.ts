// npm run docs:screenshots: drives the real programs through the guide's situations and writes
// one PNG per picture to docs/images/ (--out elsewhere; --quick: the first few, for CI).
import path from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { PACKAGE_ROOT } from "../../server/paths.js";
import { startRenderer } from "./render.js";
import { SCENES, type Cast } from "./scenes.js";
import { Stage } from "./stage.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("docs:screenshots")
  .options({
    out: { type: "string", default: path.join(PACKAGE_ROOT, "docs", "images"), describe: "directory for the PNGs" },
    quick: { type: "boolean", default: false, describe: "only the scenes marked quick (server start, login, connected, the browser client): the CI check" },
    only: { type: "string", describe: "comma-separated scene ids (scenes before them still run: the story builds up)" },
  })
  .strict()
  .help()
  .parseAsync();

const log = (line: string) => process.stdout.write(`${line}\n`);
const started = Date.now();
const scenes = SCENES.filter((s) => !argv.quick || s.quick);
const renderer = await startRenderer();
const stage = await Stage.create(path.resolve(argv.out), renderer, log);
let failed = false;
// Ctrl+C or a test's SIGTERM: stop the tmux servers (and with them chat-server) before exiting.
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    void stage.close().finally(() => renderer.close()).finally(() => process.exit(130));
  });
}
try {
  // Loose limits for a scripted story that sends in bursts; file chunks slowed to 2.5 MiB/s
  // so the transfer's progress line stays on screen long enough to be pictured.
  await stage.startServer({ CHAT_RATE_LIMITS: JSON.stringify({ messages: { points: 300 }, registrationsPerAddress: { points: 100 }, fileChunks: { points: 400, windowSec: 10 } }) });
  const cast: Cast = {};
  const wanted = argv.only ? new Set(argv.only.split(",").map((s) => s.trim())) : null;
  for (const scene of scenes) {
    const why = scene.missing?.() ?? null;
    if (why) {
      log(`skipped ${scene.id}: ${why}`);
      continue;
    }
    log(`scene ${scene.id}: ${scene.about}`);
    // A scene that is not wanted still runs (later ones build on it) but takes no pictures.
    stage.picturing = !wanted || wanted.has(scene.id);
    await scene.run(stage, cast);
  }
  log(`${stage.written.length} pictures in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (e) {
  failed = true;
  process.stderr.write(`docs:screenshots failed: ${(e as Error).stack ?? String(e)}\n`);
  // What every terminal showed at that moment: usually the quickest way to see what went wrong.
  for (const p of stage.panes) process.stderr.write(`--- ${p.title}\n${await p.screen().catch(() => "(gone)\n")}`);
} finally {
  await stage.close();
  await renderer.close();
}
process.exit(failed ? 1 : 0);
