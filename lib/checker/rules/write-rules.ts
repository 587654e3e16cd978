// Monotonic Writes and Writes Follow Reads: order at every replica, judged
// from the apply records (each branch's application order), not from what the
// branch the customer talked to said.
//
// MW:  (a) at every branch, a session's acknowledged writes are applied in
//          session order; a branch that applied a later write but never an
//          earlier one breaks it too.
//      (b) a refused withdraw creates no write, so (a) cannot see it; it was
//          still a write decided at a branch, so that branch must have applied
//          the session's earlier writes (its witness holds them). This is how
//          the course's MW anomaly shows: the withdraw fails at a branch that
//          has not seen the session's deposit.
// WFR: (a) at every branch that applied a write w of session s, every write in
//          the witness of the reads s completed before invoking w was applied
//          before w.
//      (b) likewise a refused withdraw was decided at a branch holding them.

import type { Finding, RuleResult } from "../findings.js";
import {
  isAckedWrite,
  isRead,
  sessionSteps,
  type AckedWrite,
  type HistoryModel,
  type Op,
  type ReadOp,
} from "./model.js";
import { contains, covers, idsIn, join, missingRanges, parseWriteId, type Vector } from "./vv.js";
import { describeOp, describeRead, describeWrite, listWithMore } from "./words.js";

interface BranchIndex {
  /** Where each id was first applied. */
  pos: Map<string, number>;
  /** For each id, the per-origin contiguous prefix this branch had applied just before it. */
  before: Map<string, Vector>;
}

/** Ids to enumerate at most when confirming what a branch lacked. */
const ENUMERATE_LIMIT = 1_000;

const indexCache = new WeakMap<HistoryModel, Map<number, BranchIndex>>();

function indexBranches(m: HistoryModel): Map<number, BranchIndex> {
  const cached = indexCache.get(m);
  if (cached !== undefined) return cached;
  const out = new Map<number, BranchIndex>();
  indexCache.set(m, out);
  for (const [branch, writes] of m.applied) {
    const pos = new Map<string, number>();
    const before = new Map<string, Vector>();
    const seen = new Map<string, Set<number>>();
    const prefix: Vector = {};
    writes.forEach((w, i) => {
      if (pos.has(w.id)) return;
      pos.set(w.id, i);
      before.set(w.id, { ...prefix });
      const id = parseWriteId(w.id);
      if (id === undefined) return;
      let s = seen.get(id.origin);
      if (s === undefined) seen.set(id.origin, (s = new Set()));
      s.add(id.seq);
      let n = prefix[id.origin] ?? 0;
      while (s.has(n + 1)) n++;
      prefix[id.origin] = n;
    });
    out.set(branch, { pos, before });
  }
  return out;
}

function isRefusedWithdraw(op: Op): op is ReadOp {
  return isRead(op) && op.kind === "withdraw" && op.result === "fail";
}

export function checkMw(m: HistoryModel): RuleResult {
  const index = indexBranches(m);
  const findings: Finding[] = [];
  let checked = 0;
  const rule = "Monotonic Writes requires every branch to apply a session's writes in the order the session made them";
  for (const [session, list] of m.sessions) {
    const writes = list.filter(isAckedWrite);
    for (const branch of m.branches) {
      const pos = index.get(branch)?.pos;
      let firstMissing: AckedWrite | undefined;
      let latest: { w: AckedWrite; at: number } | undefined;
      for (const w of writes) {
        checked++;
        const at = pos?.get(w.writeId);
        if (at === undefined) {
          firstMissing ??= w;
          continue;
        }
        const earlier = firstMissing ?? (latest !== undefined && at < latest.at ? latest.w : undefined);
        if (earlier === undefined) {
          latest = { w, at };
          continue;
        }
        const how = firstMissing !== undefined ? "but never" : "before";
        findings.push({
          session,
          branch,
          ops: [earlier.op, w.op],
          message:
            `session ${session}: branch ${branch} applied ${describeWrite(m, w.writeId)} ${how} the session's ` +
            `earlier ${describeWrite(m, earlier.writeId)}; ${rule}`,
        });
      }
    }
    // (b) refused withdraws
    const done: AckedWrite[] = [];
    let owed: Vector = {};
    for (const step of sessionSteps(list)) {
      for (const d of step.done) {
        if (!isAckedWrite(d)) continue;
        done.push(d);
        const id = parseWriteId(d.writeId);
        if (id !== undefined) owed = join(owed, { [id.origin]: id.seq });
      }
      const op = step.op;
      if (!isRefusedWithdraw(op)) continue;
      checked++;
      if (covers(op.witness, owed)) continue;
      const missing = done.filter((w) => !contains(op.witness, w.writeId));
      findings.push({
        session,
        branch: op.branch,
        ops: [...missing.map((w) => w.op), op.op],
        message:
          `session ${session}: ${describeRead(op)} at a branch that had not applied the session's earlier ` +
          `${listWithMore(missing.map((w) => describeWrite(m, w.writeId)))}; Monotonic Writes requires a branch ` +
          `to have applied the session's earlier writes before it decides a new one`,
      });
    }
  }
  return { rule: "MW", checked, findings };
}

export function checkWfr(m: HistoryModel): RuleResult {
  const index = indexBranches(m);
  const findings: Finding[] = [];
  let checked = 0;
  const rule = "Writes Follow Reads requires every branch to apply a write only after the writes its session had read";
  for (const [session, list] of m.sessions) {
    const reads: ReadOp[] = [];
    let readSet: Vector = {};
    for (const { op, done } of sessionSteps(list)) {
      for (const d of done) {
        if (!isRead(d)) continue;
        reads.push(d);
        readSet = join(readSet, d.witness);
      }
      const whoRead = (ids: string[]) => {
        const found = ids.map((id) => reads.find((r) => contains(r.witness, id)));
        return [...new Set(found.filter((r): r is ReadOp => r !== undefined))];
      };
      if (isAckedWrite(op)) {
        for (const branch of m.branches) {
          const bi = index.get(branch);
          const at = bi?.pos.get(op.writeId);
          const before = bi?.before.get(op.writeId);
          if (bi === undefined || at === undefined || before === undefined) continue;
          checked++;
          if (covers(before, readSet)) continue;
          const lacking = idsIn(missingRanges(before, readSet), ENUMERATE_LIMIT).filter((id) => {
            const p = bi.pos.get(id);
            return p === undefined || p > at;
          });
          if (lacking.length === 0) continue;
          const readers = whoRead(lacking.slice(0, 5));
          findings.push({
            session,
            branch,
            ops: [...readers.map((r) => r.op), op.op],
            message:
              `session ${session}: branch ${branch} applied ${describeWrite(m, op.writeId)} without first applying ` +
              `${listWithMore(lacking.map((id) => describeWrite(m, id)))}, which the session had read before it wrote ` +
              `(${listWithMore(readers.map(describeOp))} saw it); ${rule}`,
          });
        }
      } else if (isRefusedWithdraw(op)) {
        checked++;
        if (covers(op.witness, readSet)) continue;
        const lacking = idsIn(missingRanges(op.witness, readSet), ENUMERATE_LIMIT);
        const readers = whoRead(lacking.slice(0, 5));
        findings.push({
          session,
          branch: op.branch,
          ops: [...readers.map((r) => r.op), op.op],
          message:
            `session ${session}: ${describeRead(op)} at a branch that had not applied ` +
            `${listWithMore(lacking.map((id) => describeWrite(m, id)))}, which the session had read before ` +
            `(${listWithMore(readers.map(describeOp))} saw it); ${rule} and to decide a write only after them`,
        });
      }
    }
  }
  return { rule: "WFR", checked, findings };
}
