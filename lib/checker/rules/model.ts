// The history as the checker sees it: invoke and complete records joined into
// operations, sessions in session order, each branch's apply order, final
// states and the effect of every write id. Built once, read by every rule.
// Pure: records in, data out; a history too malformed to judge throws
// HistoryError.

import type {
  ApplyRecord,
  CompleteRecord,
  FinalRecord,
  HistoryRecord,
  InvokeRecord,
  MetaRecord,
} from "../../history/types.js";
import { type Vector } from "./vv.js";

export type Guarantee = "mw" | "ryw" | "mr" | "wfr";
export const GUARANTEES: readonly Guarantee[] = ["mw", "ryw", "mr", "wfr"];

export class HistoryError extends Error {
  override name = "HistoryError";
}

export interface Op {
  op: number;
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
  witness?: Vector;
}

/** An operation that read the balance and says what it saw. */
export type ReadOp = Op & { witness: Vector };
/** An acknowledged write: completed "ok" with a write id. */
export type AckedWrite = Op & { writeId: string; kind: "deposit" | "withdraw" };

export interface Effect {
  kind: "deposit" | "withdraw";
  amountCents: number;
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
  /** Per branch, the writes it applied, in the order it applied them. */
  applied: Map<number, ApplyRecord["writes"]>;
  finals: Map<number, FinalRecord>;
  /** Acknowledged writes by write id (the first op, if a buggy run gave an id twice). */
  acked: Map<string, AckedWrite>;
  /** What each write id does: from apply records, else from its acknowledged op. */
  effects: Map<string, Effect>;
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

export function buildModel(records: HistoryRecord[]): HistoryModel {
  const metas = records.filter((r): r is MetaRecord => r.type === "meta");
  const meta = metas[0];
  if (meta === undefined) throw new HistoryError("the history has no meta record (the first line of history.jsonl)");
  if (metas.length > 1) throw new HistoryError(`the history has ${metas.length} meta records; expected exactly 1`);

  const invokes = new Map<number, InvokeRecord>();
  const completes = new Map<number, CompleteRecord>();
  const applyRecords: ApplyRecord[] = [];
  const finals = new Map<number, FinalRecord>();
  for (const r of records) {
    if (r.type === "invoke") {
      if (invokes.has(r.op)) throw new HistoryError(`operation #${r.op} is invoked twice`);
      invokes.set(r.op, r);
    } else if (r.type === "complete") {
      if (completes.has(r.op)) throw new HistoryError(`operation #${r.op} completes twice`);
      completes.set(r.op, r);
    } else if (r.type === "apply") {
      applyRecords.push(r);
    } else if (r.type === "final") {
      if (finals.has(r.branch)) throw new HistoryError(`branch ${r.branch} has two final records`);
      finals.set(r.branch, r);
    }
  }
  for (const op of completes.keys()) {
    if (!invokes.has(op)) throw new HistoryError(`operation #${op} completes but was never invoked`);
  }

  const ops = [...invokes.values()].map((inv) => joinOp(inv, completes.get(inv.op))).sort((a, b) => a.op - b.op);
  const sessions = new Map<string, Op[]>();
  for (const op of ops) {
    const list = sessions.get(op.session) ?? [];
    list.push(op);
    sessions.set(op.session, list);
  }
  for (const list of sessions.values()) list.sort((a, b) => a.invokeMs - b.invokeMs || a.op - b.op);

  // Stable sort: records of one branch keep file order when their times tie.
  const applied = new Map<number, ApplyRecord["writes"]>();
  for (const r of [...applyRecords].sort((a, b) => a.monoMs - b.monoMs)) {
    const list = applied.get(r.branch) ?? [];
    list.push(...r.writes);
    applied.set(r.branch, list);
  }

  const acked = new Map<string, AckedWrite>();
  for (const op of ops) if (isAckedWrite(op) && !acked.has(op.writeId)) acked.set(op.writeId, op);
  const effects = new Map<string, Effect>();
  for (const writes of applied.values()) {
    for (const w of writes) if (!effects.has(w.id)) effects.set(w.id, { kind: w.kind, amountCents: w.amountCents });
  }
  for (const [id, op] of acked) if (!effects.has(id)) effects.set(id, { kind: op.kind, amountCents: op.amountCents });

  const branchSet = new Set<number>([...meta.branches, ...applied.keys(), ...finals.keys()]);
  const guarantees = new Set(GUARANTEES.filter((g) => meta.guarantees.includes(g)));
  return {
    meta,
    guarantees,
    ops,
    sessions,
    branches: [...branchSet].sort((a, b) => a - b),
    applied,
    finals,
    acked,
    effects,
  };
}

function joinOp(inv: InvokeRecord, c: CompleteRecord | undefined): Op {
  const op: Op = {
    op: inv.op,
    session: inv.session,
    branch: inv.branch,
    kind: inv.kind,
    amountCents: inv.amountCents,
    invokeMs: inv.monoMs,
    completeMs: c?.monoMs ?? Infinity,
    status: c?.status ?? "info",
  };
  if (c === undefined) return op;
  if (c.result !== undefined) op.result = c.result;
  if (c.writeId !== undefined) op.writeId = c.writeId;
  if (c.balanceCents !== undefined) op.balanceCents = c.balanceCents;
  if (c.witness !== undefined) op.witness = c.witness;
  return op;
}

/**
 * Walks a session in invocation order, handing each op the session's ops that
 * completed since the previous step (completion time ≤ this op's invocation),
 * so rules can accumulate "what the session had done before" in one pass.
 */
export function* sessionSteps(list: Op[]): Generator<{ op: Op; done: Op[] }> {
  const byCompletion = [...list].sort((a, b) => a.completeMs - b.completeMs || a.op - b.op);
  let next = 0;
  for (const op of list) {
    const done: Op[] = [];
    while (next < byCompletion.length) {
      const o = byCompletion[next];
      if (o === undefined || o.completeMs > op.invokeMs) break;
      done.push(o);
      next++;
    }
    yield { op, done };
  }
}
