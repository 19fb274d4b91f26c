// Small pieces shared by the runner and the load-generating workers (no server imports here).

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- statistics -----------------------------------------------------------------------------

/** Latency histogram in 10 µs buckets up to 20 s: cheap to fill in hot loops, mergeable across processes. */
export class Histogram {
  static readonly STEP_MS = 0.01;
  static readonly BUCKETS = 2_000_000;
  counts = new Map<number, number>();
  n = 0;
  record(ms: number): void {
    const b = Math.min(Histogram.BUCKETS, Math.max(0, Math.round(ms / Histogram.STEP_MS)));
    this.counts.set(b, (this.counts.get(b) ?? 0) + 1);
    this.n++;
  }
  toJSON(): [number, number][] {
    return [...this.counts.entries()];
  }
  merge(pairs: [number, number][]): this {
    for (const [b, c] of pairs) {
      this.counts.set(b, (this.counts.get(b) ?? 0) + c);
      this.n += c;
    }
    return this;
  }
  /** The p-th percentile in ms (p in 0..100); NaN when empty. */
  pct(p: number): number {
    if (this.n === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.n));
    let seen = 0;
    for (const b of [...this.counts.keys()].sort((x, y) => x - y)) {
      seen += this.counts.get(b)!;
      if (seen >= rank) return b * Histogram.STEP_MS;
    }
    return NaN;
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** A text of about `size` characters carrying the send time, which receivers find with readStamp. */
export function stampedText(size = 60): string {
  const head = `~T${now().toFixed(3)}~ `;
  return head + "the quick brown fox jumps over the lazy dog 0123456789".repeat(4).slice(0, Math.max(1, size - head.length));
}
