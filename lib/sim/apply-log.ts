// The simulator's apply records (history.jsonl "apply"): what each branch
// applied, in its order. A restarted branch applies again what its crash
// took from memory, and recovers from its log writes it had already
// reported; as the real run's ApplyRecorder (lib/run/apply-recorder.ts)
// does, a write a branch reported before a restart is not reported again.
// Within one incarnation nothing is dropped: a branch that applied a write
// twice without crashing is a bug the checker must see.

import type { Write } from "../core/ledger.js";
import type { AppliedWrite, HistoryRecord } from "../history/types.js";
import type { VirtualClock } from "./virtual-clock.js";

export class SimApplyLog {
  /** Per branch: each write id reported, with the incarnation that reported it. */
  private readonly reported = new Map<number, Map<string, number>>();

  constructor(
    private readonly history: HistoryRecord[],
    private readonly clock: VirtualClock,
  ) {}

  /**
   * Incarnation `incarnation` of `branch` applied `writes`, in this order;
   * `clocks[i]` is its Lamport clock at writes[i]'s event (BranchHooks.applied).
   * `restart`: these are what a restarted branch recovered from its log (the
   * record says so even if all were reported before: its clock resumed there).
   */
  report(branch: number, incarnation: number, writes: readonly Write[], clocks: readonly number[] = [], restart = false): void {
    let seen = this.reported.get(branch);
    if (seen === undefined) this.reported.set(branch, (seen = new Map()));
    const fresh: AppliedWrite[] = [];
    writes.forEach((w, i) => {
      const id = `${w.id.branch}.${w.id.seq}`;
      const by = seen.get(id);
      if (by !== undefined && by !== incarnation) return;
      seen.set(id, incarnation);
      const clock = clocks[i];
      fresh.push(clock ? { id, kind: w.kind, amountCents: w.amountCents, clock } : { id, kind: w.kind, amountCents: w.amountCents });
    });
    if (fresh.length === 0 && !restart) return;
    this.history.push({ type: "apply", branch, writes: fresh, ...(restart ? { restart: true } : {}), wallMs: this.clock.wallNow(), monoMs: this.clock.now() });
  }
}
