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
import { forEachStep, isAckedWrite, isPossibleWrite, type HistoryModel, type Op } from "./model.js";
import { writeTable } from "./apply-index.js";
import { formatRanges, type IdRange, type Vector } from "./vv.js";
import { describeOp, describeRead, money } from "./words.js";

function signed(e: { kind: "deposit" | "withdraw"; amountCents: number }): number {
  return e.kind === "deposit" ? e.amountCents : -e.amountCents;
}

/** Sums the effects of a version vector in O(origins) with per-origin prefix sums over the write table. */
function witnessSummer(m: HistoryModel): (v: Vector) => { sum: number; unknown: IdRange[] | undefined } {
  const prefix = new Map<string, Float64Array>();
  for (const [origin, { seqs, idxs }] of writeTable(m).byOrigin) {
    // Sums of origin.1 .. origin.n for as long as the ids are contiguous.
    let n = 0;
    while (n < seqs.length && seqs[n] === n + 1) n++;
    const sums = new Float64Array(n + 1);
    for (let k = 0; k < n; k++) {
      const e = m.effects.at(idxs[k] ?? -1);
      sums[k + 1] = (sums[k] ?? 0) + (e === undefined ? 0 : signed(e));
    }
    prefix.set(origin, sums);
  }
  const none = new Float64Array(1);
  return (v) => {
    let sum = 0;
    let unknown: IdRange[] | undefined;
    for (const origin in v) {
      const n = v[origin] ?? 0;
      if (n <= 0) continue;
      const sums = prefix.get(origin) ?? none;
      const known = Math.min(n, sums.length - 1);
      sum += sums[known] ?? 0;
      if (known < n) (unknown ??= []).push({ origin, from: known + 1, to: n });
    }
    return { sum, unknown };
  };
}

export function checkBalance(m: HistoryModel): RuleResult {
  const sumOf = witnessSummer(m);
  const start = m.meta.initialBalanceCents;
  // A run cut short may have lost the records that say what a witnessed write
  // did (its completion and its apply records, still in a buffer): such a
  // balance cannot be judged, rather than blamed on the branch.
  const cutShort = m.incomplete !== undefined && m.incomplete.branchesWithoutFinal.length > 0;
  let unjudged = 0;
  const findings: Finding[] = [];
  let checked = 0;
  const judge = (returned: number, v: Vector, who: string, where: Omit<Finding, "message">) => {
    const { sum, unknown } = sumOf(v);
    if (unknown !== undefined && cutShort) {
      unjudged++;
      return;
    }
    checked++;
    if (!Number.isSafeInteger(start + sum) || !Number.isSafeInteger(returned)) {
      findings.push({
        ...where,
        message:
          `${who} ${Number.isSafeInteger(returned) ? money(returned) : `about ${returned} cents`}, but the writes it claims to have applied add up past ` +
          `2^53 − 1 cents, where a balance is no longer exact (sums round): no balance past that can be right`,
      });
    } else if (unknown !== undefined) {
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
  const result: RuleResult = { rule: "balance", checked, findings };
  if (unjudged > 0) result.partial = `${unjudged} returned balance${unjudged === 1 ? "" : "s"} name writes whose records the run did not get to write`;
  return result;
}

interface Range {
  lower: number;
  upper: number;
  why: string;
}

/** Deposits and withdrawals, in cents, certainly or possibly included. */
interface Sums {
  dep: number;
  wd: number;
}

function range(start: number, certain: Sums, possible: Sums): Range {
  return {
    lower: start + certain.dep - possible.wd,
    upper: start + possible.dep - certain.wd,
    why:
      `from the start balance ${money(start)}, deposits certainly included ${money(certain.dep)} ` +
      `(at most ${money(possible.dep)}), withdrawals certainly included ${money(certain.wd)} (at most ${money(possible.wd)})`,
  };
}

function plus(s: Sums, op: Op): Sums {
  return op.kind === "deposit" ? { dep: s.dep + op.amountCents, wd: s.wd } : { dep: s.dep, wd: s.wd + op.amountCents };
}

export function checkBounds(m: HistoryModel): RuleResult {
  const start = m.meta.initialBalanceCents;
  const invoked = new InvokedWrites(m);
  const findings: Finding[] = [];
  const checked = boundsOfReads(m, start, invoked, findings) + boundsOfFinals(m, start, invoked, findings);
  return { rule: "bounds", checked, findings };
}

/** The writes that may have taken effect, by invocation time, with prefix sums of their deposits and withdrawals. */
class InvokedWrites {
  private readonly writes: Op[];
  private readonly dep: Float64Array;
  private readonly wd: Float64Array;

  constructor(m: HistoryModel) {
    const writes = m.ops.filter(isPossibleWrite).sort((a, b) => a.invokeMs - b.invokeMs);
    const dep = new Float64Array(writes.length + 1);
    const wd = new Float64Array(writes.length + 1);
    writes.forEach((w, i) => {
      dep[i + 1] = (dep[i] ?? 0) + (w.kind === "deposit" ? w.amountCents : 0);
      wd[i + 1] = (wd[i] ?? 0) + (w.kind === "withdraw" ? w.amountCents : 0);
    });
    this.writes = writes;
    this.dep = dep;
    this.wd = wd;
  }

  /** The sums of the writes invoked by time t. */
  by(t: number): Sums {
    let lo = 0;
    let hi = this.writes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.writes[mid]?.invokeMs ?? Infinity) <= t) lo = mid + 1;
      else hi = mid;
    }
    return { dep: this.dep[lo] ?? 0, wd: this.wd[lo] ?? 0 };
  }

  /** The sums of every possible write. */
  all(): Sums {
    const n = this.writes.length;
    return { dep: this.dep[n] ?? 0, wd: this.wd[n] ?? 0 };
  }
}

/** Judges every returned balance against what the writes invoked before it completed allow; returns how many. */
function boundsOfReads(m: HistoryModel, start: number, invoked: InvokedWrites, findings: Finding[]): number {
  const ryw = m.guarantees.has("ryw");
  let checked = 0;
  const scope =
    `"at most" counts every write invoked before the read completed, "certainly" the read's own write` +
    (ryw ? " and, with RYW on, the session's earlier writes" : "");
  for (const [session, list] of m.sessions) {
    let own: Sums = { dep: 0, wd: 0 };
    forEachStep(list, (d) => {
      if (ryw && isAckedWrite(d)) own = plus(own, d);
    }, (op) => {
      if (op.status !== "ok" || op.balanceCents === undefined) return;
      checked++;
      const certain = isAckedWrite(op) ? plus(own, op) : own;
      const r = range(start, certain, invoked.by(op.completeMs));
      if (op.balanceCents >= r.lower && op.balanceCents <= r.upper) return;
      findings.push({
        session,
        branch: op.branch,
        ops: [op.op],
        message:
          `session ${session}: ${describeRead({ ...op, witness: op.witness ?? {} })}, outside the range ` +
          `[${money(r.lower)}, ${money(r.upper)}] that the writes allow: ${r.why}; ${scope}; ` +
          `no order of these writes gives that balance`,
      });
    });
  }
  return checked;
}

/** Judges every final balance: every acknowledged write certainly in it, every possible write at most; returns how many. */
function boundsOfFinals(m: HistoryModel, start: number, invoked: InvokedWrites, findings: Finding[]): number {
  let checked = 0;
  let acked: Sums = { dep: 0, wd: 0 };
  for (const op of m.ops) if (isAckedWrite(op)) acked = plus(acked, op);
  const all = invoked.all();
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
  return checked;
}
