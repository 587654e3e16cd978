// The benchmark's cases: the grid `bank-sim bench` runs by default, the long
// cases it runs only when named, and the quick grid of `--quick`. Data only,
// so the command line can name them in its help without loading the bench.

export interface BenchCase {
  name: string;
  branches: number;
  customers: number;
  events: number;
  /**
   * run (default): `--concurrent`, random target branches; sequential: the
   * course's mode, customers one after another, each at its own branch;
   * startup: no operations, against the limit's start-up; check: `bank-sim
   * check` on a synthetic history of customers × events operations.
   */
  kind?: "run" | "sequential" | "startup" | "check";
  /** Also run it with no operations, to report the CPU per operation beyond start-up. */
  marginal?: boolean;
  /** Always in memory (--no-durable), whatever the bench's flag. */
  inMemory?: boolean;
  /** Also run it with a tenth of the events, to report peak RSS at 10% against 100% of the operations (memory that grows per operation). */
  growth?: boolean;
}

export const GRID: readonly BenchCase[] = [
  { name: "b10-c10-e100", branches: 10, customers: 10, events: 100, marginal: true },
  { name: "b10-c64-e50", branches: 10, customers: 64, events: 50 },
  { name: "b100-c10-e100", branches: 100, customers: 10, events: 100, marginal: true },
  { name: "b1000-c10-e100", branches: 1000, customers: 10, events: 100, marginal: true },
  { name: "seq-b10-c10-e100", branches: 10, customers: 10, events: 100, kind: "sequential" },
  { name: "seq-b10-c10-e100-mem", branches: 10, customers: 10, events: 100, kind: "sequential", inMemory: true },
  { name: "startup-b10", branches: 10, customers: 10, events: 0, kind: "startup" },
  { name: "startup-b1000", branches: 1000, customers: 10, events: 0, kind: "startup" },
  { name: "check-1m", branches: 10, customers: 100, events: 10_000, kind: "check" },
];

/** Cases that run only when named with --case (minutes each). */
export const LONG_CASES: readonly BenchCase[] = [
  { name: "long-b10-c64-e1563", branches: 10, customers: 64, events: 1563, marginal: true, growth: true },
];

export const QUICK_GRID: readonly BenchCase[] = [
  { name: "quick-b4-c4-e10", branches: 4, customers: 4, events: 10 },
  { name: "quick-seq-b4-c4-e10", branches: 4, customers: 4, events: 10, kind: "sequential" },
  { name: "quick-startup-b4", branches: 4, customers: 4, events: 0, kind: "startup" },
  { name: "quick-check-10k", branches: 4, customers: 10, events: 1_000, kind: "check" },
];
