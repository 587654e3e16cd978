// What a served branch applied since it started, in order, with the time of
// each apply: the source of a served cluster's apply records (Bank.AppliedLog),
// since no run's main thread hears a served branch's "applied" events. After
// a restart it begins with the writes the branch's log gave back. Bounded
// (MAX_APPLIED_LOG): past the bound the oldest entries go, and a reader that
// asks for them is told where the log now starts.

import type { Write } from "../core/ledger.js";
import { MAX_APPLIED_LOG } from "../core/limits.js";

export interface JournalEntry {
  index: number;
  write: Write;
  wallMs: number;
  monoMs: number;
}

export class AppliedJournal {
  private entries: JournalEntry[] = [];
  private next = 0;
  private readonly max: number;

  constructor(max = MAX_APPLIED_LOG) {
    this.max = max;
  }

  /** Index of the oldest entry kept. */
  get firstIndex(): number {
    return this.entries[0]?.index ?? this.next;
  }

  add(writes: readonly Write[]): void {
    const wallMs = Date.now();
    const monoMs = performance.timeOrigin + performance.now();
    for (const write of writes) this.entries.push({ index: this.next++, write, wallMs, monoMs });
    if (this.entries.length > this.max) this.entries = this.entries.slice(this.entries.length - this.max);
  }

  /** Entries with index ≥ `from` (from ≥ firstIndex). */
  from(from: number): JournalEntry[] {
    return this.entries.slice(Math.max(0, from - this.firstIndex));
  }
}
