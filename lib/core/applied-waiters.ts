// Requests parked until a replica has applied a given set of writes: the
// waiting half of the session gate, and of the run's quiescence barrier.
// Event-driven (the branch calls `notify` after it applies writes), never a
// poll, and every wait has a deadline.
//
// Time comes from a Clock: the real one (performance.now, Date.now,
// setTimeout) unless a deterministic simulator injects virtual time
// (lib/sim/virtual-clock.ts).

import { MAX_WAITERS } from "./limits.js";
import { covers, missingIds, type VersionVector } from "./version-vector.js";

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
  need: VersionVector;
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
    if (covers(this.applied() as VersionVector, need)) return Promise.resolve();
    if (this.waiters.size >= this.max) return Promise.reject(new WaitersFull(`${this.waiters.size} requests are already waiting here (at most ${this.max})`));
    const clock = this.clock;
    const started = clock.now();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        need,
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
    const applied = this.applied() as VersionVector;
    for (const w of this.waiters) {
      if (covers(applied, w.need)) {
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
