// The faults of a branch's machine that strike at random times, as the
// partition scheduler strikes the network (lib/sim/faults.ts): every gap, a
// random branch loses power or its process is killed (a coin decides), or
// its disk fills up (room for a few more
// bytes, then short writes and ENOSPC, until the branch restarts). Faults
// counted in appends, torn writes and failed fsyncs live in the disk itself
// (lib/sim/sim-disk.ts, armed by lib/sim/sim-branches.ts). Stopped when the
// workload ends, so that the run can settle.

import type { CrashProfile, DiskProfile } from "./faults.js";
import type { VirtualClock } from "./virtual-clock.js";

/** What the scheduler does to machines (lib/sim/sim-branches.ts). */
export interface Machines {
  crash(id: number, how: "power" | "kill"): void;
  fillDisk(id: number, roomBytes: number): void;
}

export class MachineFaults {
  /** Disks filled so far. */
  fills = 0;
  private readonly timers: unknown[] = [];
  private stopped = false;

  constructor(
    private readonly clock: VirtualClock,
    private readonly random: () => number,
    private readonly machines: Machines,
    private readonly branchIds: readonly number[],
  ) {}

  start(disk: DiskProfile, crashes: CrashProfile): void {
    const full = disk.full;
    if (full !== null) {
      this.every(full.gapMsMin, full.gapMsMax, (id) => {
        this.fills++;
        this.machines.fillDisk(id, Math.floor(this.random() * (full.roomBytesMax + 1)));
      });
    }
    const byTime = crashes.byTime;
    if (byTime !== null) this.every(byTime.gapMsMin, byTime.gapMsMax, (id) => this.machines.crash(id, this.random() < 0.5 ? "power" : "kill"));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) this.clock.clearTimeout(t);
  }

  /** Every gap (uniform in [lo, hi]), strikes one branch at random. */
  private every(lo: number, hi: number, strike: (id: number) => void): void {
    const slot = this.timers.length;
    const next = () => {
      if (this.stopped) return;
      this.timers[slot] = this.clock.setTimeout(() => {
        strike(this.branchIds[Math.floor(this.random() * this.branchIds.length)]!);
        next();
      }, lo + this.random() * (hi - lo));
    };
    this.timers.push(undefined);
    next();
  }
}
