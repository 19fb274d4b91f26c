// The benchmark suite: `npm run bench [-- --quick] [--only fanout,wire] [--out file.json]`.
// Runs each benchmark with its references, prints a table and writes the figures as JSON.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { PACKAGE_ROOT } from "../../server/paths.js";
import { connections } from "./connections.js";
import { conversations } from "./conversations.js";
import { fanout } from "./fanout.js";
import { joins } from "./joins.js";
import { history } from "./history.js";
import { search } from "./search.js";
import { fdLimit, killAll, pendingDrops, machine, makeTmp, ratio, targetRatio, verdict, type BenchOutput, type Ctx, type Row } from "./lib.js";
import { sshd } from "./sshd.js";
import { sshdViews } from "./sshd-views.js";
import { throughput } from "./throughput.js";
import { tui } from "./tui.js";
import { uploadRtt } from "./upload.js";
import { web } from "./web.js";
import { wire } from "./wire.js";

const BENCHMARKS: Record<string, (ctx: Ctx) => Promise<BenchOutput>> = { fanout, joins, throughput, connections, history, search, conversations, tui, wire, upload: uploadRtt, sshd, "sshd-views": sshdViews, web };

function parseArgs(argv: string[]) {
  const opts = { quick: false, profile: false, only: Object.keys(BENCHMARKS), out: "" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => (a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i] ?? "");
    if (a === "--quick") opts.quick = true;
    else if (a === "--profile") opts.profile = true;
    else if (a.startsWith("--only")) opts.only = value().split(",").map((s) => s.trim()).filter(Boolean);
    else if (a.startsWith("--out")) opts.out = value();
    else if (a === "--help" || a === "-h") {
      console.log(`usage: npm run bench -- [--quick] [--only ${Object.keys(BENCHMARKS).join(",")}] [--out results.json] [--profile]`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  for (const name of opts.only) if (!BENCHMARKS[name]) throw new Error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHMARKS).join(", ")}`);
  return opts;
}

const fmt = (v: number | null | undefined): string => {
  if (v === null || v === undefined || !Number.isFinite(v)) return "-";
  const a = Math.abs(v);
  if (a >= 100_000) return `${(v / 1000).toFixed(0)}k`;
  if (a >= 10_000) return `${(v / 1000).toFixed(1)}k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
};

function table(rows: Row[]): string {
  const head = ["benchmark", "metric", "value", "reference(s)", "ratio", "target", "vs target", "verdict"];
  const body = rows.map((r) => [
    r.bench,
    r.metric,
    r.value === null ? r.skipped ?? "skipped" : `${fmt(r.value)} ${r.unit}`,
    (r.refs ?? []).map((x) => `${x.name} ${x.value === null ? `(${x.skipped ?? "skipped"})` : fmt(x.value)}`).join("; ") || "-",
    (r.refs ?? []).map((x) => (ratio(r, x) === null ? "-" : `x${fmt(ratio(r, x))}`)).join("; ") || "-",
    r.target?.text ?? "-",
    targetRatio(r) === null ? "-" : `${fmt(targetRatio(r))}`,
    verdict(r),
  ]);
  const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...body.map((b) => b[i]!.length))));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("-|-"), ...body.map(line)].join("\n");
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = new Date();
  const out = opts.out || path.join(PACKAGE_ROOT, "bench-results", `${started.toISOString().replace(/[:.]/g, "-")}${opts.quick ? "-quick" : ""}.json`);
  const { tmp, cleanup } = await makeTmp();
  const ctx: Ctx = { quick: opts.quick, profile: opts.profile, tmp, log: (m) => process.stderr.write(`[bench ${((Date.now() - started.getTime()) / 1000).toFixed(0)}s] ${m}\n`) };
  let interrupted = false;
  const stop = (signal: string) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`bench: ${signal}, stopping every child process\n`);
    killAll();
    const drops = Promise.all([...pendingDrops].map((d) => d().catch(() => undefined)));
    void Promise.race([drops, new Promise((r) => setTimeout(r, 5000))]).then(cleanup).finally(() => process.exit(130));
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.on("exit", killAll);
  process.on("uncaughtException", (e: Error & { code?: string }) => {
    // Dropping a benchmark's database WITH (FORCE) terminates connections still open to it; an
    // idle pool client reports that as an error no one awaits. Anything else stops the run.
    if (e.code === "57P01") return;
    process.stderr.write(`bench: ${e.stack ?? e.message}\n`);
    stop("an uncaught exception");
  });

  const results: Record<string, BenchOutput & { seconds: number; error?: string }> = {};
  const rows: Row[] = [];
  try {
    for (const name of opts.only) {
      const t0 = Date.now();
      ctx.log(`${name}: start${opts.quick ? " (quick)" : ""}`);
      try {
        const r = await BENCHMARKS[name]!(ctx);
        results[name] = { ...r, seconds: (Date.now() - t0) / 1000 };
        rows.push(...r.rows);
      } catch (e) {
        // One broken benchmark does not hide the others; its failure is in the table and the JSON.
        const error = (e as Error).stack ?? String(e);
        ctx.log(`${name}: FAILED ${error}`);
        results[name] = { rows: [], seconds: (Date.now() - t0) / 1000, error };
        rows.push({ bench: name, metric: "(failed)", unit: "", value: null, skipped: `failed: ${(e as Error).message.split("\n")[0]}` });
        process.exitCode = 1;
      }
      killAll(); // nothing a benchmark started outlives it
    }
  } finally {
    killAll();
    // Databases of a benchmark that failed between creating and dropping them.
    await Promise.all([...pendingDrops].map((d) => d().catch(() => undefined)));
    await cleanup();
  }
  const report = {
    date: started.toISOString(),
    quick: opts.quick,
    machine: { ...machine(), openFilesLimit: fdLimit() },
    seconds: (Date.now() - started.getTime()) / 1000,
    rows: rows.map((r) => ({ ...r, ratios: (r.refs ?? []).map((x) => ({ name: x.name, ratio: ratio(r, x) })), targetRatio: targetRatio(r), verdict: verdict(r) })),
    results,
  };
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(report, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2)}\n`);
  const m = report.machine;
  console.log(`\nsocket-messenger benchmarks, ${report.date}${opts.quick ? " (quick)" : ""}: ${m.nproc} x ${m.cpu}, ${m.ramGiB} GiB, node ${m.node}\n`);
  console.log(table(rows));
  console.log(`\n${report.seconds.toFixed(0)} s; results in ${out}`);
}

await main();
