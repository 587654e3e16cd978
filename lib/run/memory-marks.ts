// The process's resident memory as a run's operations go: read once when a
// quarter, a half, three quarters and all of the planned operations have
// completed. Past warm-up a run's memory should stay flat, whatever its
// length: every outcome goes to files as it comes, not into lists. The
// first reading is past the warm-up of a long run (its heap has grown to
// its working size), so from it to the last is what the operations added.

const MB = 1024 * 1024;
const QUARTERS = [0.25, 0.5, 0.75, 1];

export class MemoryMarks {
  /** The completed-operation counts at which to read (each at least 1, none repeated). */
  private readonly at: number[];
  private readonly rss: () => number;
  /** Resident memory in MB (to 0.1) at each mark passed so far. */
  readonly rssMb: number[] = [];

  /** `rss`: the process's resident set in bytes (process.memoryUsage.rss unless a test gives its own). */
  constructor(planned: number, rss: () => number = () => process.memoryUsage.rss()) {
    this.at = planned < 1 ? [] : [...new Set(QUARTERS.map((q) => Math.max(1, Math.round(planned * q))))];
    this.rss = rss;
  }

  /** `done` operations have completed: reads the memory for every mark that count passed. */
  passed(done: number): void {
    while (this.rssMb.length < this.at.length && done >= this.at[this.rssMb.length]!) {
      this.rssMb.push(Math.round((this.rss() / MB) * 10) / 10);
    }
  }
}
