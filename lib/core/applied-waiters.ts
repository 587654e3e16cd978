// Requests parked until a replica has applied a given set of writes: the
// waiting half of the session gate, and of the run's quiescence barrier.
// Event-driven (the branch calls `notify` after it applies writes), never a
// poll, and every wait has a deadline.
//
// Time comes from a Clock: the real one (performance.now, Date.now,
// setTimeout) unless a deterministic simulator injects virtual time
// (lib/sim/virtual-clock.ts).

import { MAX_WAITERS } from "./limits.js";
import { missingIds, type VersionVector } from "./version-vector.js";

export interface Clock {
  /** Monotonic milliseconds, for measuring waits (performance.now()). */
  now(): number;
  /** Wall-clock milliseconds since the epoch (Date.now()). */
  wallNow(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const REAL_CLOCK: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class WaitTimeout extends Error {
  readonly missing: string[];
  constructor(missing: string[], waitedMs: number) {
    super(`still missing ${missing.join(", ")} after ${Math.round(waitedMs)} ms`);
    this.name = "WaitTimeout";
    this.missing = missing;
  }
}

/** The branch already holds as many waiting requests as it may. */
export class WaitersFull extends Error {
  override name = "WaitersFull";
}

interface Waiter {
  /** The entries of the need not yet applied: a notify looks only at these (a read set names every branch; a wait lacks a few). */
  missing: VersionVector;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: unknown;
}

export class AppliedWaiters {
  private readonly waiters = new Set<Waiter>();
  private readonly applied: () => ReadonlyMap<number, number>;
  private readonly clock: Clock;
  private readonly max: number;

  constructor(applied: () => ReadonlyMap<number, number>, clock: Clock = REAL_CLOCK, max = MAX_WAITERS) {
    this.applied = applied;
    this.clock = clock;
    this.max = max;
  }

  get size(): number {
    return this.waiters.size;
  }

  wait(need: VersionVector, timeoutMs: number): Promise<void> {
    const missing = stillMissing(this.applied(), need);
    if (missing.size === 0) return Promise.resolve();
    if (this.waiters.size >= this.max) return Promise.reject(new WaitersFull(`${this.waiters.size} requests are already waiting here (at most ${this.max})`));
    const clock = this.clock;
    const started = clock.now();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        missing,
        resolve,
        reject,
        timer: clock.setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new WaitTimeout(missingIds(this.applied() as VersionVector, need), clock.now() - started));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Wakes every waiter whose set is now applied. */
  notify(): void {
    if (this.waiters.size === 0) return;
    const applied = this.applied();
    for (const w of this.waiters) {
      for (const [branch, seq] of w.missing) if ((applied.get(branch) ?? 0) >= seq) w.missing.delete(branch);
      if (w.missing.size === 0) {
        this.clock.clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  /** Fails every waiter (the branch is stopping). */
  rejectAll(err: Error): void {
    for (const w of this.waiters) {
      this.clock.clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiters.clear();
  }
}

/** The entries of `need` that `applied` does not cover yet. */
function stillMissing(applied: ReadonlyMap<number, number>, need: VersionVector): VersionVector {
  const missing: VersionVector = new Map();
  for (const [branch, seq] of need) if ((applied.get(branch) ?? 0) < seq) missing.set(branch, seq);
  return missing;
}
