// Virtual time for the deterministic simulator: a Clock (lib/applied-waiters.ts)
// whose timers sit in a priority queue and fire only when the simulator steps
// it. Time jumps straight to the next timer, so a run of simulated minutes
// takes milliseconds, and ties break by creation order, so a run replays
// exactly (FoundationDB's simulated clock, TigerBeetle's VOPR time).

import type { Clock } from "../core/applied-waiters.js";

/** Virtual wall clock at virtual time 0 (2023-11-14T22:13:20Z): any fixed value keeps histories byte-identical. */
export const VIRTUAL_EPOCH_MS = 1_700_000_000_000;

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class VirtualClock implements Clock {
  private time = 0;
  private seq = 0;
  private live = 0;
  private readonly heap: Timer[] = [];
  /** Timers fired so far. */
  fired = 0;

  now(): number {
    return this.time;
  }

  wallNow(): number {
    return VIRTUAL_EPOCH_MS + this.time;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    // Whole microseconds: times in the history stay short and exact.
    const timer: Timer = { at: Math.round((this.time + delay) * 1000) / 1000, seq: this.seq++, fn, cancelled: false };
    this.push(timer);
    this.live++;
    return timer;
  }

  clearTimeout(handle: unknown): void {
    const timer = handle as Timer | undefined;
    if (timer === undefined || timer.cancelled) return;
    timer.cancelled = true;
    this.live--;
  }

  /** Timers set and not yet fired or cancelled. */
  get pending(): number {
    return this.live;
  }

  /** Advances to the earliest live timer and runs it; false when none is left. */
  step(): boolean {
    for (;;) {
      const timer = this.pop();
      if (timer === undefined) return false;
      if (timer.cancelled) continue;
      timer.cancelled = true; // fired: a later clearTimeout is a no-op
      this.live--;
      this.time = timer.at;
      this.fired++;
      timer.fn();
      return true;
    }
  }

  private before(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(timer: Timer): void {
    const h = this.heap;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent]!;
      if (!this.before(timer, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = timer;
  }

  private pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const child = r < h.length && this.before(h[r]!, h[l]!) ? r : l;
      if (!this.before(h[child]!, last)) break;
      h[i] = h[child]!;
      i = child;
    }
    h[i] = last;
    return top;
  }
}
