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
//
// Both are judged one branch at a time (apply-index.ts), so memory holds a few
// arrays the size of the write table rather than a vector per applied write:
// WFR keeps, per acknowledged write, the last id per origin of what its
// session had read, and compares each with the position by which the branch
// had applied that origin's whole prefix. Who read what is named afterwards,
// walking again only the sessions that broke the rule.

import type { Finding, RuleResult } from "../findings.js";
import { forEachStep, isAckedWrite, isRead, type AckedWrite, type HistoryModel, type Op, type ReadOp } from "./model.js";
import { branchView, indexOf, NEVER, prefixCompleteAt, writeTable, type BranchView } from "./apply-index.js";
import { IntList } from "./int-list.js";
import { OwedWrites, ReadFrontier } from "./frontiers.js";
import { covers, idsIn, missingRanges, type Vector } from "./vv.js";
import { describeOp, describeRead, describeWrite, listWithMore, OPS_LIMIT } from "./words.js";

/** Ids to enumerate at most when confirming what a branch lacked. */
const ENUMERATE_LIMIT = 1_000;

/** Findings gathered branch by branch, then put in session order: (session, step, branch). */
type Keyed = { key: number[]; finding: Finding };

function inOrder(keyed: Keyed[]): Finding[] {
  return keyed
    .sort((a, b) => {
      for (let i = 0; i < Math.max(a.key.length, b.key.length); i++) {
        const d = (a.key[i] ?? 0) - (b.key[i] ?? 0);
        if (d !== 0) return d;
      }
      return 0;
    })
    .map((k) => k.finding);
}

function isRefusedWithdraw(op: Op): op is ReadOp {
  return isRead(op) && op.kind === "withdraw" && op.result === "fail";
}

export function checkMw(m: HistoryModel): RuleResult {
  const keyed: Keyed[] = [];
  let checked = 0;
  const rule = "Monotonic Writes requires every branch to apply a session's writes in the order the session made them";
  const sessions = [...m.sessions].map(([session, list]) => {
    const writes = list.filter(isAckedWrite);
    return { session, writes, idxs: Int32Array.from(writes, (w) => m.writeIndex.get(w.writeId) ?? -1) };
  });
  // (a) one branch at a time: where it applied each write of each session.
  let view: BranchView | undefined;
  for (const [bi, branch] of m.branches.entries()) {
    view = branchView(m, branch, view);
    const pos = view.pos;
    for (const [si, { session, writes, idxs }] of sessions.entries()) {
      let firstMissing: AckedWrite | undefined;
      let latest: { w: AckedWrite; at: number } | undefined;
      for (let step = 0; step < writes.length; step++) {
        const w = writes[step];
        const idx = idxs[step] ?? -1;
        if (w === undefined) continue;
        checked++;
        const at = idx < 0 ? NEVER : (pos[idx] ?? NEVER);
        if (at === NEVER) {
          firstMissing ??= w;
          continue;
        }
        const earlier = firstMissing ?? (latest !== undefined && at < latest.at ? latest.w : undefined);
        if (earlier === undefined) {
          latest = { w, at };
          continue;
        }
        const how = firstMissing !== undefined ? "but never" : "before";
        keyed.push({
          key: [si, 0, bi, step],
          finding: {
            session,
            branch,
            ops: [earlier.op, w.op],
            message:
              `session ${session}: branch ${branch} applied ${describeWrite(m, w.writeId)} ${how} the session's ` +
              `earlier ${describeWrite(m, earlier.writeId)}; ${rule}`,
          },
        });
      }
    }
  }
  // (b) refused withdraws
  for (const [si, [session, list]] of [...m.sessions].entries()) {
    const owed = new OwedWrites();
    forEachStep(list, (d) => isAckedWrite(d) && owed.add(d), (op, step) => {
      if (!isRefusedWithdraw(op)) return;
      checked++;
      if (covers(op.witness, owed.vector)) return;
      const missing = owed.missing(op.witness, OPS_LIMIT);
      keyed.push({
        key: [si, 1, step],
        finding: {
          session,
          branch: op.branch,
          ops: [...missing.sample.map((w) => w.op), op.op],
          message:
            `session ${session}: ${describeRead(op)} at a branch that had not applied the session's earlier ` +
            `${listWithMore(missing.sample.map((w) => describeWrite(m, w.writeId)), undefined, missing.count)}; Monotonic Writes requires a branch ` +
            `to have applied the session's earlier writes before it decides a new one`,
        },
      });
    });
  }
  return { rule: "MW", checked, findings: inOrder(keyed) };
}

export function checkWfr(m: HistoryModel): RuleResult {
  const keyed: Keyed[] = [];
  let checked = 0;
  const rule = "Writes Follow Reads requires every branch to apply a write only after the writes its session had read";
  const whoRead = (readers: ReadFrontier, ids: string[]) => {
    const found = new Set<ReadOp>();
    for (const id of ids) {
      const [origin = "", seq = "0"] = id.split(".");
      const r = readers.firstReaderOf(origin, Number(seq));
      if (r !== undefined) found.add(r);
    }
    return [...found];
  };
  const table = writeTable(m);
  const sessionList = [...m.sessions];

  // Pass 1, per session: what each acknowledged write owes (its session's read
  // set when it was invoked), in flat arrays: for each origin of the read set,
  // the write index of its last id. Writes with no read between them share one
  // range of the pool. Refused withdraws (b) are judged on the way.
  const obWrites: AckedWrite[] = [];
  const obIdx = new IntList();
  const obSession = new IntList();
  const obStep = new IntList();
  const obStart = new IntList();
  const obCount = new IntList();
  const pool = new IntList();
  /** Refused withdraws decided without what their session had read (named in pass 3). */
  const refused: Array<{ si: number; step: number; op: ReadOp; lacking: string[] }> = [];
  /** Read sets that name an id no record has (so no branch applied it), by obligation: kept whole for the messages. */
  const unknownIds = new Map<number, Vector>();
  for (const [si, [, list]] of sessionList.entries()) {
    const readers = new ReadFrontier(false);
    let shared: { version: number; start: number; count: number; unknown: Vector | undefined } | undefined;
    forEachStep(list, (d) => isRead(d) && readers.add(d), (op, step) => {
      if (isAckedWrite(op)) {
        const read = readers.vector;
        if (shared?.version !== readers.version) {
          shared = { version: readers.version, start: pool.length, count: 0, unknown: undefined };
          for (const origin in read) {
            const seq = read[origin] ?? 0;
            if (seq <= 0) continue;
            const i = indexOf(m, origin, seq);
            if (i < 0) shared.unknown ??= { ...read };
            pool.push(i);
            shared.count++;
          }
        }
        if (shared.unknown !== undefined) unknownIds.set(obWrites.length, shared.unknown);
        obWrites.push(op);
        obIdx.push(m.writeIndex.get(op.writeId) ?? -1);
        obSession.push(si);
        obStep.push(step);
        obStart.push(shared.start);
        obCount.push(shared.count);
      } else if (isRefusedWithdraw(op)) {
        checked++;
        if (covers(op.witness, readers.vector)) return;
        refused.push({ si, step, op, lacking: idsIn(missingRanges(op.witness, readers.vector), ENUMERATE_LIMIT) });
      }
    });
  }

  // Pass 2, one branch at a time: was everything each write owes applied there before it?
  const broken: Array<{ ob: number; bi: number; branch: number; lacking: string[] }> = [];
  const vectorOf = (ob: number): Vector => {
    const whole = unknownIds.get(ob);
    if (whole !== undefined) return whole;
    const v: Vector = {};
    const start = obStart.at(ob);
    for (let k = 0; k < obCount.at(ob); k++) {
      const i = pool.at(start + k);
      const origin = table.originOf[i];
      if (origin !== undefined) v[origin] = table.seqOf[i] ?? 0;
    }
    return v;
  };
  const poolView = pool.view();
  let view: BranchView | undefined;
  let complete: Int32Array | undefined;
  for (const [bi, branch] of m.branches.entries()) {
    view = branchView(m, branch, view);
    complete = prefixCompleteAt(m, view, complete);
    for (let ob = 0; ob < obWrites.length; ob++) {
      const idx = obIdx.at(ob);
      const at = idx < 0 ? NEVER : (view.pos[idx] ?? NEVER);
      if (at === NEVER) continue;
      checked++;
      let ok = true;
      const start = obStart.at(ob);
      const end = start + obCount.at(ob);
      for (let k = start; k < end; k++) {
        const i = poolView[k] ?? -1;
        if (i < 0 || (complete[i] ?? NEVER) > at) {
          ok = false;
          break;
        }
      }
      if (ok) continue;
      const lacking = lackingBefore(m, view, complete, vectorOf(ob), at);
      if (lacking.length > 0) broken.push({ ob, bi, branch, lacking });
    }
  }

  // Pass 3, only for the sessions that broke the rule: walk them again to name who read what.
  type Named = { step: number; lacking: string[]; describe: (readBy: ReadOp[]) => Keyed };
  const bySession = new Map<number, Named[]>();
  const add = (si: number, x: Named) => {
    const list = bySession.get(si);
    if (list === undefined) bySession.set(si, [x]);
    else list.push(x);
  };
  for (const x of refused) {
    const session = sessionList[x.si]?.[0] ?? "";
    add(x.si, {
      step: x.step,
      lacking: x.lacking,
      describe: (readBy) => ({
        key: [x.si, x.step, -1],
        finding: {
          session,
          branch: x.op.branch,
          ops: [...readBy.map((r) => r.op), x.op.op],
          message:
            `session ${session}: ${describeRead(x.op)} at a branch that had not applied ` +
            `${listWithMore(x.lacking.map((id) => describeWrite(m, id)))}, which the session had read before ` +
            `(${listWithMore(readBy.map(describeOp))} saw it); ${rule} and to decide a write only after them`,
        },
      }),
    });
  }
  for (const x of broken) {
    const si = obSession.at(x.ob);
    const session = sessionList[si]?.[0] ?? "";
    const w = obWrites[x.ob];
    if (w === undefined) continue;
    add(si, {
      step: obStep.at(x.ob),
      lacking: x.lacking,
      describe: (readBy) => ({
        key: [si, obStep.at(x.ob), x.bi],
        finding: {
          session,
          branch: x.branch,
          ops: [...readBy.map((r) => r.op), w.op],
          message:
            `session ${session}: branch ${x.branch} applied ${describeWrite(m, w.writeId)} without first applying ` +
            `${listWithMore(x.lacking.map((id) => describeWrite(m, id)))}, which the session had read before it wrote ` +
            `(${listWithMore(readBy.map(describeOp))} saw it); ${rule}`,
        },
      }),
    });
  }
  for (const [si, list] of bySession) {
    const atStep = new Map<number, Named[]>();
    for (const x of list) {
      const l = atStep.get(x.step);
      if (l === undefined) atStep.set(x.step, [x]);
      else l.push(x);
    }
    const readers = new ReadFrontier(true);
    forEachStep(sessionList[si]?.[1] ?? [], (d) => isRead(d) && readers.add(d), (_op, step) => {
      for (const x of atStep.get(step) ?? []) keyed.push(x.describe(whoRead(readers, x.lacking.slice(0, 5))));
    });
  }
  return { rule: "WFR", checked, findings: inOrder(keyed) };
}

/**
 * The ids of `read` that the branch had not applied before position `at` (at
 * most ENUMERATE_LIMIT): from the first seq whose prefix was incomplete then
 * (a binary search: `complete` only grows with seq) up to what was read.
 */
function lackingBefore(m: HistoryModel, view: BranchView, complete: Int32Array, read: Vector, at: number): string[] {
  const out: string[] = [];
  for (const origin of Object.keys(read)) {
    const want = read[origin] ?? 0;
    const doneBy = (seq: number, arr: Int32Array) => {
      const i = indexOf(m, origin, seq);
      return i >= 0 && (arr[i] ?? NEVER) < at;
    };
    let lo = 1;
    let hi = want + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (doneBy(mid, complete)) lo = mid + 1;
      else hi = mid;
    }
    for (let seq = lo; seq <= want && out.length < ENUMERATE_LIMIT; seq++) {
      if (!doneBy(seq, view.pos)) out.push(`${origin}.${seq}`);
    }
  }
  return out;
}
