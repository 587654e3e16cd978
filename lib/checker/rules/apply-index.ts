// Per-branch views of the apply orders, computed one branch at a time so that
// memory stays at a few arrays the size of the write table, whatever the
// number of branches: where each write was first applied, how often, and by
// when each origin's prefix 1..k was complete. Shared by the write rules
// (MW, WFR) and exactly-once.

import type { HistoryModel } from "./model.js";
import { parseWriteId } from "./vv.js";

/** Position meaning "never" in the arrays below. */
export const NEVER = 0x7fffffff;

export interface WriteTable {
  /** Per write index: the id's origin and seq (undefined / NaN for a malformed id). */
  originOf: Array<string | undefined>;
  seqOf: Float64Array;
  /** Per origin, its write indexes in ascending seq order, with the seqs. */
  byOrigin: Map<string, { seqs: number[]; idxs: number[] }>;
}

const tables = new WeakMap<HistoryModel, WriteTable>();

export function writeTable(m: HistoryModel): WriteTable {
  const cached = tables.get(m);
  if (cached !== undefined) return cached;
  const n = m.writeIds.length;
  const originOf: Array<string | undefined> = new Array<string | undefined>(n);
  const seqOf = new Float64Array(n).fill(NaN);
  const byOrigin = new Map<string, { seqs: number[]; idxs: number[] }>();
  for (let i = 0; i < n; i++) {
    const w = parseWriteId(m.writeIds[i] ?? "");
    if (w === undefined) continue;
    originOf[i] = w.origin;
    seqOf[i] = w.seq;
    let o = byOrigin.get(w.origin);
    if (o === undefined) byOrigin.set(w.origin, (o = { seqs: [], idxs: [] }));
    o.seqs.push(w.seq);
    o.idxs.push(i);
  }
  for (const o of byOrigin.values()) {
    let sorted = true;
    for (let k = 1; k < o.seqs.length && sorted; k++) sorted = (o.seqs[k - 1] ?? 0) < (o.seqs[k] ?? 0);
    if (sorted) continue;
    const order = o.idxs.map((_, k) => k).sort((a, b) => (o.seqs[a] ?? 0) - (o.seqs[b] ?? 0));
    o.seqs = order.map((k) => o.seqs[k] ?? 0);
    o.idxs = order.map((k) => o.idxs[k] ?? 0);
  }
  const t: WriteTable = { originOf, seqOf, byOrigin };
  tables.set(m, t);
  return t;
}

export interface BranchView {
  branch: number;
  /** Per write index: where the branch first applied it, or NEVER. */
  pos: Int32Array;
  /** Per write index: how many times the branch applied it. */
  count: Int32Array;
}

/** `reuse`: an earlier view whose arrays are overwritten (a loop over branches then allocates once). */
export function branchView(m: HistoryModel, branch: number, reuse?: BranchView): BranchView {
  const n = m.writeIds.length;
  const pos = reuse?.pos.length === n ? reuse.pos.fill(NEVER) : new Int32Array(n).fill(NEVER);
  const count = reuse?.count.length === n ? reuse.count.fill(0) : new Int32Array(n);
  const order = m.applied.get(branch)?.view();
  if (order !== undefined) {
    for (let k = 0; k < order.length; k++) {
      const i = order[k] ?? 0;
      if (count[i] === 0) pos[i] = k;
      count[i] = (count[i] ?? 0) + 1;
    }
  }
  return { branch, pos, count };
}

/** Each branch's view in turn, with its index in m.branches; one set of arrays is reused, so a view is valid until the next. */
export function* branchViews(m: HistoryModel): Generator<[number, BranchView]> {
  let view: BranchView | undefined;
  for (const [bi, branch] of m.branches.entries()) {
    view = branchView(m, branch, view);
    yield [bi, view];
  }
}

/**
 * Per write index of `origin.k`: the position by which the branch had applied
 * all of origin.1 .. origin.k (the latest of their first positions), NEVER if
 * one of them never was. "w was applied after everything in R" is then one
 * comparison per origin of R.
 */
export function prefixCompleteAt(m: HistoryModel, view: BranchView, reuse?: Int32Array): Int32Array {
  const n = m.writeIds.length;
  const out = reuse?.length === n ? reuse.fill(NEVER) : new Int32Array(n).fill(NEVER);
  for (const { seqs, idxs } of writeTable(m).byOrigin.values()) {
    let done = -1;
    for (let k = 0; k < seqs.length; k++) {
      const i = idxs[k] ?? 0;
      // A gap in the table (origin.k-1 named nowhere) means nobody applied it.
      if (done !== NEVER && (seqs[k] ?? 0) !== k + 1) done = NEVER;
      if (done !== NEVER) done = Math.max(done, view.pos[i] ?? NEVER);
      out[i] = done;
    }
  }
  return out;
}

/** The write index of `origin.seq`, or -1 when no apply record or acknowledged operation names it. */
export function indexOf(m: HistoryModel, origin: string, seq: number): number {
  // Seqs of an origin are normally 1..n in the table: look there first, without building the id.
  const o = writeTable(m).byOrigin.get(origin);
  if (o !== undefined && o.seqs[seq - 1] === seq) return o.idxs[seq - 1] ?? -1;
  return m.writeIndex.get(`${origin}.${seq}`) ?? -1;
}

/** Per write index: 1 when an operation was acknowledged with that id. */
export function ackedMask(m: HistoryModel): Uint8Array {
  const out = new Uint8Array(m.writeIds.length);
  for (const id of m.acked.keys()) {
    const i = m.writeIndex.get(id);
    if (i !== undefined) out[i] = 1;
  }
  return out;
}
