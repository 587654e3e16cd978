// Balances: are the numbers the branches returned possible?
//
// balance (witness-based): every returned balance (an "ok" operation with
//   balanceCents and a witness) equals the starting balance plus the effects
//   of exactly the writes in its witness (deposit +, withdraw −, effects taken
//   from the apply records). Each final balance likewise equals the start plus
//   its applied set. A witness that names a write nobody applied or was
//   acknowledged for is reported too. So a branch cannot lie about what it has
//   applied without being caught.
//
// bounds (witness-free, after Jepsen's counter checker): the branches' word is
//   not used. The balance a read returns is start + Σ(included deposits) −
//   Σ(included withdrawals) for some set "included" with certain ⊆ included ⊆
//   possible, where
//     possible = writes invoked before the read completed that may have taken
//                effect: acknowledged with a write id, or "info" (outcome
//                unknown). A write invoked after the read answered cannot be
//                in it (real time; monoMs is comparable across the threads
//                of one process). Gate refusals ("fail") and refused
//                withdrawals created no write.
//     certain  = the read's own write (an approved withdraw reports the
//                balance after itself), plus, when the run had RYW on, the
//                session's acknowledged writes completed before the read was
//                invoked. Without RYW nothing else is certain.
//   Since deposits only add and withdrawals only subtract, the value lies in
//     [start + Σ certain deposits − Σ possible withdrawals,
//      start + Σ possible deposits − Σ certain withdrawals].
//   This is sound (never flags a correct run) and deliberately loose: it only
//   catches balances no interleaving of the invoked writes could give. Final
//   balances use certain = every acknowledged write (a run ends only when every
//   branch applied every acknowledged write) and possible = every possible write.

import type { Finding, RuleResult } from "../findings.js";
import { isAckedWrite, isPossibleWrite, sessionSteps, type HistoryModel, type Op } from "./model.js";
import { formatRanges, parseWriteId, type IdRange, type Vector } from "./vv.js";
import { describeOp, describeRead, money } from "./words.js";

function signed(e: { kind: "deposit" | "withdraw"; amountCents: number }): number {
  return e.kind === "deposit" ? e.amountCents : -e.amountCents;
}

/** Sums the effects of a version vector in O(origins) with per-origin prefix sums. */
function witnessSummer(m: HistoryModel): (v: Vector) => { sum: number; unknown: IdRange[] } {
  const perOrigin = new Map<string, Map<number, number>>();
  for (const [id, e] of m.effects) {
    const w = parseWriteId(id);
    if (w === undefined) continue;
    const s = perOrigin.get(w.origin) ?? new Map<number, number>();
    s.set(w.seq, signed(e));
    perOrigin.set(w.origin, s);
  }
  const prefix = new Map<string, number[]>();
  for (const [origin, seqs] of perOrigin) {
    const sums = [0];
    for (let n = 1; seqs.has(n); n++) sums.push((sums[n - 1] ?? 0) + (seqs.get(n) ?? 0));
    prefix.set(origin, sums);
  }
  return (v) => {
    let sum = 0;
    const unknown: IdRange[] = [];
    for (const [origin, n] of Object.entries(v)) {
      if (n <= 0) continue;
      const sums = prefix.get(origin) ?? [0];
      const known = Math.min(n, sums.length - 1);
      sum += sums[known] ?? 0;
      if (known < n) unknown.push({ origin, from: known + 1, to: n });
    }
    return { sum, unknown };
  };
}

export function checkBalance(m: HistoryModel): RuleResult {
  const sumOf = witnessSummer(m);
  const start = m.meta.initialBalanceCents;
  const findings: Finding[] = [];
  let checked = 0;
  const judge = (returned: number, v: Vector, who: string, where: Omit<Finding, "message">) => {
    checked++;
    const { sum, unknown } = sumOf(v);
    if (unknown.length > 0) {
      findings.push({
        ...where,
        message:
          `${who} ${money(returned)} and claims to have applied ${formatRanges(unknown)}, which no branch applied ` +
          `and no operation was acknowledged for; a branch must only claim writes that exist`,
      });
    } else if (start + sum !== returned) {
      findings.push({
        ...where,
        message:
          `${who} ${money(returned)}, but the writes it claims to have applied add up to ${money(start + sum)} ` +
          `(start ${money(start)} ${sum < 0 ? "−" : "+"} ${money(Math.abs(sum))}); a branch must report the balance ` +
          `of exactly the writes it has applied`,
      });
    }
  };
  for (const op of m.ops) {
    if (op.status !== "ok" || op.balanceCents === undefined || op.witness === undefined) continue;
    judge(op.balanceCents, op.witness, `session ${op.session}: ${describeOp(op)} returned`, { session: op.session, branch: op.branch, ops: [op.op] });
  }
  for (const f of m.finals.values()) {
    judge(f.balanceCents, f.applied, `branch ${f.branch} ended with balance`, { branch: f.branch, ops: [] });
  }
  return { rule: "balance", checked, findings };
}

interface Range {
  lower: number;
  upper: number;
  why: string;
}

function range(start: number, certain: Op[], possible: { dep: number; wd: number }): Range {
  const certDep = certain.reduce((s, o) => s + (o.kind === "deposit" ? o.amountCents : 0), 0);
  const certWd = certain.reduce((s, o) => s + (o.kind === "withdraw" ? o.amountCents : 0), 0);
  return {
    lower: start + certDep - possible.wd,
    upper: start + possible.dep - certWd,
    why:
      `from the start balance ${money(start)}, deposits certainly included ${money(certDep)} ` +
      `(at most ${money(possible.dep)}), withdrawals certainly included ${money(certWd)} (at most ${money(possible.wd)})`,
  };
}

export function checkBounds(m: HistoryModel): RuleResult {
  const start = m.meta.initialBalanceCents;
  const ryw = m.guarantees.has("ryw");
  const writes = m.ops.filter(isPossibleWrite).sort((a, b) => a.invokeMs - b.invokeMs);
  const dep = [0];
  const wd = [0];
  writes.forEach((w, i) => {
    dep.push((dep[i] ?? 0) + (w.kind === "deposit" ? w.amountCents : 0));
    wd.push((wd[i] ?? 0) + (w.kind === "withdraw" ? w.amountCents : 0));
  });
  const invokedBy = (t: number) => {
    let lo = 0;
    let hi = writes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((writes[mid]?.invokeMs ?? Infinity) <= t) lo = mid + 1;
      else hi = mid;
    }
    return { dep: dep[lo] ?? 0, wd: wd[lo] ?? 0 };
  };
  const findings: Finding[] = [];
  let checked = 0;
  const scope =
    `"at most" counts every write invoked before the read completed, "certainly" the read's own write` +
    (ryw ? " and, with RYW on, the session's earlier writes" : "");
  for (const [session, list] of m.sessions) {
    const own: Op[] = [];
    for (const { op, done } of sessionSteps(list)) {
      if (ryw) own.push(...done.filter(isAckedWrite));
      if (op.status !== "ok" || op.balanceCents === undefined) continue;
      checked++;
      const certain = isAckedWrite(op) ? [...own, op] : own;
      const r = range(start, certain, invokedBy(op.completeMs));
      if (op.balanceCents >= r.lower && op.balanceCents <= r.upper) continue;
      findings.push({
        session,
        branch: op.branch,
        ops: [op.op],
        message:
          `session ${session}: ${describeRead({ ...op, witness: op.witness ?? {} })}, outside the range ` +
          `[${money(r.lower)}, ${money(r.upper)}] that the writes allow: ${r.why}; ${scope}; ` +
          `no order of these writes gives that balance`,
      });
    }
  }
  const acked = m.ops.filter(isAckedWrite);
  const all = { dep: dep[writes.length] ?? 0, wd: wd[writes.length] ?? 0 };
  for (const f of m.finals.values()) {
    checked++;
    const r = range(start, acked, all);
    if (f.balanceCents >= r.lower && f.balanceCents <= r.upper) continue;
    findings.push({
      branch: f.branch,
      ops: [],
      message:
        `branch ${f.branch} ended with balance ${money(f.balanceCents)}, outside the range [${money(r.lower)}, ` +
        `${money(r.upper)}] that the writes allow: ${r.why}; at the end every acknowledged write is certainly ` +
        `included and "at most" adds the writes of unknown outcome`,
    });
  }
  return { rule: "bounds", checked, findings };
}
