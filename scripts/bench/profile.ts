// Reads a V8 .cpuprofile (node --cpu-prof) and lists the functions with the most self time.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };

export type Frame = { fn: string; where: string; selfPct: number };

/** Top frames by self time, over every profile written to `dir`; package paths are shortened. */
export async function topFrames(dir: string, n = 12): Promise<Frame[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".cpuprofile"));
  const self = new Map<string, { fn: string; where: string; us: number }>();
  let total = 0;
  for (const f of files) {
    const p = JSON.parse(await readFile(path.join(dir, f), "utf8")) as Profile;
    const byId = new Map(p.nodes.map((x) => [x.id, x]));
    p.samples.forEach((id, i) => {
      const node = byId.get(id);
      if (!node) return;
      const dt = p.timeDeltas[i] ?? 0;
      total += dt;
      const { functionName, url, lineNumber } = node.callFrame;
      const short = url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/dist\//, "dist/");
      const key = `${functionName}|${short}:${lineNumber + 1}`;
      const e = self.get(key) ?? { fn: functionName || "(anonymous)", where: short ? `${short}:${lineNumber + 1}` : "", us: 0 };
      e.us += dt;
      self.set(key, e);
    });
  }
  return [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, n)
    .map((e) => ({ fn: e.fn, where: e.where, selfPct: Math.round((e.us / Math.max(1, total)) * 1000) / 10 }));
}

/** Self time grouped by package (node_modules/<pkg>), our code, and V8/Node internals. */
export async function byPackage(dir: string): Promise<Record<string, number>> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".cpuprofile"));
  const sums = new Map<string, number>();
  let total = 0;
  for (const f of files) {
    const p = JSON.parse(await readFile(path.join(dir, f), "utf8")) as Profile;
    const byId = new Map(p.nodes.map((x) => [x.id, x]));
    p.samples.forEach((id, i) => {
      const url = byId.get(id)?.callFrame.url ?? "";
      const dt = p.timeDeltas[i] ?? 0;
      total += dt;
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
      const key = m ? m[1]! : url.includes("/dist/") ? "socket-messenger" : url.startsWith("node:") ? "node core" : url ? "other" : "(program/gc/idle)";
      sums.set(key, (sums.get(key) ?? 0) + dt);
    });
  }
  return Object.fromEntries([...sums.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([k, v]) => [k, Math.round((v / Math.max(1, total)) * 1000) / 10]));
}
