// Where a thread's next fdatasync runs: in place, blocking the thread for the
// sync itself, or on libuv's thread pool, which leaves the thread free but
// costs a thread wake-up each way (on two busy cores, a scheduler slice
// each) on the path of every durable reply. In place, while the thread's
// recent syncs have been quick: a group commit then blocks the thread for
// under a millisecond, in which requests queue and join the next commit.
// On a slow disk, and while any sync of the thread is still out on the pool,
// they go to the pool, so that a disk that stalls never stalls the thread's
// other branches with it. Pure: the caller times each sync.
//
// Measured (the seed's workload, sequential, durable, four interleaved runs
// each, medians): always on the pool against this, wall 2.20 → 1.99 s,
// latency p50 1.55 → 1.44 ms (with the 4 ms gather window: 2.12 → 1.95 s,
// 1.47 → 1.37 ms); concurrent at 10 branches unchanged (1.39 s both). Syncs
// here average 0.3 to 0.9 ms in a run; a limit of 1 ms did as well as 2.
// Group commit holds in place (requests that queued while a sync blocked
// arrive together, and share the next): b10-c64-e50 made 1,469 fdatasync
// calls for its 3,200 operations on the pool, 1,462 in place (strace -c);
// deferring each in-place sync to the end of the loop's turn (setImmediate)
// made 1,453 and measured no faster.

/** Past this (a moving average of the thread's recent syncs, ms), every sync goes to the pool. */
export const IN_PLACE_SYNC_MAX_MS = 1;
/** The weight of the latest sync in that average. */
const WEIGHT = 0.2;

export class SyncPlacement {
  private inFlight = 0;
  private averageMs = 0;

  /** Whether the next sync should run in place. */
  inPlace(): boolean {
    return this.inFlight === 0 && this.averageMs < IN_PLACE_SYNC_MAX_MS;
  }

  /** A sync went to the pool. */
  started(): void {
    this.inFlight++;
  }

  /** A sync ended (`pooled`: one that `started` counted), having taken `ms`. */
  ended(ms: number, pooled: boolean): void {
    if (pooled) this.inFlight--;
    this.averageMs += WEIGHT * (ms - this.averageMs);
  }

  /** The moving average of recent syncs, ms. */
  get recentMs(): number {
    return this.averageMs;
  }
}
