// What crashes and failing disks must never cost, checked at the end of every
// simulated run beside the history checker's verdict, against what the
// branches hold and what their logs say (not only the history's account):
// - every acknowledged write is applied at every branch, and its origin's
//   log holds it as the decision of the very request that was told its id,
//   with the same kind and amount (it survived: no other write took its id);
// - no request was executed twice: no origin's log holds two writes decided
//   for one request id;
// - every write any branch applied is in its origin's log, whose own writes
//   are numbered 1, 2, 3, ... without a gap (a crash may lose a decision
//   nobody saw, never one somebody holds).
// The checker's exactly-once rule sees much of this from the history alone;
// these say it from the branches' side, exactly, and name the request.

import type { BranchState } from "../core/branch.js";
import type { Write } from "../core/ledger.js";
import type { HistoryRecord, InvokeRecord } from "../history/types.js";

/** One of an origin's own writes in its log, with the request it decided (when logged with its outcome). */
export interface Decision {
  write: Write;
  session?: string;
  n?: number;
}

const BREACHES_MAX = 20;

/** Sentences, one per breach; empty when every invariant holds. */
export function durabilityBreaches(history: readonly HistoryRecord[], finals: readonly BranchState[], decisions: ReadonlyMap<number, readonly Decision[]>): string[] {
  const out = [...ackedWritesSurvive(history, finals, decisions), ...requestsRanOnce(decisions), ...appliedWritesAreLogged(finals, decisions)];
  return out.length > BREACHES_MAX ? [...out.slice(0, BREACHES_MAX), `... and ${out.length - BREACHES_MAX} more`] : out;
}

const idOf = (w: Write): string => `${w.id.branch}.${w.id.seq}`;

function ackedWritesSurvive(history: readonly HistoryRecord[], finals: readonly BranchState[], decisions: ReadonlyMap<number, readonly Decision[]>): string[] {
  const invokes = new Map<number, InvokeRecord>();
  for (const r of history) if (r.type === "invoke") invokes.set(r.op, r);
  const logged = new Map<string, Decision>();
  for (const list of decisions.values()) for (const d of list) logged.set(idOf(d.write), d);
  const out: string[] = [];
  for (const r of history) {
    if (r.type !== "complete" || r.status !== "ok" || r.writeId === undefined) continue;
    const inv = invokes.get(r.op);
    if (inv === undefined) continue;
    const what = `${inv.requestId} (${inv.kind} of ${inv.amountCents}c at branch ${inv.branch}), acknowledged as write ${r.writeId},`;
    const [origin, seq] = r.writeId.split(".").map(Number) as [number, number];
    const lacking = finals.filter((f) => (f.applied.get(origin) ?? 0) < seq).map((f) => f.branch);
    if (lacking.length > 0) out.push(`${what} is not applied at branch(es) ${lacking.join(", ")} at the end`);
    const d = logged.get(r.writeId);
    if (d === undefined) {
      out.push(`${what} is not in its origin branch ${origin}'s log`);
    } else if (`${d.session}#${d.n}` !== inv.requestId || d.write.kind !== inv.kind || d.write.amountCents !== inv.amountCents) {
      out.push(`${what} but branch ${origin}'s log holds ${r.writeId} as ${d.write.kind} of ${d.write.amountCents}c for ${d.session ?? "no request"}#${d.n ?? ""}`);
    }
  }
  return out;
}

function requestsRanOnce(decisions: ReadonlyMap<number, readonly Decision[]>): string[] {
  const byRequest = new Map<string, string[]>();
  for (const list of decisions.values()) {
    for (const d of list) {
      if (d.session === undefined) continue;
      const key = `${d.session}#${d.n}`;
      byRequest.set(key, [...(byRequest.get(key) ?? []), idOf(d.write)]);
    }
  }
  const out: string[] = [];
  for (const [request, ids] of byRequest) {
    if (ids.length > 1) out.push(`request ${request} was executed ${ids.length} times: the logs hold writes ${ids.join(", ")} decided for it`);
  }
  return out;
}

function appliedWritesAreLogged(finals: readonly BranchState[], decisions: ReadonlyMap<number, readonly Decision[]>): string[] {
  const out: string[] = [];
  for (const [origin, list] of decisions) {
    const seqs = list.map((d) => d.write.id.seq);
    const gap = seqs.findIndex((s, i) => s !== i + 1);
    if (gap >= 0) out.push(`branch ${origin}'s log holds its own writes ${seqs.slice(Math.max(0, gap - 1), gap + 2).join(", ")}...: not numbered 1, 2, 3, ... without a gap`);
    for (const f of finals) {
      const applied = f.applied.get(origin) ?? 0;
      if (applied > seqs.length) out.push(`branch ${f.branch} applied writes of branch ${origin} up to ${origin}.${applied}, but branch ${origin}'s log holds only ${seqs.length}`);
    }
  }
  return out;
}
