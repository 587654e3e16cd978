// Faults on a real host's inbound replication (--faults, --delay), as a shim
// between the Replication stream and the host's replicas. The decisions are
// the core's (FaultShim for loss, duplication and reordering; the delay rules;
// the partition schedule); this file only turns them into timers:
// - a lost batch is never delivered, so never acknowledged: its sender resends it;
// - a duplicated batch is delivered twice; a reordered one waits 1..50 ms;
// - each write waits its link's delay before a replica takes it, and, while a
//   partition separates its origin from the replica, until it heals.
// Without faults or delays it adds nothing to the path.

import { makeDelayFn } from "../core/delay.js";
import { FaultShim, type FaultCounts } from "../core/fault-shim.js";
import { NO_FAULTS, partitioned, type FaultPlan } from "../core/fault-plan.js";
import { seededRandom } from "../core/random.js";

/** How long a held-back (reordered) batch waits at most. */
const REORDER_MS_MAX = 50;

export interface InjectorCounts extends FaultCounts {
  /** Deliveries held back by a partition until it healed. */
  partitioned: number;
}

export class FaultInjector {
  private readonly plan: FaultPlan;
  private readonly shim: FaultShim | undefined;
  private readonly delay: (origin: number, dest: number) => number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private partitionedCount = 0;
  /** Wall-clock start of the customers' run, from which partition schedules count; undefined until told. */
  private epochWallMs: number | undefined;

  constructor(plan: FaultPlan = NO_FAULTS, delaySpec = "", seed = 1, hostId = 0) {
    this.plan = plan;
    this.delay = makeDelayFn(delaySpec, seed);
    const faulty = plan.loss > 0 || plan.dup > 0 || plan.reorder > 0;
    this.shim = faulty
      ? new FaultShim(
        { lossRate: plan.loss, duplicateRate: plan.dup, reorderRate: plan.reorder, reorderMsMax: REORDER_MS_MAX },
        seededRandom((seed ^ (hostId * 0x9e3779b1)) >>> 0),
      )
      : undefined;
  }

  setEpoch(wallMs: number): void {
    this.epochWallMs ??= wallMs;
  }

  get counts(): InjectorCounts {
    return { lost: 0, duplicated: 0, reordered: 0, ...this.shim?.counts, partitioned: this.partitionedCount };
  }

  /**
   * Delivers a received batch as the faults say. Resolves true once every
   * copy is delivered (acknowledge it), false if the batch was lost.
   */
  async batch(deliver: () => Promise<void>): Promise<boolean> {
    const fate = this.shim?.fate() ?? { copies: 1, holdMs: 0 };
    if (fate.copies === 0) return false;
    if (fate.holdMs > 0) await this.after(fate.holdMs);
    await Promise.all(Array.from({ length: fate.copies }, deliver));
    return true;
  }

  /** Undefined when a write from `origin` may reach replica `dest` now; otherwise resolves when it may. */
  hold(origin: number, dest: number): Promise<void> | undefined {
    const ms = this.delay(origin, dest);
    if (ms <= 0 && this.partitionLeftMs(origin, dest) === undefined) return undefined;
    return this.after(ms).then(() => this.untilConnected(origin, dest));
  }

  private async untilConnected(origin: number, dest: number): Promise<void> {
    if (this.partitionLeftMs(origin, dest) !== undefined) this.partitionedCount++;
    for (let left = this.partitionLeftMs(origin, dest); left !== undefined; left = this.partitionLeftMs(origin, dest)) {
      await this.after(left + 1);
    }
  }

  private partitionLeftMs(origin: number, dest: number): number | undefined {
    if (this.epochWallMs === undefined || this.plan.partitions.length === 0) return undefined;
    return partitioned(this.plan, origin, dest, Date.now() - this.epochWallMs);
  }

  /** A timer that `stop` cancels (a cancelled wait never resolves: its delivery is dropped with the host). */
  private after(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
