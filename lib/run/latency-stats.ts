// Latency summaries on an HDR histogram (hdr-histogram-js), recorded in
// microseconds, reported in milliseconds.

import * as hdr from "hdr-histogram-js";

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export class LatencyStats {
  private readonly h = hdr.build({ numberOfSignificantValueDigits: 3 });

  record(ms: number): void {
    this.h.recordValue(Math.max(0, Math.round(ms * 1000)));
  }

  summary(): LatencySummary {
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      count: this.h.totalCount,
      p50Ms: this.h.totalCount ? ms(this.h.getValueAtPercentile(50)) : 0,
      p99Ms: this.h.totalCount ? ms(this.h.getValueAtPercentile(99)) : 0,
      maxMs: this.h.totalCount ? ms(this.h.maxValue) : 0,
      meanMs: this.h.totalCount ? ms(this.h.mean) : 0,
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

  applied(id: string, acceptedAtMs: number, appliedAtMs: number): void {
    const n = (this.seen.get(id) ?? 0) + 1;
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
