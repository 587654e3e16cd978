// Latency summaries on an HDR histogram (hdr-histogram-js), recorded in
// microseconds, reported in milliseconds.

// The 32-bit histogram that hdr.build() makes by default, imported alone: the
// package's index also loads its WebAssembly build, log reader and writer
// and their number formats, 35–50 ms of every run's start-up for nothing.
import { createRequire } from "node:module";

const { default: Int32Histogram } = createRequire(import.meta.url)("hdr-histogram-js/dist/Int32Histogram.js") as typeof import("hdr-histogram-js/dist/Int32Histogram.js");

/** As hdr.build({ numberOfSignificantValueDigits: 3 }): values from 1, 3 significant digits, growing as needed. */
function histogram() {
  const h = new Int32Histogram(1, 2, 3);
  h.autoResize = true;
  return h;
}

/** A distribution in ms; with nothing recorded, every figure is null (there is none), never 0. */
export type LatencySummary =
  | { count: number; p50Ms: number; p99Ms: number; maxMs: number; meanMs: number }
  | { count: 0; p50Ms: null; p99Ms: null; maxMs: null; meanMs: null };

export class LatencyStats {
  private readonly h = histogram();

  record(ms: number): void {
    this.h.recordValue(Math.max(0, Math.round(ms * 1000)));
  }

  summary(): LatencySummary {
    const ms = (us: number) => Math.round(us) / 1000;
    if (this.h.totalCount === 0) return { count: 0, p50Ms: null, p99Ms: null, maxMs: null, meanMs: null };
    // A percentile is the top of its bucket ("equivalent values"), which can
    // lie above the largest value recorded: never report more than the max.
    const max = this.h.maxValue;
    return {
      count: this.h.totalCount,
      p50Ms: ms(Math.min(this.h.getValueAtPercentile(50), max)),
      p99Ms: ms(Math.min(this.h.getValueAtPercentile(99), max)),
      maxMs: ms(max),
      meanMs: ms(this.h.mean),
    };
  }
}

/**
 * Propagation lag: from a write's acceptance at its origin to its application
 * at the last replica. Keeps only writes not yet everywhere.
 */
export class PropagationLag {
  private readonly replicas: number;
  private readonly seen = new Map<string, number>();
  readonly stats = new LatencyStats();

  constructor(replicas: number) {
    this.replicas = replicas;
  }

  /** `replicas` more replicas applied write `id` at `appliedAtMs`. */
  applied(id: string, acceptedAtMs: number, appliedAtMs: number, replicas = 1): void {
    const n = (this.seen.get(id) ?? 0) + replicas;
    if (n >= this.replicas) {
      this.seen.delete(id);
      this.stats.record(appliedAtMs - acceptedAtMs);
    } else this.seen.set(id, n);
  }

  /** Writes not yet applied everywhere. */
  get incomplete(): number {
    return this.seen.size;
  }
}
