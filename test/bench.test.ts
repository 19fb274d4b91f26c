// The benchmark harness. `npm test` only checks that it loads every benchmark and refuses a bad
// argument (seconds, so a loaded machine cannot push the suite past ava's timeout);
// `npm run bench:smoke` runs the whole suite once in quick mode and checks every figure.
// Timings are never asserted, and the runner is killed with its children if it overruns.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { PACKAGE_ROOT } from "../server/paths.js";
import { killTree, spawnTracked } from "./helpers/children.js";

const RUN = path.join(PACKAGE_ROOT, "dist", "scripts", "bench", "run.js");
const BENCHMARKS = ["fanout", "throughput", "connections", "history", "search", "conversations", "tui", "wire", "upload", "sshd", "sshd-views", "web"];
const SMOKE = process.env["BENCH_SMOKE"] === "1";

type Ref = { name: string; value: number | null; skipped?: string };
type Row = { bench: string; metric: string; value: number | null; skipped?: string; refs?: Ref[] };

/** Runs the bench runner; past `deadlineMs` its whole process group is killed and this rejects. */
function runBench(args: string[], deadlineMs: number, teardown: (fn: () => void) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnTracked(process.execPath, [RUN, ...args], { cwd: PACKAGE_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  teardown(() => killTree(child));
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killTree(child);
      reject(new Error(`bench ${args.join(" ")} did not finish within ${deadlineMs / 1000} s; killed. Output:\n${stderr.slice(-2000)}`));
    }, deadlineMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test("the bench runner loads every benchmark, lists them in its usage and refuses an unknown one", async (t) => {
  const help = await runBench(["--help"], 60_000, (fn) => t.teardown(fn));
  t.is(help.code, 0, help.stderr);
  for (const name of BENCHMARKS) t.true(help.stdout.includes(name), `usage names ${name}`);
  const bad = await runBench(["--only", "nosuch"], 60_000, (fn) => t.teardown(fn));
  t.not(bad.code, 0);
  t.regex(bad.stderr, /unknown benchmark "nosuch"; known: fanout/);
});

const smokeTest = SMOKE ? test : test.skip;
smokeTest("npm run bench -- --quick produces a figure (or a reason for its absence) for every benchmark and reference (npm run bench:smoke)", async (t) => {
  t.timeout(10 * 60_000);
  const dir = await mkdtemp(path.join(os.tmpdir(), "bench-test-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const out = path.join(dir, "results.json");
  const { code, stdout, stderr } = await runBench(["--quick", "--out", out], 9 * 60_000, (fn) => t.teardown(fn));
  t.is(code, 0, stderr.slice(-2000));
  const report = JSON.parse(await readFile(out, "utf8")) as { rows: Row[]; results: Record<string, { error?: string }>; machine: { nproc: number; cpu: string } };
  t.true(report.machine.nproc > 0 && report.machine.cpu.length > 0);
  for (const name of BENCHMARKS) {
    t.is(report.results[name]?.error, undefined, `${name} ran without failing`);
    const rows = report.rows.filter((r) => r.bench === name);
    t.true(rows.length > 0, `${name} produced rows`);
    for (const r of rows) {
      const label = `${name}: ${r.metric}`;
      // Only prerequisites outside the project (DATABASE_URL, tmux, ngircd) may skip a figure.
      if (r.value === null) t.regex(r.skipped ?? "", /^skipped: /, `${label} has a value or a skip reason`);
      else t.true(Number.isFinite(r.value), `${label} is a finite number`);
      for (const ref of r.refs ?? []) {
        if (ref.value === null) t.regex(ref.skipped ?? "", /^skipped: /, `${label}, reference ${ref.name}: a value or a skip reason`);
        else t.true(Number.isFinite(ref.value), `${label}, reference ${ref.name} is finite`);
      }
    }
  }
  t.regex(stdout, /benchmark\s+\| metric/, "the table is printed");
});
