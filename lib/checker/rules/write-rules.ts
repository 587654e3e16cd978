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
import { branchViews, indexOf, NEVER, prefixCompleteAt, writeTable, type BranchView, type WriteTable } from "./apply-index.js";
import { IntList } from "./int-list.js";
import { OwedWrites, ReadFrontier } from "./frontiers.js";
import { covers, idsIn, missingRanges, type Vector } from "./vv.js";
import { describeOp, describeRead, describeWrite, listWithMore, OPS_LIMIT } from "./words.js";

/** Ids to enumerate at most when confirming what a branch lacked. */
const ENUMERATE_LIMIT = 1_000;

const MW_RULE = "Monotonic Writes requires every branch to apply a session's writes in the order the session made them";
const WFR_RULE = "Writes Follow Reads requires every branch to apply a write only after the writes its session had read";

/** Findings gathered branch by branch, then put in session order: (session, step, branch). */
type Keyed = { key: number[]; finding: Finding };

/** What one part of a rule judged: how many items, and what it found. */
interface Judged {
  checked: number;
  keyed: Keyed[];
}

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

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** (a) per branch, then (b) per session. */
export function checkMw(m: HistoryModel): RuleResult {
  const order = mwApplyOrder(m);
  const refused = mwRefusedWithdraws(m);
  return { rule: "MW", checked: order.checked + refused.checked, findings: inOrder(order.keyed.concat(refused.keyed)) };
}

/** A session's acknowledged writes in session order, with their write indexes. */
interface SessionWrites {
  session: string;
  writes: AckedWrite[];
  idxs: Int32Array;
}

/** Where a session's writes are judged: session si at branch bi, whose first positions are `pos`. */
interface AtBranch {
  si: number;
  bi: number;
  branch: number;
  pos: Int32Array;
}

/** MW (a), one branch at a time: where it applied each write of each session. */
function mwApplyOrder(m: HistoryModel): Judged {
  const out: Judged = { checked: 0, keyed: [] };
  const sessions = [...m.sessions].map(([session, list]): SessionWrites => {
    const writes = list.filter(isAckedWrite);
    return { session, writes, idxs: Int32Array.from(writes, (w) => m.writeIndex.get(w.writeId) ?? -1) };
  });
  for (const [bi, view] of branchViews(m)) {
    for (const [si, s] of sessions.entries()) mwSessionAtBranch(m, s, { si, bi, branch: view.branch, pos: view.pos }, out);
  }
  return out;
}

/** One session at one branch: each write it applied must follow the session's earlier writes, all applied. */
function mwSessionAtBranch(m: HistoryModel, { session, writes, idxs }: SessionWrites, where: AtBranch, out: Judged): void {
  let firstMissing: AckedWrite | undefined;
  let latest: { w: AckedWrite; at: number } | undefined;
  for (let step = 0; step < writes.length; step++) {
    const w = writes[step];
    const idx = idxs[step] ?? -1;
    if (w === undefined) continue;
    out.checked++;
    const at = idx < 0 ? NEVER : (where.pos[idx] ?? NEVER);
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
    out.keyed.push({ key: [where.si, 0, where.bi, step], finding: appliedOutOfOrder(m, session, where.branch, w, earlier, how) });
  }
}

function appliedOutOfOrder(m: HistoryModel, session: string, branch: number, w: AckedWrite, earlier: AckedWrite, how: string): Finding {
  return {
    session,
    branch,
    ops: [earlier.op, w.op],
    message:
      `session ${session}: branch ${branch} applied ${describeWrite(m, w.writeId)} ${how} the session's ` +
      `earlier ${describeWrite(m, earlier.writeId)}; ${MW_RULE}`,
  };
}

/** MW (b): a refused withdraw must have been decided at a branch holding the session's earlier writes. */
function mwRefusedWithdraws(m: HistoryModel): Judged {
  const out: Judged = { checked: 0, keyed: [] };
  for (const [si, [session, list]] of [...m.sessions].entries()) {
    const owed = new OwedWrites();
    forEachStep(list, (d) => isAckedWrite(d) && owed.add(d), (op, step) => {
      if (!isRefusedWithdraw(op)) return;
      out.checked++;
      if (covers(op.witness, owed.vector)) return;
      out.keyed.push({ key: [si, 1, step], finding: refusedWithoutOwnWrites(m, session, op, owed.missing(op.witness, OPS_LIMIT)) });
    });
  }
  return out;
}

function refusedWithoutOwnWrites(m: HistoryModel, session: string, op: ReadOp, missing: { count: number; sample: AckedWrite[] }): Finding {
  return {
    session,
    branch: op.branch,
    ops: [...missing.sample.map((w) => w.op), op.op],
    message:
      `session ${session}: ${describeRead(op)} at a branch that had not applied the session's earlier ` +
      `${listWithMore(missing.sample.map((w) => describeWrite(m, w.writeId)), undefined, missing.count)}; Monotonic Writes requires a branch ` +
      `to have applied the session's earlier writes before it decides a new one`,
  };
}

/**
 * In three passes: what each write owes (per session), whether each branch
 * applied it first (per branch), and, only for the sessions that broke the
 * rule, which of their reads saw what was missing.
 */
export function checkWfr(m: HistoryModel): RuleResult {
  const sessionList = [...m.sessions];
  const owed = wfrObligations(m, sessionList);
  const broken = wfrBrokenAtBranches(m, owed.obligations);
  const keyed = wfrFindings(m, sessionList, owed, broken.broken);
  return { rule: "WFR", checked: owed.checked + broken.checked, findings: inOrder(keyed) };
}

/** A range of the pool holding one read set; the session's writes share it until the session's next read raises the set. */
interface PoolRange {
  /** Its number, in the order ranges were made (Obligations.rangePrev and the rest are indexed by it). */
  id: number;
  /** The ReadFrontier version the range was made at. */
  version: number;
  start: number;
  count: number;
  /** The whole read set when it names an id no record has. */
  unknown: Vector | undefined;
}

/**
 * What each acknowledged write owes (its session's read set when it was
 * invoked), in flat arrays, one entry per write: for each origin of the read
 * set, the write index of its last id, in a range of one shared pool.
 *
 * A session's read set only grows, so each of its ranges also keeps, in
 * `delta`, only the entries that its previous range (`rangePrev`) lacked or
 * held at a lower seq. At each branch a range is kept by a position when the
 * latest of its entries' prefixes is complete by then; that latest is its
 * previous range's or its delta's (completeness never falls as the seq
 * rises), so one pass over the deltas answers every write there: at 1,000
 * branches a read set names hundreds of origins, and checking each write's
 * whole set at each branch was 190 million look-ups for 1,000 operations.
 */
class Obligations {
  readonly writes: AckedWrite[] = [];
  readonly idx = new IntList();
  readonly session = new IntList();
  readonly step = new IntList();
  readonly start = new IntList();
  readonly count = new IntList();
  readonly pool = new IntList();
  /** Per obligation, its range's id. */
  readonly range = new IntList();
  /** Per range: the session's previous range (-1: none), and where its delta is in `delta`. */
  readonly rangePrev = new IntList();
  readonly deltaStart = new IntList();
  readonly deltaCount = new IntList();
  /** Write indexes (-1: an id no record has) of each range's new or raised entries. */
  readonly delta = new IntList();
  /** Read sets that name an id no record has (so no branch applied it), by obligation: kept whole for the messages. */
  readonly unknownIds = new Map<number, Vector>();

  get length(): number {
    return this.writes.length;
  }

  /**
   * Puts read set `read` into the pool as a new range, after the session's
   * previous one `prev`; `seen` is the read set at `prev` (empty for a
   * session's first), brought up to `read` here.
   */
  addRange(m: HistoryModel, read: Vector, version: number, prev: PoolRange | undefined, seen: Map<string, number>): PoolRange {
    const range: PoolRange = { id: this.rangePrev.length, version, start: this.pool.length, count: 0, unknown: undefined };
    this.rangePrev.push(prev?.id ?? -1);
    this.deltaStart.push(this.delta.length);
    let raised = 0;
    for (const origin in read) {
      const seq = read[origin] ?? 0;
      if (seq <= 0) continue;
      const i = indexOf(m, origin, seq);
      if (i < 0) range.unknown ??= { ...read };
      this.pool.push(i);
      range.count++;
      if (seq > (seen.get(origin) ?? 0)) {
        seen.set(origin, seq);
        this.delta.push(i);
        raised++;
      }
    }
    this.deltaCount.push(raised);
    return range;
  }

  /**
   * Per range, the latest position at a branch by which one of its entries'
   * prefixes is complete there (`complete`, from prefixCompleteAt; NEVER when
   * one never is, or names an id no record has; -1 for an empty range).
   */
  latestCompleteByRange(complete: Int32Array, reuse?: Int32Array): Int32Array {
    const n = this.rangePrev.length;
    const out = reuse?.length === n ? reuse : new Int32Array(n);
    const delta = this.delta.view();
    for (let r = 0; r < n; r++) {
      const prev = this.rangePrev.at(r);
      let latest = prev < 0 ? -1 : (out[prev] ?? NEVER);
      const start = this.deltaStart.at(r);
      const end = start + this.deltaCount.at(r);
      for (let k = start; k < end && latest !== NEVER; k++) {
        const i = delta[k] ?? -1;
        latest = Math.max(latest, i < 0 ? NEVER : (complete[i] ?? NEVER));
      }
      out[r] = latest;
    }
    return out;
  }

  /** Write `w` (write index `idx`, step `step` of session `si`) owes the read set in `range`. */
  add(w: AckedWrite, idx: number, si: number, step: number, range: PoolRange): void {
    if (range.unknown !== undefined) this.unknownIds.set(this.writes.length, range.unknown);
    this.writes.push(w);
    this.range.push(range.id);
    this.idx.push(idx);
    this.session.push(si);
    this.step.push(step);
    this.start.push(range.start);
    this.count.push(range.count);
  }

  /** The read set obligation `ob` owes, as a vector. */
  vectorOf(ob: number, table: WriteTable): Vector {
    const whole = this.unknownIds.get(ob);
    if (whole !== undefined) return whole;
    const v: Vector = {};
    const start = this.start.at(ob);
    for (let k = 0; k < this.count.at(ob); k++) {
      const i = this.pool.at(start + k);
      const origin = table.originOf[i];
      if (origin !== undefined) v[origin] = table.seqOf[i] ?? 0;
    }
    return v;
  }
}

/** A refused withdraw decided without what its session had read (named in pass 3). */
interface RefusedWithdraw {
  si: number;
  step: number;
  op: ReadOp;
  lacking: string[];
}

interface Owed {
  obligations: Obligations;
  refused: RefusedWithdraw[];
  checked: number;
}

/** Pass 1, per session: what each acknowledged write owes. Refused withdraws (b) are judged on the way. */
function wfrObligations(m: HistoryModel, sessionList: Array<[string, Op[]]>): Owed {
  const owed: Owed = { obligations: new Obligations(), refused: [], checked: 0 };
  for (const [si, [, list]] of sessionList.entries()) {
    const readers = new ReadFrontier(false);
    let shared: PoolRange | undefined;
    const seen = new Map<string, number>();
    forEachStep(list, (d) => isRead(d) && readers.add(d), (op, step) => {
      if (isAckedWrite(op)) {
        if (shared?.version !== readers.version) shared = owed.obligations.addRange(m, readers.vector, readers.version, shared, seen);
        owed.obligations.add(op, m.writeIndex.get(op.writeId) ?? -1, si, step, shared);
      } else if (isRefusedWithdraw(op)) {
        owed.checked++;
        if (covers(op.witness, readers.vector)) return;
        owed.refused.push({ si, step, op, lacking: idsIn(missingRanges(op.witness, readers.vector), ENUMERATE_LIMIT) });
      }
    });
  }
  return owed;
}

/** A write applied at branch `branch` (the bi-th) before `lacking`, which it owed. */
interface BrokenWrite {
  ob: number;
  bi: number;
  branch: number;
  lacking: string[];
}

/** Pass 2, one branch at a time: was everything each write owes applied there before it? */
function wfrBrokenAtBranches(m: HistoryModel, obligations: Obligations): { broken: BrokenWrite[]; checked: number } {
  const table = writeTable(m);
  const broken: BrokenWrite[] = [];
  let checked = 0;
  let complete: Int32Array | undefined;
  let latest: Int32Array | undefined;
  for (const [bi, view] of branchViews(m)) {
    complete = prefixCompleteAt(m, view, complete);
    latest = obligations.latestCompleteByRange(complete, latest);
    for (let ob = 0; ob < obligations.length; ob++) {
      const idx = obligations.idx.at(ob);
      const at = idx < 0 ? NEVER : (view.pos[idx] ?? NEVER);
      if (at === NEVER) continue;
      checked++;
      // Kept: everything it owes was complete here by the time it applied (see Obligations).
      if ((latest[obligations.range.at(ob)] ?? NEVER) <= at) continue;
      const lacking = lackingBefore(m, view, complete, obligations.vectorOf(ob, table), at);
      if (lacking.length > 0) broken.push({ ob, bi, branch: view.branch, lacking });
    }
  }
  return { broken, checked };
}

/** A finding that waits for the reads that saw what was lacking: known once its session is walked again, at `step`. */
type Named = { step: number; lacking: string[]; describe: (readBy: ReadOp[]) => Keyed };

/** Pass 3, only for the sessions that broke the rule: walk them again to name who read what. */
function wfrFindings(m: HistoryModel, sessionList: Array<[string, Op[]]>, owed: Owed, broken: BrokenWrite[]): Keyed[] {
  const { obligations } = owed;
  const bySession = new Map<number, Named[]>();
  for (const x of owed.refused) append(bySession, x.si, namedRefusal(m, sessionList[x.si]?.[0] ?? "", x));
  for (const x of broken) {
    const si = obligations.session.at(x.ob);
    const w = obligations.writes[x.ob];
    if (w === undefined) continue;
    append(bySession, si, namedBrokenWrite(m, sessionList[si]?.[0] ?? "", si, obligations.step.at(x.ob), w, x));
  }
  const keyed: Keyed[] = [];
  for (const [si, list] of bySession) {
    const atStep = new Map<number, Named[]>();
    for (const x of list) append(atStep, x.step, x);
    const readers = new ReadFrontier(true);
    forEachStep(sessionList[si]?.[1] ?? [], (d) => isRead(d) && readers.add(d), (_op, step) => {
      for (const x of atStep.get(step) ?? []) keyed.push(x.describe(firstReaders(readers, x.lacking.slice(0, 5))));
    });
  }
  return keyed;
}

/** The reads that first saw each of `ids` (one each, without repeats). */
function firstReaders(readers: ReadFrontier, ids: string[]): ReadOp[] {
  const found = new Set<ReadOp>();
  for (const id of ids) {
    const [origin = "", seq = "0"] = id.split(".");
    const r = readers.firstReaderOf(origin, Number(seq));
    if (r !== undefined) found.add(r);
  }
  return [...found];
}

function namedRefusal(m: HistoryModel, session: string, x: RefusedWithdraw): Named {
  return {
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
          `(${listWithMore(readBy.map(describeOp))} saw it); ${WFR_RULE} and to decide a write only after them`,
      },
    }),
  };
}

function namedBrokenWrite(m: HistoryModel, session: string, si: number, step: number, w: AckedWrite, x: BrokenWrite): Named {
  return {
    step,
    lacking: x.lacking,
    describe: (readBy) => ({
      key: [si, step, x.bi],
      finding: {
        session,
        branch: x.branch,
        ops: [...readBy.map((r) => r.op), w.op],
        message:
          `session ${session}: branch ${x.branch} applied ${describeWrite(m, w.writeId)} without first applying ` +
          `${listWithMore(x.lacking.map((id) => describeWrite(m, id)))}, which the session had read before it wrote ` +
          `(${listWithMore(readBy.map(describeOp))} saw it); ${WFR_RULE}`,
      },
    }),
  };
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
