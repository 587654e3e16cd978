// What the branches of one host logged, held and applied since the last
// report, the applies grouped: the co-hosted replicas that applied the same
// writes in the same order (one delivery fanned out to them) share one group,
// which names the writes once and keeps each replica's own Lamport clocks. At 1,000 branches a report per
// replica per write was most of what workers sent the main thread and most of
// the history it wrote. Pure state: no ports, no timers.

import { appliedIds, appliedLine } from "../core/applied-line.js";
import type { Write } from "../core/ledger.js";
import { formatWriteId } from "../core/version-vector.js";
import type { AppliedGroup, BufferedAt, LogLines, WireWrite } from "./worker-protocol.js";

// Every replica on a host reports the same received write object: build its wire form once.
const wireForms = new WeakMap<Write, WireWrite>();
export function wireForm(w: Write): WireWrite {
  let form = wireForms.get(w);
  if (form === undefined) wireForms.set(w, (form = { id: formatWriteId(w.id), kind: w.kind, amountCents: w.amountCents, acceptedAtMs: w.acceptedAtMs }));
  return form;
}

const noLines = (): LogLines => ({ branches: [], wallMs: [], lines: [], balances: [] });

function addLine(logs: LogLines, branch: number, wallMs: number, line: string | number, balanceCents = 0): void {
  logs.branches.push(branch);
  logs.wallMs.push(wallMs);
  logs.lines.push(line);
  logs.balances.push(balanceCents);
}

/**
 * Each line of a report as [branch, wallMs, line], in order, an applied line
 * built from its group's writes (each group's list of ids once).
 */
export function* logEntries(report: { logs: LogLines; groups: readonly AppliedGroup[] }): Generator<[number, number, string]> {
  const { branches, wallMs, lines, balances } = report.logs;
  const ids: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (typeof line === "string") {
      yield [branches[i]!, wallMs[i]!, line];
      continue;
    }
    const group = report.groups[line];
    if (group === undefined) throw new Error(`a report's log line ${i} names group ${line}, of ${report.groups.length}`);
    ids[line] ??= appliedIds(group.writes.map((w) => w.id));
    yield [branches[i]!, wallMs[i]!, appliedLine(branches[i]!, ids[line]!, balances[i]!)];
  }
}

/** A reading of both clocks, for a group's or a buffer's stamp. */
export interface Stamp {
  wallMs: number;
  monoMs: number;
}

export class AppliedGroups {
  private groups: AppliedGroup[] = [];
  /** The latest group for each list of write ids. */
  private byKey = new Map<string, number>();
  /** The index of the last group each branch joined: a branch joins only later groups, so its order holds when groups are read in order. */
  private lastOf = new Map<number, number>();
  private buffered: BufferedAt[] = [];
  private logs: LogLines = noLines();

  /** Branch `branch` logged `line` at `wallMs`. */
  log(branch: number, wallMs: number, line: string): void {
    addLine(this.logs, branch, wallMs, line);
  }

  /**
   * Branch `branch` applied `writes` in this order, `clocks[i]` its Lamport
   * clock at writes[i] (0: not known). With `line` (writes from peers), its
   * log gets their applied line here among its lines, at `line.wallMs`.
   */
  applied(branch: number, writes: readonly Write[], clocks: readonly number[], now: () => Stamp, line?: { wallMs: number; balanceCents: number }): void {
    if (writes.length === 0) return;
    const forms = writes.map(wireForm);
    const key = forms.length === 1 ? forms[0]!.id : forms.map((f) => f.id).join(",");
    let at = this.byKey.get(key);
    if (at === undefined || at <= (this.lastOf.get(branch) ?? -1)) {
      at = this.groups.push({ branches: [], writes: forms, clocks: [], ...now() }) - 1;
      this.byKey.set(key, at);
    }
    const group = this.groups[at]!;
    group.branches.push(branch);
    for (let i = 0; i < writes.length; i++) group.clocks.push(clocks[i] ?? 0);
    this.lastOf.set(branch, at);
    if (line !== undefined) addLine(this.logs, branch, line.wallMs, at, line.balanceCents);
  }

  /** Branch `branch` took these writes but holds them until their dependencies arrive. */
  held(branch: number, writes: readonly Write[], now: () => Stamp): void {
    if (writes.length > 0) this.buffered.push({ branch, ids: writes.map((w) => formatWriteId(w.id)), ...now() });
  }

  get empty(): boolean {
    return this.groups.length === 0 && this.buffered.length === 0 && this.logs.lines.length === 0;
  }

  /** Forgets what `branch` reported (it crashed: nothing of it leaves). */
  drop(branch: number): void {
    for (const g of this.groups) {
      const i = g.branches.indexOf(branch);
      if (i >= 0) (g.branches.splice(i, 1), g.clocks.splice(i * g.writes.length, g.writes.length));
    }
    // The groups left are renumbered, and the applied lines that name them with them.
    const renumbered: number[] = [];
    const survivors: AppliedGroup[] = [];
    this.groups.forEach((g, i) => {
      if (g.branches.length > 0) renumbered[i] = survivors.push(g) - 1;
    });
    this.groups = survivors;
    this.byKey.clear();
    this.lastOf.clear();
    // Later reports open new groups: the survivors keep their order.
    this.lastOfAll();
    this.buffered = this.buffered.filter((b) => b.branch !== branch);
    const { branches, wallMs, lines, balances } = this.logs;
    const kept = noLines();
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (branches[i] !== branch) addLine(kept, branches[i]!, wallMs[i]!, typeof line === "string" ? line : renumbered[line]!, balances[i]);
    }
    this.logs = kept;
  }

  /** Everything gathered (buffers before groups: a write is held before it is applied), and a fresh start. */
  take(): { logs: LogLines; buffered: BufferedAt[]; groups: AppliedGroup[] } {
    const out = { logs: this.logs, buffered: this.buffered, groups: this.groups };
    this.groups = [];
    this.buffered = [];
    this.logs = noLines();
    this.byKey.clear();
    this.lastOf.clear();
    return out;
  }

  private lastOfAll(): void {
    const last = this.groups.length - 1;
    for (const g of this.groups) for (const b of g.branches) this.lastOf.set(b, last);
  }
}
