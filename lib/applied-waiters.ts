// Requests parked until a replica has applied a given set of writes: the
// waiting half of the session gate, and of the run's quiescence barrier.
// Event-driven (the branch calls `notify` after it applies writes), never a
// poll, and every wait has a deadline.

import { covers, missingIds, type VersionVector } from "./version-vector.js";

export class WaitTimeout extends Error {
  readonly missing: string[];
  constructor(missing: string[], waitedMs: number) {
    super(`still missing ${missing.join(", ")} after ${Math.round(waitedMs)} ms`);
    this.name = "WaitTimeout";
    this.missing = missing;
  }
}

interface Waiter {
  need: VersionVector;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class AppliedWaiters {
  private readonly waiters = new Set<Waiter>();
  private readonly applied: () => ReadonlyMap<number, number>;

  constructor(applied: () => ReadonlyMap<number, number>) {
    this.applied = applied;
  }

  get size(): number {
    return this.waiters.size;
  }

  wait(need: VersionVector, timeoutMs: number): Promise<void> {
    if (covers(this.applied() as VersionVector, need)) return Promise.resolve();
    const started = performance.now();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        need,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new WaitTimeout(missingIds(this.applied() as VersionVector, need), performance.now() - started));
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
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  /** Fails every waiter (the branch is stopping). */
  rejectAll(err: Error): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiters.clear();
  }
}
