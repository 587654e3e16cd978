// Lamport's logical clock (Lamport 1978, "Time, Clocks, and the Ordering of
// Events in a Distributed System"), as the course's Project 2 uses it: every
// process (customer and branch) keeps one. A send ticks the clock and stamps
// the message with it; a receive sets it to max(local, stamp) + 1. Pure.
//
// A branch propagates a write to every other branch, one send event per
// replica, in ascending branch id order: the write carries the clock of the
// first send, and `sendStamp` gives the stamp each replica's send had.

export class LamportClock {
  private clock: number;

  /** `start`: the value the clock resumes from (a restarted branch's largest logged clock). */
  constructor(start = 0) {
    this.clock = start;
  }

  get value(): number {
    return this.clock;
  }

  /** A local or send event: the clock ticks; the event (and its message) carries the new value. */
  tick(): number {
    return ++this.clock;
  }

  /** `count` send events in a row (one per destination): returns the first one's clock. */
  sends(count: number): number {
    const first = this.clock + 1;
    this.clock += count;
    return first;
  }

  /** A receive event of a message stamped `stamp`: max(local, stamp) + 1. */
  receive(stamp: number): number {
    this.clock = Math.max(this.clock, stamp) + 1;
    return this.clock;
  }
}

/**
 * The stamp of the send from `origin` to `replica` of a write whose first
 * send had clock `first`: the origin sends to the other branches in ascending
 * id order, one tick each. `rankOf`: every branch id's position in ascending order (`ranks`).
 */
export function sendStamp(first: number, origin: number, replica: number, rankOf: ReadonlyMap<number, number>): number {
  const r = rankOf.get(replica) ?? 0;
  const o = rankOf.get(origin) ?? 0;
  return first + (r > o ? r - 1 : r);
}

/** Each branch id's position in ascending order, for sendStamp. */
export function ranks(branchIds: readonly number[]): Map<number, number> {
  return new Map([...branchIds].sort((a, b) => a - b).map((id, k) => [id, k]));
}

/** The replicas a write of `origin` is sent to, in send order (ascending id). */
export function sendOrder(branchIds: readonly number[], origin: number): number[] {
  return [...branchIds].filter((b) => b !== origin).sort((a, b) => a - b);
}
