// The simulator's apply records (history.jsonl "apply"): what each branch
// applied, in its order. A restarted branch applies again what its crash
// took from memory, and recovers from its log writes it had already
// reported; as the real run's ApplyRecorder (lib/run/apply-recorder.ts)
// does, a write a branch reported before a restart is not reported again.
// Within one incarnation nothing is dropped: a branch that applied a write
// twice without crashing is a bug the checker must see.

import type { Write } from "../core/ledger.js";
import type { HistoryRecord } from "../history/types.js";
import type { VirtualClock } from "./virtual-clock.js";

export class SimApplyLog {
  /** Per branch: each write id reported, with the incarnation that reported it. */
  private readonly reported = new Map<number, Map<string, number>>();

  constructor(
    private readonly history: HistoryRecord[],
    private readonly clock: VirtualClock,
  ) {}

  /** Incarnation `incarnation` of `branch` applied `writes`, in this order. */
  report(branch: number, incarnation: number, writes: readonly Write[]): void {
    let seen = this.reported.get(branch);
    if (seen === undefined) this.reported.set(branch, (seen = new Map()));
    const fresh: Array<{ id: string; kind: Write["kind"]; amountCents: number }> = [];
    for (const w of writes) {
      const id = `${w.id.branch}.${w.id.seq}`;
      const by = seen.get(id);
      if (by !== undefined && by !== incarnation) continue;
      seen.set(id, incarnation);
      fresh.push({ id, kind: w.kind, amountCents: w.amountCents });
    }
    if (fresh.length === 0) return;
    this.history.push({ type: "apply", branch, writes: fresh, wallMs: this.clock.wallNow(), monoMs: this.clock.now() });
  }
}
