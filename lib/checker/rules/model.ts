// The history as the checker sees it: invoke and complete records joined into
// operations, sessions in session order, each branch's apply order, final
// states and the effect of every write id. Built once, record by record
// (ModelBuilder: a history is streamed, never held whole), read by every
// rule. Pure: records in, data out; a history too malformed to judge throws
// HistoryError.
//
// Apply orders are the bulk of a history (every write, once per branch), so
// they are kept as indexes into one table of write ids (IntList), 4 bytes per
// applied write instead of an object each.

import type { ApplyRecord, CompleteRecord, FinalRecord, HistoryRecord, InvokeRecord, MetaRecord } from "../../history/types.js";
import { IndexedMap } from "./indexed-map.js";
import { IntList } from "./int-list.js";
import { type Vector } from "./vv.js";

export type Guarantee = "mw" | "ryw" | "mr" | "wfr";
export const GUARANTEES: readonly Guarantee[] = ["mw", "ryw", "mr", "wfr"];

/** A history that cannot be judged; `line` (1-based) is where, when one record is to blame. */
export class HistoryError extends Error {
  override name = "HistoryError";
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

export interface Op {
  op: number;
  /** The scenario's id of the event behind it, when the history says. */
  event: number | undefined;
  session: string;
  branch: number;
  kind: "deposit" | "withdraw" | "query";
  amountCents: number;
  invokeMs: number;
  /** Infinity when the history has no completion (the run ended first): treated like "info". */
  completeMs: number;
  /** A missing completion counts as "info": outcome unknown. */
  status: "ok" | "fail" | "info";
  result?: "success" | "fail";
  writeId?: string;
  balanceCents?: number;
  /** What the branch had applied when it answered; kept for reads only (queries, withdrawals), the only ones any rule asks. */
  witness?: Vector;
}

/** Whether the history holds the operation's completion. */
export function isCompleted(op: Op): boolean {
  return op.completeMs !== Infinity;
}

/** An operation that read the balance and says what it saw. */
export type ReadOp = Op & { witness: Vector };
/** An acknowledged write: completed "ok" with a write id. */
export type AckedWrite = Op & { writeId: string; kind: "deposit" | "withdraw" };

export interface Effect {
  kind: "deposit" | "withdraw";
  amountCents: number;
}

/** One effect an apply record gave a write id, with the first branch that applied it so. */
export type WriteVariant = Effect & { branch: number };

/** What a history of a run cut short lacks. */
export interface Incompleteness {
  /** Branches of the meta record with no final record. */
  branchesWithoutFinal: number[];
  /** Invocations with no completion. */
  opsWithoutCompletion: number;
}

export interface HistoryModel {
  meta: MetaRecord;
  guarantees: ReadonlySet<Guarantee>;
  /** All operations, by op number. */
  ops: Op[];
  /** Each session's operations in session order (invocation time, then op number). */
  sessions: Map<string, Op[]>;
  /** Every branch named anywhere (meta, apply, final), ascending. */
  branches: number[];
  /** Every write id that an apply record or an acknowledged operation names; its index is its position. */
  writeIds: string[];
  writeIndex: Map<string, number>;
  /** Per branch, the writes it applied, in the order it applied them, as indexes into writeIds. */
  applied: Map<number, IntList>;
  finals: Map<number, FinalRecord>;
  /** Acknowledged writes by write id (the first op, if a buggy run gave an id twice), in op order. */
  acked: IndexedMap<AckedWrite>;
  /** What each write id does: from apply records, else from its acknowledged op. */
  effects: IndexedMap<Effect>;
  /** Ids that apply records gave different effects: each distinct one, the first (the one in effects) first. */
  variants: Map<string, WriteVariant[]>;
  /** Set when the run was cut short (no final state of some branches, or invocations without completion). */
  incomplete: Incompleteness | undefined;
}

export function isRead(op: Op): op is ReadOp {
  return op.status === "ok" && op.witness !== undefined && (op.kind === "query" || op.kind === "withdraw");
}

export function isAckedWrite(op: Op): op is AckedWrite {
  return op.status === "ok" && op.writeId !== undefined && op.kind !== "query";
}

/** A write that may have taken effect: acknowledged, or of unknown outcome. */
export function isPossibleWrite(op: Op): boolean {
  return op.kind !== "query" && (isAckedWrite(op) || op.status === "info");
}

/**
 * Builds the model one record at a time, so a history is never held whole:
 * only what the rules need stays (operations, each branch's apply order as
 * write indexes, finals). `line` (1-based, in history.jsonl) goes into the
 * HistoryError of a record that contradicts an earlier one.
 */
export class ModelBuilder {
  private meta: { record: MetaRecord; line: number | undefined } | undefined;
  /** Ops by number (numbers are dense from 1 in a real history, so an array), and in arrival order. */
  private byNumber: Array<Op | undefined> = [];
  private readonly arrival: Op[] = [];
  /** One string per session name, not one per record. */
  private readonly sessionNames = new Map<string, string>();
  /** Completions that came before their invocation (no writer does that, but the file may). */
  private readonly early = new Map<number, { c: CompleteRecord; line: number | undefined }>();
  private readonly writeIds: string[] = [];
  private readonly writeIndex = new Map<string, number>();
  private readonly branchApplies = new Map<number, BranchApplies>();
  /** Per write index, the effect the first apply record gave it. */
  private readonly effectOf: Array<Effect | undefined> = [];
  /** One Effect object per kind and amount, shared by every write that has it. */
  private readonly sharedEffects = { deposit: new Map<number, Effect>(), withdraw: new Map<number, Effect>() };
  private readonly variants = new Map<string, WriteVariant[]>();
  private readonly finals = new Map<number, FinalRecord>();

  add(r: HistoryRecord, line?: number): void {
    switch (r.type) {
      case "meta":
        return this.addMeta(r, line);
      case "invoke":
        return this.addInvoke(r, line);
      case "complete":
        return this.addComplete(r, line);
      case "apply":
        return this.addApply(r);
      case "final":
        if (this.finals.has(r.branch)) throw new HistoryError(`branch ${r.branch} has two final records`, line);
        this.finals.set(r.branch, r);
        return;
    }
  }

  finish(): HistoryModel {
    const meta = this.meta?.record;
    if (meta === undefined) throw new HistoryError("the history has no meta record (the first line of history.jsonl)");
    for (const [op, { line }] of this.early) throw new HistoryError(`operation #${op} completes but was never invoked`, line);

    const ops = this.arrival.sort((a, b) => a.op - b.op);
    // The rules need ops in order, not by number: let the index go.
    this.byNumber = [];
    const applied = new Map<number, IntList>();
    for (const [branch, b] of this.branchApplies) applied.set(branch, b.inOrder ? b.order.trimmed() : byTime(b));
    const acked = this.joinAcked(ops);
    const effects = new IndexedMap(this.writeIndex, this.writeIds, this.effectOf);
    const guarantees = new Set(GUARANTEES.filter((g) => meta.guarantees.includes(g)));
    return {
      meta,
      guarantees,
      ops,
      sessions: sessionsOf(ops),
      branches: this.branchesNamed(meta, applied),
      writeIds: this.writeIds,
      writeIndex: this.writeIndex,
      applied,
      finals: this.finals,
      acked,
      effects,
      variants: this.variants,
      incomplete: this.incompleteness(meta, ops),
    };
  }

  private addMeta(r: MetaRecord, line: number | undefined): void {
    if (this.meta !== undefined) {
      const first = this.meta.line === undefined ? "" : ` (the first is at line ${this.meta.line})`;
      throw new HistoryError(`a second meta record${first}; expected exactly 1`, line);
    }
    this.meta = { record: r, line };
  }

  private addInvoke(r: InvokeRecord, line: number | undefined): void {
    if (this.byNumber[r.op] !== undefined) throw new HistoryError(`operation #${r.op} is invoked twice`, line);
    let session = this.sessionNames.get(r.session);
    if (session === undefined) this.sessionNames.set(r.session, (session = r.session));
    const op: Op = {
      op: r.op,
      event: r.event,
      session,
      branch: r.branch,
      kind: r.kind,
      amountCents: r.amountCents,
      invokeMs: r.monoMs,
      completeMs: Infinity,
      status: "info",
      // Every field from the start: one object shape for all ops, no property store beside it.
      result: undefined,
      writeId: undefined,
      balanceCents: undefined,
      witness: undefined,
    };
    this.byNumber[r.op] = op;
    this.arrival.push(op);
    const early = this.early.get(r.op);
    if (early !== undefined) {
      this.early.delete(r.op);
      complete(op, early.c, early.line);
    }
  }

  private addComplete(r: CompleteRecord, line: number | undefined): void {
    const op = this.byNumber[r.op];
    if (op === undefined) {
      if (this.early.has(r.op)) throw new HistoryError(`operation #${r.op} completes twice`, line);
      this.early.set(r.op, { c: r, line });
    } else {
      if (isCompleted(op)) throw new HistoryError(`operation #${r.op} completes twice`, line);
      complete(op, r, line);
    }
  }

  private addApply(r: ApplyRecord): void {
    let b = this.branchApplies.get(r.branch);
    if (b === undefined) this.branchApplies.set(r.branch, (b = { order: new IntList(1024), starts: [], times: [], inOrder: true }));
    const lastTime = b.times[b.times.length - 1];
    if (lastTime !== undefined && r.monoMs < lastTime) b.inOrder = false;
    b.starts.push(b.order.length);
    b.times.push(r.monoMs);
    for (const w of r.writes) {
      const i = this.intern(w.id);
      b.order.push(i);
      this.noteEffect(i, this.effect(w.kind, w.amountCents), r.branch);
    }
  }

  /** The acknowledged writes by write id (the first op of each id), each id checked against the effect apply records gave it. */
  private joinAcked(ops: Op[]): IndexedMap<AckedWrite> {
    // The table's copy of each id: one string per write, however many records name it.
    for (const op of ops) if (isAckedWrite(op)) op.writeId = this.writeIds[this.intern(op.writeId)] ?? op.writeId;
    // Filled, not grown by assignment: a sparse array would fall back to a dictionary.
    const ackedOf = new Array<AckedWrite | undefined>(this.writeIds.length).fill(undefined);
    const ackedOrder = new IntList();
    for (const op of ops) {
      if (!isAckedWrite(op)) continue;
      const i = this.writeIndex.get(op.writeId) ?? -1;
      if (ackedOf[i] !== undefined) continue;
      ackedOf[i] = op;
      ackedOrder.push(i);
      // An acknowledged id that apply records gave another effect: keep it where exactly-once looks.
      const a = this.effectOf[i];
      if (a === undefined) this.effectOf[i] = this.effect(op.kind, op.amountCents);
      else if (!this.variants.has(op.writeId) && (a.kind !== op.kind || a.amountCents !== op.amountCents)) {
        this.variants.set(op.writeId, [{ ...a, branch: this.firstBranchOf(i) }]);
      }
    }
    return new IndexedMap(this.writeIndex, this.writeIds, ackedOf, ackedOrder.trimmed().view());
  }

  /** Every branch named anywhere (meta, apply, final), ascending. */
  private branchesNamed(meta: MetaRecord, applied: Map<number, IntList>): number[] {
    const branchSet = new Set<number>(meta.branches);
    for (const b of applied.keys()) branchSet.add(b);
    for (const b of this.finals.keys()) branchSet.add(b);
    return [...branchSet].sort((a, b) => a - b);
  }

  private incompleteness(meta: MetaRecord, ops: Op[]): Incompleteness | undefined {
    const branchesWithoutFinal = meta.branches.filter((b) => !this.finals.has(b));
    let opsWithoutCompletion = 0;
    for (const op of ops) if (!isCompleted(op)) opsWithoutCompletion++;
    return branchesWithoutFinal.length === 0 && opsWithoutCompletion === 0 ? undefined : { branchesWithoutFinal, opsWithoutCompletion };
  }

  private intern(id: string): number {
    let i = this.writeIndex.get(id);
    if (i === undefined) {
      i = this.writeIds.length;
      this.writeIds.push(id);
      this.effectOf.push(undefined);
      this.writeIndex.set(id, i);
    }
    return i;
  }

  private effect(kind: "deposit" | "withdraw", amountCents: number): Effect {
    const cache = this.sharedEffects[kind];
    let e = cache.get(amountCents);
    if (e === undefined) cache.set(amountCents, (e = { kind, amountCents }));
    return e;
  }

  /** Keeps the first effect of write i, and every distinct one after it (normally none) for exactly-once. */
  private noteEffect(i: number, e: Effect, branch: number): void {
    const first = this.effectOf[i];
    if (first === undefined) {
      this.effectOf[i] = e;
      return;
    }
    if (first === e) return;
    const id = this.writeIds[i] ?? "";
    let list = this.variants.get(id);
    if (list === undefined) this.variants.set(id, (list = [{ ...first, branch: this.firstBranchOf(i) }]));
    if (!list.some((v) => v.kind === e.kind && v.amountCents === e.amountCents)) list.push({ ...e, branch });
  }

  /** The first branch (in apply-record order per branch) that applied write i: only looked up when an id has two effects. */
  private firstBranchOf(i: number): number {
    for (const [branch, b] of this.branchApplies) {
      const v = b.order.view();
      for (let k = 0; k < v.length; k++) if (v[k] === i) return branch;
    }
    return NaN;
  }
}

interface BranchApplies {
  order: IntList;
  /** Where each apply record's writes start in `order`, and the record's monoMs. */
  starts: number[];
  times: number[];
  inOrder: boolean;
}

/** Each session's operations in session order (invocation time, then op number). */
function sessionsOf(ops: Op[]): Map<string, Op[]> {
  const sessions = new Map<string, Op[]>();
  for (const op of ops) {
    const list = sessions.get(op.session);
    if (list === undefined) sessions.set(op.session, [op]);
    else list.push(op);
  }
  for (const list of sessions.values()) list.sort((a, b) => a.invokeMs - b.invokeMs || a.op - b.op);
  return sessions;
}

/** A branch's apply order with its records stably sorted by time (only when the file had them out of order). */
function byTime(b: BranchApplies): IntList {
  const idx = b.starts.map((_, i) => i).sort((x, y) => (b.times[x] ?? 0) - (b.times[y] ?? 0) || x - y);
  const out = new IntList(b.order.length);
  const v = b.order.view();
  for (const i of idx) {
    const from = b.starts[i] ?? 0;
    const to = b.starts[i + 1] ?? v.length;
    for (let k = from; k < to; k++) out.push(v[k] ?? -1);
  }
  return out;
}

export function buildModel(records: Iterable<HistoryRecord>): HistoryModel {
  const b = new ModelBuilder();
  for (const r of records) b.add(r);
  return b.finish();
}

/** Joins a completion into its operation; a completion that contradicts the invocation is a malformed history. */
function complete(op: Op, c: CompleteRecord, line: number | undefined): void {
  for (const field of ["session", "branch", "kind"] as const) {
    if (c[field] !== op[field]) {
      throw new HistoryError(
        `complete.${field}: expected ${JSON.stringify(op[field])} (as operation #${op.op} was invoked), found ${JSON.stringify(c[field])}`,
        line,
      );
    }
  }
  op.completeMs = c.monoMs;
  op.status = c.status;
  if (c.result !== undefined) op.result = c.result;
  if (c.writeId !== undefined) op.writeId = c.writeId;
  if (c.balanceCents !== undefined) op.balanceCents = c.balanceCents;
  if (c.witness !== undefined && c.kind !== "deposit") op.witness = c.witness;
}

/** Each session's ops by completion, sorted once for the five rules that walk sessions. */
const completionOrder = new WeakMap<Op[], Op[]>();

/**
 * Walks a session in invocation order: for each op, first hands `onDone` the
 * session's ops that completed since the previous step (completion time ≤
 * this op's invocation), then hands `onOp` the op and its step (1-based), so
 * rules can accumulate "what the session had done before" in one pass.
 * Callbacks, not a generator of step objects: five rules walk every op, and a
 * million ops would make as many short-lived objects each time.
 */
export function forEachStep(list: Op[], onDone: (done: Op) => void, onOp: (op: Op, step: number) => void): void {
  let byCompletion = completionOrder.get(list);
  if (byCompletion === undefined) {
    byCompletion = [...list].sort((a, b) => a.completeMs - b.completeMs || a.op - b.op);
    completionOrder.set(list, byCompletion);
  }
  let next = 0;
  for (let step = 1; step <= list.length; step++) {
    const op = list[step - 1];
    if (op === undefined) continue;
    while (next < byCompletion.length) {
      const o = byCompletion[next];
      if (o === undefined || o.completeMs > op.invokeMs) break;
      onDone(o);
      next++;
    }
    onOp(op, step);
  }
}
