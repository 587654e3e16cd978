// One replica of the shared account: balance, applied set and the writes
// received but not yet applicable. Pure state, no I/O, no clocks.
//
// Rules it keeps (DESIGN.md, "Accounts, writes and replication"):
// - The origin decides a write once (`decide`); replicas apply the decided
//   effect (`receive`) and never re-decide it.
// - Each origin's writes apply in sequence order, so the applied set is a
//   prefix per origin and a version vector describes it exactly.
// - A write applies only after its dependencies; until then it waits in
//   `pending`. Duplicates change nothing (idempotent by write id).

import { MAX_PENDING_WRITES } from "./limits.js";
import { covers, formatWriteId, mergeInto, type VersionVector, type WriteId } from "./version-vector.js";

export type WriteKind = "deposit" | "withdraw";

export interface Write {
  id: WriteId;
  kind: WriteKind;
  amountCents: number;
  /** Writes that must be applied first (besides the origin's earlier writes). */
  deps: VersionVector;
  /** Origin's wall clock at acceptance, for propagation lag. */
  acceptedAtMs: number;
  /**
   * The origin's Lamport clock at the first of its propagation sends (one per
   * other branch, in ascending id order, one tick each: lamport.ts sendStamp).
   * Absent in logs written before clocks were kept.
   */
  clock?: number;
}

export interface Decision {
  result: "success" | "fail";
  /** The balance after the decision (consistent with the applied set, which includes the new write). */
  balanceCents: number;
  /** The new write, when the decision created one (already applied here). */
  write?: Write;
}

/** The replica holds as many pending writes as it may: the write was not taken (its sender resends it later). */
export class PendingFull extends Error {
  override name = "PendingFull";
}

export class Ledger {
  readonly self: number;
  private balance: number;
  private readonly applied: VersionVector = new Map();
  /**
   * What this branch's latest write depends on, with everything before it
   * (other origins only). A withdraw carries every entry of `applied` beyond
   * it, found when the withdraw is decided (one pass over the vector per
   * withdraw decided here), not kept up to date as writes arrive: that was a
   * set touched by every replica for every write received.
   */
  private readonly implied: VersionVector = new Map();
  private readonly pending = new Map<number, Map<number, Write>>();
  private pendingCount = 0;

  private readonly pendingMax: number;

  constructor(self: number, initialBalanceCents: number, pendingMax = MAX_PENDING_WRITES) {
    this.self = self;
    this.balance = initialBalanceCents;
    this.pendingMax = pendingMax;
  }

  get balanceCents(): number {
    return this.balance;
  }

  /** Writes this branch has issued as origin. */
  get issued(): number {
    return this.applied.get(this.self) ?? 0;
  }

  get pendingWrites(): number {
    return this.pendingCount;
  }

  /** The applied set. Callers must copy it before keeping it. */
  get appliedVector(): ReadonlyMap<number, number> {
    return this.applied;
  }

  snapshot(): VersionVector {
    return new Map(this.applied);
  }

  covers(need: VersionVector): boolean {
    return covers(this.applied, need);
  }

  /**
   * Decides a customer's write here, as its origin. A withdraw that would
   * overdraw fails and changes nothing; `clock`, called only when a write is
   * made, gives the clock of its first propagation send. A write depends on `deps` (what its
   * session needs before it); a withdraw also on everything applied here, so
   * no replica ever holds the debit without the credits that justified it.
   * It carries only the part its origin's previous write does not imply.
   */
  decide(kind: WriteKind, amountCents: number, deps: VersionVector, nowMs: number, clock?: () => number): Decision {
    const before = this.balance;
    if (kind === "withdraw" && amountCents > before) return { result: "fail", balanceCents: before };
    const allDeps: VersionVector = new Map();
    for (const [origin, seq] of deps) if (origin !== this.self && seq > (this.implied.get(origin) ?? 0)) allDeps.set(origin, seq);
    if (kind === "withdraw") this.addAhead(allDeps);
    const write: Write = {
      id: { branch: this.self, seq: this.issued + 1 },
      kind,
      amountCents,
      deps: allDeps,
      acceptedAtMs: nowMs,
    };
    if (clock) write.clock = clock();
    this.apply(write);
    return { result: "success", balanceCents: this.balance, write };
  }

  /** Whether the write waits here for its dependencies or an earlier write of its origin. */
  holds(id: WriteId): boolean {
    return this.pending.get(id.branch)?.has(id.seq) === true;
  }

  /**
   * Takes a write from a peer. Returns the writes that became applied, in the
   * order they were applied (possibly none, possibly several buffered ones).
   */
  receive(write: Write): Write[] {
    const origin = write.id.branch;
    if (origin === this.self) return []; // our own write, echoed back
    const next = (this.applied.get(origin) ?? 0) + 1;
    if (write.id.seq < next) return []; // duplicate
    if (write.id.seq === next && covers(this.applied, write.deps)) {
      // Its turn has come: it never waits, so no bound refuses it (it may be what the pending ones wait for).
      if (this.pendingCount === 0) {
        this.apply(write);
        return [write]; // nothing waits here, so nothing else can follow it
      }
      if (this.pending.get(origin)?.delete(write.id.seq)) this.pendingCount--;
      this.apply(write);
      return [write, ...this.drain()];
    }
    let queue = this.pending.get(origin);
    if (queue?.has(write.id.seq)) return [];
    if (this.pendingCount >= this.pendingMax) {
      throw new PendingFull(`replica ${this.self} holds ${this.pendingCount} writes waiting for their dependencies (at most ${this.pendingMax}); ${formatWriteId(write.id)} was not taken`);
    }
    if (!queue) this.pending.set(origin, (queue = new Map()));
    queue.set(write.id.seq, write);
    this.pendingCount++;
    return this.drain();
  }

  /** Applies every pending write whose turn has come, until none is ready. */
  private drain(): Write[] {
    const done: Write[] = [];
    let progress = true;
    while (progress) {
      progress = false;
      for (const [origin, queue] of this.pending) {
        for (;;) {
          const next = queue.get((this.applied.get(origin) ?? 0) + 1);
          if (!next || !covers(this.applied, next.deps)) break;
          queue.delete(next.id.seq);
          this.pendingCount--;
          this.apply(next);
          done.push(next);
          progress = true;
        }
        if (queue.size === 0) this.pending.delete(origin);
      }
    }
    return done;
  }

  /**
   * Re-applies a write from this branch's durable log at recovery, in the
   * order it was first applied (so its origin's earlier writes and its
   * dependencies are already back). Not a decision: the effect is replayed.
   */
  replay(write: Write): void {
    if (!covers(this.applied, write.deps)) {
      throw new Error(`ledger ${this.self}: log replays ${formatWriteId(write.id)} before its dependencies`);
    }
    this.apply(write);
  }

  private apply(write: Write): void {
    const expected = (this.applied.get(write.id.branch) ?? 0) + 1;
    if (write.id.seq !== expected) {
      throw new Error(`ledger ${this.self}: applying ${formatWriteId(write.id)} out of order (next is ${expected})`);
    }
    const balance = this.balance + (write.kind === "deposit" ? write.amountCents : -write.amountCents);
    // Past 2^53 a double rounds: never store a balance that is not exact.
    if (!Number.isSafeInteger(balance)) {
      throw new RangeError(`ledger ${this.self}: applying ${formatWriteId(write.id)} would take the balance past 2^53 cents, where it is no longer exact`);
    }
    this.balance = balance;
    this.applied.set(write.id.branch, write.id.seq);
    // Replayed at recovery in the order first applied, this rebuilds `implied` exactly.
    if (write.id.branch === this.self) this.implyOwn(write);
  }

  /** An own write is applied: what it carried is implied from now on, and for a withdraw everything applied here. */
  private implyOwn(write: Write): void {
    mergeInto(this.implied, write.deps);
    if (write.kind === "withdraw") this.addAhead(this.implied);
  }

  /** Raises `into` to every entry of `applied` beyond `implied` (other origins): what arrived here since this branch's writes last carried it. */
  private addAhead(into: VersionVector): void {
    for (const [origin, seq] of this.applied) {
      if (origin !== this.self && seq > (this.implied.get(origin) ?? 0) && seq > (into.get(origin) ?? 0)) into.set(origin, seq);
    }
  }
}
