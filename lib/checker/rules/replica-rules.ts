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
import { describeVector, missingRanges, parseWriteId, sameVector, vectorOf, idsIn } from "./vv.js";
import { describeOp, describeWrite, listWithMore, money } from "./words.js";

const OPS_LIMIT = 20;

export function checkConvergence(m: HistoryModel): RuleResult {
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
  const findings: Finding[] = [];
  const counts = new Map<number, Map<string, number>>();
  for (const [b, writes] of m.applied) {
    const c = new Map<string, number>();
    for (const w of writes) c.set(w.id, (c.get(w.id) ?? 0) + 1);
    counts.set(b, c);
  }

  const byId = new Map<string, AckedWrite[]>();
  for (const op of m.ops) {
    if (isAckedWrite(op)) byId.set(op.writeId, [...(byId.get(op.writeId) ?? []), op]);
  }
  for (const [id, ops] of byId) {
    if (ops.length < 2) continue;
    findings.push({
      ops: ops.map((o) => o.op),
      message: `write id ${id} was given to ${listWithMore(ops.map(describeOp))}; each write must get its own id`,
    });
  }

  for (const [id, op] of m.acked) {
    const never = m.branches.filter((b) => (counts.get(b)?.get(id) ?? 0) === 0);
    const twice = m.branches.filter((b) => (counts.get(b)?.get(id) ?? 0) > 1);
    const parts: string[] = [];
    if (never.length > 0) parts.push(`${branchList(never)} never applied it`);
    for (const b of twice) parts.push(`branch ${b} applied it ${counts.get(b)?.get(id)} times`);
    if (parts.length === 0) continue;
    const f: Finding = {
      ops: [op.op],
      message: `${describeWrite(m, id)} was acknowledged, but ${parts.join(" and ")}; every acknowledged write must be applied exactly once at every branch`,
    };
    if (never.length + twice.length === 1) f.branch = never[0] ?? twice[0];
    findings.push(f);
  }

  const unissued = unmatchedIds(m);
  for (const [id, branches] of unissued) {
    const e = m.effects.get(id);
    const what = e === undefined ? `write ${id}` : `${e.kind} ${id} of ${money(e.amountCents)}`;
    findings.push({
      ops: [],
      message:
        `${branchList(branches)} applied ${what}, which no operation issued: no acknowledged write has this id ` +
        `and no operation of unknown outcome sent to its origin matches it`,
    });
  }
  for (const [b, c] of counts) {
    for (const [id, n] of c) {
      if (n > 1 && !m.acked.has(id)) {
        findings.push({ branch: b, ops: [], message: `branch ${b} applied ${describeWrite(m, id)} ${n} times; a write must be applied once` });
      }
    }
  }

  findings.push(...effectConflicts(m), ...orderAndFinals(m));
  const ids = new Set([...m.acked.keys(), ...[...counts.values()].flatMap((c) => [...c.keys()])]);
  return { rule: "exactly-once", checked: ids.size, findings };
}

function branchList(bs: number[]): string {
  return bs.length === 1 ? `branch ${bs[0]}` : `branches ${bs.join(", ")}`;
}

/** Applied ids nobody acknowledged and no "info" write at their origin accounts for, with where they were applied. */
function unmatchedIds(m: HistoryModel): Map<string, number[]> {
  const where = new Map<string, number[]>();
  for (const [b, writes] of m.applied) {
    for (const w of writes) {
      if (m.acked.has(w.id)) continue;
      const list = where.get(w.id) ?? [];
      if (!list.includes(b)) list.push(b);
      where.set(w.id, list);
    }
  }
  const candidates: Op[] = m.ops.filter((o) => o.status === "info" && o.kind !== "query");
  const used = new Set<Op>();
  const ordered = [...where.keys()].sort((a, b) => (parseWriteId(a)?.seq ?? 0) - (parseWriteId(b)?.seq ?? 0));
  const out = new Map<string, number[]>();
  for (const id of ordered) {
    const w = parseWriteId(id);
    const e = m.effects.get(id);
    const match = candidates.find(
      (o) =>
        !used.has(o) &&
        w !== undefined &&
        String(o.branch) === w.origin &&
        e !== undefined &&
        o.kind === e.kind &&
        o.amountCents === e.amountCents,
    );
    if (match === undefined) out.set(id, where.get(id) ?? []);
    else used.add(match);
  }
  return out;
}

function effectConflicts(m: HistoryModel): Finding[] {
  const out: Finding[] = [];
  const seen = new Map<string, { kind: string; amountCents: number; where: string }>();
  const sources: Array<{ id: string; kind: string; amountCents: number; where: string; op?: number }> = [];
  for (const [id, op] of m.acked) sources.push({ id, kind: op.kind, amountCents: op.amountCents, where: `acknowledged as ${describeOp(op)}`, op: op.op });
  for (const [b, writes] of m.applied) {
    for (const w of writes) sources.push({ id: w.id, kind: w.kind, amountCents: w.amountCents, where: `applied at branch ${b}` });
  }
  const reported = new Set<string>();
  for (const s of sources) {
    const first = seen.get(s.id);
    if (first === undefined) {
      seen.set(s.id, s);
      continue;
    }
    if ((first.kind === s.kind && first.amountCents === s.amountCents) || reported.has(s.id)) continue;
    reported.add(s.id);
    const ackOp = m.acked.get(s.id)?.op;
    out.push({
      ops: ackOp === undefined ? [] : [ackOp],
      message:
        `write ${s.id} was ${first.where} (${first.kind} of ${money(first.amountCents)}) but ${s.where} as ` +
        `${s.kind} of ${money(s.amountCents)}; a write id must mean the same effect everywhere`,
    });
  }
  return out;
}

function orderAndFinals(m: HistoryModel): Finding[] {
  const out: Finding[] = [];
  for (const b of m.branches) {
    const writes = m.applied.get(b) ?? [];
    const last = new Map<string, number>();
    for (const w of writes) {
      const id = parseWriteId(w.id);
      if (id === undefined) {
        out.push({ branch: b, ops: [], message: `branch ${b} applied a write with the malformed id "${w.id}"; ids are <origin>.<seq>` });
        continue;
      }
      const prev = last.get(id.origin) ?? 0;
      if (id.seq <= prev) continue; // a duplicate, reported above
      if (id.seq !== prev + 1) {
        out.push({
          branch: b,
          ops: m.acked.has(w.id) ? [m.acked.get(w.id)?.op ?? 0] : [],
          message:
            `branch ${b} applied ${describeWrite(m, w.id)} before ${id.origin}.${prev + 1}; every branch must ` +
            `apply each origin's writes in sequence order (version vectors rely on it)`,
        });
      }
      last.set(id.origin, Math.max(prev, id.seq));
    }
    const f = m.finals.get(b);
    if (f === undefined) continue;
    const { vector } = vectorOf(writes.map((w) => w.id).filter((id) => parseWriteId(id) !== undefined));
    if (sameVector(vector, f.applied)) continue;
    out.push({
      branch: b,
      ops: [],
      message:
        `branch ${b}'s final record says it applied ${describeVector(f.applied)}, but its apply records show ` +
        `${describeVector(vector)}; the final state must match what the branch applied`,
    });
  }
  return out;
}
