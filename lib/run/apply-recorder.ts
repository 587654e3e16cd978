// Turns the branches' "applied" events into history.jsonl apply records and
// propagation-lag samples. Events of one branch that arrive within MERGE_MS
// of the first one pending become one record (the branch's order is kept; the
// record carries the first one's time): at 100 branches a record per event
// was most of the history file and a large share of the main thread's work.
// With crashes, it also drops writes a branch already reported (a restarted
// branch reports everything its log gave back). A host's group of replicas
// that applied the same writes (applied-groups.ts) becomes one apply-group
// record, written at once (with crashes, less the branches that repeat a
// write, which go the per-branch way); a small group, one apply record per
// branch.

import { REAL_CLOCK, type Clock } from "../core/applied-waiters.js";
import type { AppliedWrite } from "../history/types.js";
import type { HistoryWriter } from "../history/writer.js";
import type { PropagationLag } from "./latency-stats.js";
import type { AppliedGroup, WireWrite } from "../hosting/worker-protocol.js";

export const MERGE_MS = 50;

/** Groups of fewer replicas, as reported, are written as their own apply records (a small cluster's history reads as it always did). */
export const GROUP_MIN = 4;

interface Pending {
  writes: AppliedWrite[];
  restart: boolean;
  wallMs: number;
  monoMs: number;
}

export class ApplyRecorder {
  private readonly history: Pick<HistoryWriter, "write">;
  private readonly lag: PropagationLag;
  private readonly reported: Map<number, Set<string>> | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly clock: Pick<Clock, "setTimeout" | "clearTimeout">;
  private timer: unknown;

  /** `clock` times the merge window (the real one unless a test injects virtual time). */
  constructor(history: Pick<HistoryWriter, "write">, lag: PropagationLag, dedupe: boolean, clock: Pick<Clock, "setTimeout" | "clearTimeout"> = REAL_CLOCK) {
    this.history = history;
    this.lag = lag;
    this.reported = dedupe ? new Map() : undefined;
    this.clock = clock;
  }

  /**
   * `restart`: the branch restarted from its log (these are what it gave
   * back): the record says so, since its Lamport clock resumed from the log,
   * and is written at once, ahead of anything the new incarnation does.
   */
  add(branch: number, writes: readonly WireWrite[], wallMs: number, monoMs: number, restart = false): void {
    const seen = this.reported?.get(branch);
    const fresh = seen ? writes.filter((w) => !seen.has(w.id)) : writes;
    if (restart) this.flushBranch(branch);
    if (fresh.length === 0 && !restart) return;
    if (this.reported) {
      const set = seen ?? new Set<string>();
      for (const w of fresh) set.add(w.id);
      this.reported.set(branch, set);
    }
    for (const w of fresh) this.lag.applied(w.id, w.acceptedAtMs, wallMs);
    const p: Pending = restart ? { writes: [], restart: true, wallMs, monoMs } : this.pending.get(branch) ?? { writes: [], restart: false, wallMs, monoMs };
    for (const { id, kind, amountCents, clock } of fresh) p.writes.push(clock ? { id, kind, amountCents, clock } : { id, kind, amountCents });
    // The restart mark is written at once: the new incarnation serves
    // customers as soon as it is up, and every record of its events (their
    // completions too, whose clocks may repeat the old one's) must follow it.
    if (restart) return this.write(branch, p);
    this.pending.set(branch, p);
    this.timer ??= this.clock.setTimeout(() => this.flush(), MERGE_MS);
  }

  /** A host's report that these branches applied these writes (clocks[i·writes + j]: branch i's at write j, 0 not known). */
  addGroup(g: AppliedGroup): void {
    if (g.branches.length < GROUP_MIN || g.clocks.includes(0)) {
      g.branches.forEach((b, i) => this.add(b, withClocks(g.writes, clocksOf(g, i)), g.wallMs, g.monoMs));
      return;
    }
    const { branches, clocks } = this.fresh(g);
    if (branches.length === 0) return;
    // Their earlier writes first: a branch's records keep its order.
    for (const b of branches) this.flushBranch(b);
    for (const w of g.writes) this.lag.applied(w.id, w.acceptedAtMs, g.wallMs, branches.length);
    const writes = g.writes.map(({ id, kind, amountCents }) => ({ id, kind, amountCents }));
    this.history.write({ type: "apply-group", branches, writes, clocks, wallMs: g.wallMs, monoMs: g.monoMs });
  }

  /**
   * The group's branches that report its writes for the first time (with
   * crashes a branch may repeat some: those go through `add`, which drops
   * the repeats), marked reported.
   */
  private fresh(g: AppliedGroup): { branches: number[]; clocks: number[][] } {
    if (!this.reported) return { branches: g.branches, clocks: g.branches.map((_, i) => clocksOf(g, i)) };
    const branches: number[] = [];
    const clocks: number[][] = [];
    g.branches.forEach((b, i) => {
      const seen = this.reported!.get(b);
      if (seen && g.writes.some((w) => seen.has(w.id))) {
        this.add(b, withClocks(g.writes, clocksOf(g, i)), g.wallMs, g.monoMs);
        return;
      }
      const set = seen ?? new Set<string>();
      for (const w of g.writes) set.add(w.id);
      this.reported!.set(b, set);
      branches.push(b);
      clocks.push(clocksOf(g, i));
    });
    return { branches, clocks };
  }

  /** Writes every pending record (call before the final records, and at the end). */
  flush(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const branch of [...this.pending.keys()]) this.flushBranch(branch);
  }

  private flushBranch(branch: number): void {
    const p = this.pending.get(branch);
    if (!p) return;
    this.pending.delete(branch);
    this.write(branch, p);
  }

  private write(branch: number, p: Pending): void {
    this.history.write({ type: "apply", branch, writes: p.writes, ...(p.restart ? { restart: true } : {}), wallMs: p.wallMs, monoMs: p.monoMs });
  }
}

/** The clocks of a group's i-th branch, one per write (the history's apply-group keeps a row per branch). */
function clocksOf(g: AppliedGroup, i: number): number[] {
  const n = g.writes.length;
  return n === 1 ? [g.clocks[i]!] : g.clocks.slice(i * n, (i + 1) * n);
}

/** One branch's writes of a group, each with its clock there (none where it is 0: not known). */
function withClocks(writes: readonly WireWrite[], clocks: readonly number[]): WireWrite[] {
  return writes.map((w, j) => (clocks[j] ? { ...w, clock: clocks[j] } : w));
}
