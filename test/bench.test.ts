// The benchmark suite runs (npm run bench -- --quick) and every benchmark produces its figures:
// numbers that are present and finite, or an explicit reason for a skip. Timings are never asserted.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import test from "ava";
import { PACKAGE_ROOT } from "../server/paths.js";

const exec = promisify(execFile);
const RUN = path.join(PACKAGE_ROOT, "dist", "scripts", "bench", "run.js");
const BENCHMARKS = ["fanout", "throughput", "connections", "history", "tui", "wire"];

type Ref = { name: string; value: number | null; skipped?: string };
type Row = { bench: string; metric: string; value: number | null; skipped?: string; refs?: Ref[] };

test("npm run bench -- --quick produces a figure (or a reason for its absence) for every benchmark and reference", async (t) => {
  t.timeout(4 * 60_000);
  const dir = await mkdtemp(path.join(os.tmpdir(), "bench-test-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const out = path.join(dir, "results.json");
  const { stdout } = await exec(process.execPath, [RUN, "--quick", "--out", out], { cwd: PACKAGE_ROOT, timeout: 3.5 * 60_000, maxBuffer: 16 * 2 ** 20 });
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
