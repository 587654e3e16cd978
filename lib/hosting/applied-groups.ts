// What the branches of one host logged, held and applied since the last
// report, the applies grouped: the co-hosted replicas that applied the same
// writes in the same order (one delivery fanned out to them) share one group,
// which names the writes once and keeps each replica's own Lamport clocks. At 1,000 branches a report per
// replica per write was most of what workers sent the main thread and most of
// the history it wrote. Pure state: no ports, no timers.

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

const noLines = (): LogLines => ({ branches: [], wallMs: [], lines: [] });

function addLine(logs: LogLines, branch: number, wallMs: number, line: string): void {
  logs.branches.push(branch);
  logs.wallMs.push(wallMs);
  logs.lines.push(line);
}

/** Each line of `logs` as [branch, wallMs, line], in order. */
export function* logEntries(logs: LogLines): Generator<[number, number, string]> {
  for (let i = 0; i < logs.lines.length; i++) yield [logs.branches[i]!, logs.wallMs[i]!, logs.lines[i]!];
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

  /** Branch `branch` applied `writes` in this order, `clocks[i]` its Lamport clock at writes[i] (0: not known). */
  applied(branch: number, writes: readonly Write[], clocks: readonly number[], now: () => Stamp): void {
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
    group.clocks.push(writes.map((_, i) => clocks[i] ?? 0));
    this.lastOf.set(branch, at);
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
      if (i >= 0) (g.branches.splice(i, 1), g.clocks.splice(i, 1));
    }
    this.groups = this.groups.filter((g) => g.branches.length > 0);
    this.byKey.clear();
    this.lastOf.clear();
    // Later reports open new groups: the survivors keep their order.
    this.lastOfAll();
    this.buffered = this.buffered.filter((b) => b.branch !== branch);
    const kept = noLines();
    for (const [b, at, line] of logEntries(this.logs)) if (b !== branch) addLine(kept, b, at, line);
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
