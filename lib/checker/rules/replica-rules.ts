// Replica-wide rules: convergence and exactly-once application.
//
// convergence:  every branch has a final record, and all final records hold
//               the same applied set and the same balance.
// exactly-once: - no write id is given to two acknowledged operations;
//               - every acknowledged write appears exactly once in every
//                 branch's apply records;
//               - no id is applied twice at a branch;
//               - an applied id that no acknowledged operation got must be
//                 matched to an "info" (outcome unknown) deposit/withdraw sent
//                 to its origin branch with the same kind and amount, one id
//                 per such operation; otherwise nobody issued it;
//               - an id means the same effect everywhere (apply records and
//                 the acknowledged operation agree on kind and amount);
//               - each branch applies each origin's writes in sequence order,
//                 and its final applied vector is exactly what it applied
//                 (both are what make version vectors truthful).

import type { Finding, RuleResult } from "../findings.js";
import { isAckedWrite, type AckedWrite, type HistoryModel, type Op } from "./model.js";
import { ackedMask, branchViews, writeTable, type BranchView } from "./apply-index.js";
import { describeVector, missingRanges, sameVector, idsIn, type Vector } from "./vv.js";
import { describeOp, describeWrite, listWithMore, money, OPS_LIMIT } from "./words.js";

export function checkConvergence(m: HistoryModel): RuleResult {
  if (m.incomplete !== undefined && m.incomplete.branchesWithoutFinal.length > 0) {
    return { rule: "convergence", checked: 0, findings: [], skipped: "needs the final state of every branch" };
  }
  const findings: Finding[] = [];
  const finals = m.branches.map((b) => m.finals.get(b));
  for (const b of m.branches) {
    if (!m.finals.has(b)) {
      findings.push({ branch: b, ops: [], message: `branch ${b} has no final record, so the history cannot show it converged` });
    }
  }
  const ref = finals.find((f) => f !== undefined);
  for (const f of finals) {
    if (ref === undefined || f === undefined || f === ref) continue;
    if (f.balanceCents === ref.balanceCents && sameVector(f.applied, ref.applied)) continue;
    const differ = [...missingRanges(f.applied, ref.applied), ...missingRanges(ref.applied, f.applied)];
    const ops = idsIn(differ, OPS_LIMIT).flatMap((id) => m.acked.get(id)?.op ?? []);
    findings.push({
      branch: f.branch,
      ops,
      message:
        `branch ${f.branch} ended with balance ${money(f.balanceCents)} having applied ${describeVector(f.applied)}, ` +
        `but branch ${ref.branch} ended with balance ${money(ref.balanceCents)} having applied ` +
        `${describeVector(ref.applied)}; convergence requires every branch to end with the same writes and balance`,
    });
  }
  return { rule: "convergence", checked: m.branches.length, findings };
}

export function checkExactlyOnce(m: HistoryModel): RuleResult {
  // A run cut short before quiescence had writes still on their way: "applied
  // at every branch" and "the final state matches" cannot be asked of it.
  const cutShort = m.incomplete !== undefined && m.incomplete.branchesWithoutFinal.length > 0;
  const walk = walkBranches(m, cutShort);
  const findings: Finding[] = [];
  const lists = [idsGivenTwice(m), notAppliedOnce(m, walk), unissuedWrites(m, walk.unacked), walk.repeated, effectConflicts(m), walk.orderAndFinals];
  // Not push(...list): these lists are unbounded, and a spread of that many arguments overflows the stack.
  for (const list of lists) for (const f of list) findings.push(f);
  const result: RuleResult = { rule: "exactly-once", checked: m.writeIds.length, findings };
  if (cutShort) result.partial = "every acknowledged write applied at every branch, and final states matching the apply records, need the final state of every branch";
  return result;
}

function idsGivenTwice(m: HistoryModel): Finding[] {
  const byId = new Map<string, AckedWrite[]>();
  for (const op of m.ops) {
    if (!isAckedWrite(op)) continue;
    const list = byId.get(op.writeId);
    if (list === undefined) byId.set(op.writeId, [op]);
    else list.push(op);
  }
  const out: Finding[] = [];
  for (const [id, ops] of byId) {
    if (ops.length < 2) continue;
    out.push({
      ops: ops.slice(0, OPS_LIMIT).map((o) => o.op),
      message: `write id ${id} was given to ${listWithMore(ops.map(describeOp))}; each write must get its own id`,
    });
  }
  return out;
}

/** What the walk over every branch's apply order found. */
interface BranchWalk {
  /** Per acknowledged write (its position k in m.acked): the branches that never applied it (not asked of a run cut short). */
  never: Map<number, number[]>;
  /** Per acknowledged write, likewise: the branches that applied it more than once, and how often. */
  twice: Map<number, Array<{ branch: number; n: number }>>;
  /** Applied ids nobody acknowledged, with the branches that applied them. */
  unacked: Map<string, number[]>;
  /** Such ids applied more than once at a branch. */
  repeated: Finding[];
  /** Malformed ids, writes out of sequence order, final records that disagree with the apply records; branch by branch. */
  orderAndFinals: Finding[];
}

/** One branch at a time: how often it applied each id, its order, its final state. */
function walkBranches(m: HistoryModel, cutShort: boolean): BranchWalk {
  const ackedIdx = new Int32Array(m.acked.size);
  m.acked.forEachIndexed((_op, i, k) => (ackedIdx[k] = i));
  const isAcked = ackedMask(m);
  const walk: BranchWalk = { never: new Map(), twice: new Map(), unacked: new Map(), repeated: [], orderAndFinals: [] };
  for (const [, view] of branchViews(m)) {
    const b = view.branch;
    countAckedApplies(view, ackedIdx, cutShort, walk);
    const vector = walkApplyOrder(m, view, isAcked, walk);
    const f = m.finals.get(b);
    if (f === undefined || sameVector(vector, f.applied)) continue;
    walk.orderAndFinals.push({
      branch: b,
      ops: [],
      message:
        `branch ${b}'s final record says it applied ${describeVector(f.applied)}, but its apply records show ` +
        `${describeVector(vector)}; the final state must match what the branch applied`,
    });
  }
  return walk;
}

/** Notes the acknowledged writes the branch never applied, or applied more than once. */
function countAckedApplies(view: BranchView, ackedIdx: Int32Array, cutShort: boolean, walk: BranchWalk): void {
  const b = view.branch;
  const { never, twice } = walk;
  for (let k = 0; k < ackedIdx.length; k++) {
    const i = ackedIdx[k] ?? -1;
    const n = i < 0 ? 0 : (view.count[i] ?? 0);
    if (n === 1) continue;
    if (n === 0 && !cutShort) (never.get(k) ?? never.set(k, []).get(k))?.push(b);
    if (n > 1) (twice.get(k) ?? twice.set(k, []).get(k))?.push({ branch: b, n });
  }
}

/** Walks the branch's apply order: notes ids nobody acknowledged and checks each origin's sequence order; returns the vector it applied. */
function walkApplyOrder(m: HistoryModel, view: BranchView, isAcked: Uint8Array, walk: BranchWalk): Vector {
  const b = view.branch;
  const table = writeTable(m);
  const order = m.applied.get(b)?.view() ?? new Int32Array(0);
  const last = new Map<string, number>();
  const vector: Vector = {};
  for (let k = 0; k < order.length; k++) {
    const i = order[k] ?? 0;
    if (view.pos[i] === k && isAcked[i] !== 1) noteUnacked(m, view, i, walk);
    const origin = table.originOf[i];
    const seq = table.seqOf[i] ?? NaN;
    if (origin === undefined) {
      walk.orderAndFinals.push({ branch: b, ops: [], message: `branch ${b} applied a write with the malformed id "${m.writeIds[i]}"; ids are <origin>.<seq>` });
      continue;
    }
    if ((vector[origin] ?? 0) < seq) vector[origin] = seq;
    const prev = last.get(origin) ?? 0;
    if (seq <= prev) continue; // a duplicate, reported above
    if (seq !== prev + 1) walk.orderAndFinals.push(outOfSequence(m, b, m.writeIds[i] ?? "", origin, prev));
    last.set(origin, seq);
  }
  return vector;
}

/** Write i, which nobody acknowledged, first applied here: where, and whether more than once. */
function noteUnacked(m: HistoryModel, view: BranchView, i: number, walk: BranchWalk): void {
  const b = view.branch;
  const id = m.writeIds[i] ?? "";
  const where = walk.unacked.get(id);
  if (where === undefined) walk.unacked.set(id, [b]);
  else where.push(b);
  const n = view.count[i] ?? 0;
  if (n > 1) walk.repeated.push({ branch: b, ops: [], message: `branch ${b} applied ${describeWrite(m, id)} ${n} times; a write must be applied once` });
}

function outOfSequence(m: HistoryModel, b: number, id: string, origin: string, prev: number): Finding {
  const op = m.acked.get(id)?.op;
  return {
    branch: b,
    ops: op === undefined ? [] : [op],
    message:
      `branch ${b} applied ${describeWrite(m, id)} before ${origin}.${prev + 1}; every branch must ` +
      `apply each origin's writes in sequence order (version vectors rely on it)`,
  };
}

/** Acknowledged writes some branch never applied, or applied more than once. */
function notAppliedOnce(m: HistoryModel, { never, twice }: BranchWalk): Finding[] {
  const out: Finding[] = [];
  m.acked.forEachIndexed((op, i, k) => {
    const id = m.writeIds[i] ?? "";
    const nev = never.get(k) ?? [];
    const tw = twice.get(k) ?? [];
    if (nev.length + tw.length === 0) return;
    const parts: string[] = [];
    if (nev.length > 0) parts.push(`${branchList(nev)} never applied it`);
    for (const t of tw) parts.push(`branch ${t.branch} applied it ${t.n} times`);
    const f: Finding = {
      ops: [op.op],
      message: `${describeWrite(m, id)} was acknowledged, but ${parts.join(" and ")}; every acknowledged write must be applied exactly once at every branch`,
    };
    if (nev.length + tw.length === 1) f.branch = nev[0] ?? tw[0]?.branch;
    out.push(f);
  });
  return out;
}

/** Applied ids that no operation issued. */
function unissuedWrites(m: HistoryModel, unacked: Map<string, number[]>): Finding[] {
  const out: Finding[] = [];
  for (const [id, branches] of unmatchedIds(m, unacked)) {
    const e = m.effects.get(id);
    const what = e === undefined ? `write ${id}` : `${e.kind} ${id} of ${money(e.amountCents)}`;
    out.push({
      ops: [],
      message:
        `${branchList(branches)} applied ${what}, which no operation issued: no acknowledged write has this id ` +
        `and no operation of unknown outcome sent to its origin matches it`,
    });
  }
  return out;
}

function branchList(bs: number[]): string {
  return bs.length === 1 ? `branch ${bs[0]}` : `branches ${bs.join(", ")}`;
}

/**
 * Applied ids nobody acknowledged that no "info" write at their origin
 * accounts for, with where they were applied. Each "info" operation accounts
 * for one id: ids in seq order take the first unused operation of the same
 * origin, kind and amount.
 */
function unmatchedIds(m: HistoryModel, where: Map<string, number[]>): Map<string, number[]> {
  const candidates = new Map<string, Op[]>();
  for (const o of m.ops) {
    if (o.status !== "info" || o.kind === "query") continue;
    const key = `${o.branch}|${o.kind}|${o.amountCents}`;
    const list = candidates.get(key);
    if (list === undefined) candidates.set(key, [o]);
    else list.push(o);
  }
  const used = new Map<string, number>();
  const table = writeTable(m);
  const seqOf = (id: string) => table.seqOf[m.writeIndex.get(id) ?? -1] ?? 0;
  const ordered = [...where.keys()].sort((a, b) => (seqOf(a) || 0) - (seqOf(b) || 0));
  const out = new Map<string, number[]>();
  for (const id of ordered) {
    const origin = table.originOf[m.writeIndex.get(id) ?? -1];
    const e = m.effects.get(id);
    const key = `${origin}|${e?.kind}|${e?.amountCents}`;
    const n = used.get(key) ?? 0;
    if (origin !== undefined && e !== undefined && n < (candidates.get(key)?.length ?? 0)) used.set(key, n + 1);
    else out.set(id, where.get(id) ?? []);
  }
  return out;
}

/** An id must mean one effect: the acknowledged operation and every apply record agree. */
function effectConflicts(m: HistoryModel): Finding[] {
  const out: Finding[] = [];
  const what = (e: { kind: string; amountCents: number }) => `${e.kind} of ${money(e.amountCents)}`;
  for (const [id, op] of m.acked) {
    const other = m.variants.get(id)?.find((v) => v.kind !== op.kind || v.amountCents !== op.amountCents);
    if (other === undefined) continue;
    out.push({
      ops: [op.op],
      message:
        `write ${id} was acknowledged as ${describeOp(op)} (${what(op)}) but applied at branch ${other.branch} as ` +
        `${what(other)}; a write id must mean the same effect everywhere`,
    });
  }
  for (const [id, variants] of m.variants) {
    if (m.acked.has(id)) continue;
    const [first, other] = variants;
    if (first === undefined || other === undefined) continue;
    out.push({
      ops: [],
      message:
        `write ${id} was applied at branch ${first.branch} (${what(first)}) but applied at branch ${other.branch} as ` +
        `${what(other)}; a write id must mean the same effect everywhere`,
    });
  }
  return out;
}
