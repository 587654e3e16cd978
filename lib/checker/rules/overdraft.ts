// Overdraft: a negative balance anywhere (a returned balance or a final one),
// shown with the withdrawals that caused it.
//
// Two withdrawals are concurrent when both were approved (acknowledged with a
// write id), at different branches, and neither's witness contains the other:
// each branch decided against funds the other was spending. No
// coordination-free design prevents that (--concurrent runs can overdraw), so
// an overdraft that such a pair explains is a "finding", not a failure.
//
// The pair must lie inside the negative state (the read's witness, or the
// branch's final applied set). If the withdrawals in that state are pairwise
// ordered, the latest one saw all the others and the state holds at least its
// witness, so the balance is at least what that branch approved against:
// non-negative. A negative balance without a concurrent pair therefore means a
// branch approved a withdrawal it could not cover, and is a violation.

import type { Finding, RuleResult } from "../findings.js";
import { isAckedWrite, type AckedWrite, type HistoryModel } from "./model.js";
import { contains, parseWriteId, type Vector } from "./vv.js";
import { describeOp, listWithMore, money } from "./words.js";

type Approved = AckedWrite & { witness: Vector };

export function checkOverdraft(m: HistoryModel): RuleResult {
  const explainer = new OverdraftExplainer(m);
  const findings: Finding[] = [];
  const checked = negativeReads(m, explainer, findings) + negativeFinals(m, explainer, findings);
  return { rule: "overdraft", checked, findings };
}

/** Judges every returned balance; returns how many. */
function negativeReads(m: HistoryModel, explainer: OverdraftExplainer, findings: Finding[]): number {
  let checked = 0;
  for (const op of m.ops) {
    if (op.status !== "ok" || op.balanceCents === undefined) continue;
    checked++;
    if (op.balanceCents >= 0) continue;
    const state = op.witness ?? {};
    findings.push(explainer.explain(`session ${op.session}: ${describeOp(op)} saw a negative balance, ${money(op.balanceCents)}`, state, {
      session: op.session,
      branch: op.branch,
      ops: [op.op],
    }));
  }
  return checked;
}

/** Judges every final balance, with one finding per distinct negative final state, not one per branch; returns how many. */
function negativeFinals(m: HistoryModel, explainer: OverdraftExplainer, findings: Finding[]): number {
  let checked = 0;
  const negative = new Map<string, number[]>();
  for (const f of m.finals.values()) {
    checked++;
    if (f.balanceCents >= 0) continue;
    const key = JSON.stringify([f.balanceCents, Object.entries(f.applied).sort()]);
    negative.set(key, [...(negative.get(key) ?? []), f.branch]);
  }
  for (const branches of negative.values()) {
    const f = m.finals.get(branches[0] ?? NaN);
    if (f === undefined) continue;
    const who = branches.length === 1 ? `branch ${f.branch}` : `branches ${branches.join(", ")}`;
    const where: Omit<Finding, "message"> = branches.length === 1 ? { branch: f.branch, ops: [] } : { ops: [] };
    findings.push(explainer.explain(`${who} ended with a negative balance, ${money(f.balanceCents)}`, f.applied, where));
  }
  return checked;
}

/** Says what explains a negative state: withdrawals in it approved concurrently, or of unknown outcome, or nothing. */
class OverdraftExplainer {
  private readonly approved: Approved[];
  /** Built on first need: O(withdrawals²), and most runs never overdraw. */
  private partners: Map<Approved, Approved[]> | undefined;
  private unackedWithdrawals: string[] | undefined;

  constructor(private readonly m: HistoryModel) {
    this.approved = m.ops.filter((o): o is Approved => isAckedWrite(o) && o.kind === "withdraw" && o.witness !== undefined);
  }

  explain(what: string, state: Vector, where: Omit<Finding, "message">): Finding {
    const involved = this.culprits((id) => contains(state, id));
    // A withdrawal in the state whose outcome the customer never learned (an
    // unknown outcome) may have been approved concurrently with anything: it
    // cannot be ruled out, so it explains the overdraft as well.
    const unacknowledged = this.unacknowledged().filter((id) => contains(state, id));
    if (involved.length === 0 && unacknowledged.length > 0) {
      return {
        ...where,
        severity: "finding",
        message: `${what}: the withdrawals ${listWithMore(unacknowledged)} were applied but their outcome was never acknowledged, so they may have been approved concurrently against the same funds`,
      };
    }
    if (involved.length > 0) {
      return {
        ...where,
        ops: [...where.ops, ...involved.map((w) => w.op)],
        severity: "finding",
        message:
          `${what}: ${listWithMore(involved.map(describeOp))} were approved concurrently, at different branches ` +
          `that had not seen each other's withdrawal, against the same funds; no coordination-free design ` +
          `prevents this (deciding withdrawals at one branch does)`,
      };
    }
    return {
      ...where,
      severity: "violation",
      message:
        `${what}, and no pair of concurrently approved withdrawals explains it: a branch approved a ` +
        `withdrawal that the writes it had applied could not cover`,
    };
  }

  /** Withdrawals in the state that have a concurrent partner also in it. */
  private culprits(inState: (id: string) => boolean): Approved[] {
    return this.approved.filter((w) => inState(w.writeId) && this.partnersOf(w).some((p) => inState(p.writeId)));
  }

  private partnersOf(w: Approved): Approved[] {
    return (this.partners ??= concurrentPairs(this.approved)).get(w) ?? [];
  }

  /** Withdrawals applied (named by an apply record) whose outcome was never acknowledged. */
  private unacknowledged(): string[] {
    return (this.unackedWithdrawals ??= [...this.m.effects].filter(([id, e]) => e.kind === "withdraw" && !this.m.acked.has(id)).map(([id]) => id));
  }
}

/** For each approved withdrawal, those approved at another branch without either seeing the other. */
function concurrentPairs(approved: Approved[]): Map<Approved, Approved[]> {
  const ids = approved.map((a) => parseWriteId(a.writeId));
  const sees = (i: number, j: number) => {
    const id = ids[j];
    const a = approved[i];
    return id !== undefined && a !== undefined && (a.witness[id.origin] ?? 0) >= id.seq;
  };
  const partners = new Map<Approved, Approved[]>();
  for (let i = 0; i < approved.length; i++) {
    for (let j = i + 1; j < approved.length; j++) {
      const a = approved[i];
      const b = approved[j];
      if (a === undefined || b === undefined || a.branch === b.branch || sees(i, j) || sees(j, i)) continue;
      for (const [x, y] of [[a, b], [b, a]] as const) {
        const list = partners.get(x);
        if (list === undefined) partners.set(x, [y]);
        else list.push(y);
      }
    }
  }
  return partners;
}
