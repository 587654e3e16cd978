// Lamport's rules (Lamport 1978; the course's Project 2), judged from the
// clocks history.jsonl carries. The events, per process:
//   customer (a session): each send of a request, its invoke's `clock`;
//   branch: each receipt of a customer's request (the complete's
//   `branchClock`), each propagation send of its own writes (an apply entry
//   of its own write: sends to the other branches in ascending id order at
//   clock, clock + 1, ...), each receipt of a peer's write (an apply entry of
//   a peer's write: its `clock`).
// The rules:
//   receipt after send: every receipt's clock exceeds its send's (a request's
//     receipt its invoke's; a write's receipt the origin's send to that replica);
//   each process strictly increasing: a session's sends in session order; a
//     branch's receipts of peers' writes in the order it applied them; and no
//     two events of one branch share a clock (its customer receipts and its
//     sends interleave with the rest: a write's sends are stamped when the
//     branch decides it, and reported once it is durable, so the history's
//     order does not show where they fell among its receipts);
//   a request's receipt before its propagations: the origin's first send of
//     the write a request made exceeds the branch's receipt of that request.
// A branch that restarted (an apply record with `restart`) resumed its clock
// from its log, which does not hold its receipts of peers' writes: its events
// before and after are judged apart, and its clocks' distinctness only in part.
// A history without clocks (written before bank-sim kept them) is skipped.
//
// Records are taken one at a time; what a later record settles (a receipt
// recorded before its send, a request's receipt before its write's sends) is
// kept until then, and what is settled is forgotten, so memory holds what is
// in flight, plus a bitmap of each branch's clocks.

import { ranks, sendStamp } from "../../core/lamport.js";
import type { HistoryRecord } from "../../history/types.js";
import type { Finding, RuleResult } from "../findings.js";

interface Invoked {
  session: string;
  clock: number;
}

/**
 * The clocks one branch's events took, as a sparse bitmap (blocks of 4,096
 * clocks, made when first touched): memory grows with the events, not with
 * the largest clock, and a clash is seen as the second event comes.
 */
class ClockSet {
  private static readonly BITS = 4096;
  private readonly blocks = new Map<number, Uint32Array>();

  /** Takes clocks from..to; returns the first of them already taken, or undefined. */
  take(from: number, to: number): number | undefined {
    let clash: number | undefined;
    for (let c = from; c <= to; c++) {
      const key = Math.floor(c / ClockSet.BITS);
      let block = this.blocks.get(key);
      if (block === undefined) this.blocks.set(key, (block = new Uint32Array(ClockSet.BITS / 32)));
      const bit = c - key * ClockSet.BITS;
      const word = bit >>> 5;
      const mask = 1 << (bit & 31);
      if ((block[word]! & mask) !== 0) clash ??= c;
      block[word]! |= mask;
    }
    return clash;
  }
}

export class LamportCheck {
  private branches: number[] = [];
  private rankOf = new Map<number, number>();
  private readonly invoked = new Map<number, Invoked>();
  private readonly lastSend = new Map<string, { op: number; clock: number }>();
  /**
   * Per write id: the origin's first send clock, once its apply entry is seen,
   * and how many replicas' receipts are still to come (forgotten at zero).
   */
  private readonly firstSend = new Map<string, { clock: number; receipts: number }>();
  /** Per write id: the receipt clock of the request that made it, until its sends are seen. */
  private readonly requestReceipt = new Map<string, { op: number; clock: number }>();
  /** Receipts seen before their write's sends, judged when those come (a history cut short may never show them). */
  private readonly waiting = new Map<string, Array<[branch: number, clock: number]>>();
  /** Per branch: the clock of its last receipt of a peer's write, in the order it applied them. */
  private readonly lastApplied = new Map<number, { clock: number; what: string }>();
  private readonly taken = new Map<number, ClockSet>();
  private readonly restarted = new Set<number>();
  private readonly findings: Finding[] = [];
  private checked = 0;
  private clocks = 0;

  add(r: HistoryRecord): void {
    switch (r.type) {
      case "meta":
        this.branches = r.branches;
        this.rankOf = ranks(r.branches);
        return;
      case "invoke":
        return this.invoke(r.op, r.session, r.clock);
      case "complete":
        if (r.branchClock !== undefined) this.customerReceipt(r.op, r.branch, r.branchClock, r.writeId);
        return;
      case "apply":
        if (r.restart) {
          this.restarted.add(r.branch);
          this.lastApplied.delete(r.branch);
        }
        for (const w of r.writes) if (w.clock !== undefined) this.applied(r.branch, w.id, w.clock);
        return;
      case "final":
        return;
    }
  }

  private invoke(op: number, session: string, clock: number | undefined): void {
    if (clock === undefined) return;
    this.clocks++;
    this.checked++;
    this.invoked.set(op, { session, clock });
    const last = this.lastSend.get(session);
    if (last && clock <= last.clock) {
      this.find({ session, ops: [last.op, op], message: `session ${session}: send of op #${op} has clock ${clock}, not above its earlier send (op #${last.op}) at ${last.clock}; a process's clock must strictly increase` });
    }
    this.lastSend.set(session, { op, clock });
  }

  private customerReceipt(op: number, branch: number, clock: number, writeId: string | undefined): void {
    this.clocks++;
    this.checked++;
    const sent = this.invoked.get(op);
    this.invoked.delete(op);
    if (sent && clock <= sent.clock) {
      this.find({ session: sent.session, branch, ops: [op], message: `branch ${branch} received op #${op} of session ${sent.session} at clock ${clock}, not above its send at ${sent.clock}; a receipt must be later than its send` });
    }
    this.take(branch, clock, clock, `its receipt of op #${op}`);
    if (writeId === undefined) return;
    const first = this.firstSend.get(writeId);
    if (first === undefined) this.requestReceipt.set(writeId, { op, clock });
    else this.propagatedAfter(branch, writeId, first.clock, { op, clock });
  }

  private applied(branch: number, id: string, clock: number): void {
    this.clocks++;
    const origin = Number(id.slice(0, id.indexOf(".")));
    const others = Math.max(this.branches.length - 1, 0);
    if (origin === branch) {
      if (others === 0) return;
      this.checked += others;
      const early = this.waiting.get(id) ?? [];
      this.waiting.delete(id);
      for (const [at, received] of early) this.receivedAfter(id, at, received, clock);
      if (others - early.length > 0) this.firstSend.set(id, { clock, receipts: others - early.length });
      this.take(branch, clock, clock + others - 1, `its sends of write ${id} (${clock}..${clock + others - 1})`);
      const receipt = this.requestReceipt.get(id);
      if (receipt !== undefined) {
        this.requestReceipt.delete(id);
        this.propagatedAfter(branch, id, clock, receipt);
      }
      return;
    }
    this.checked++;
    this.stream(branch, clock, clock, `its receipt of write ${id}`);
    this.take(branch, clock, clock, `its receipt of write ${id}`);
    const first = this.firstSend.get(id);
    if (first === undefined) {
      const list = this.waiting.get(id);
      if (list) list.push([branch, clock]);
      else this.waiting.set(id, [[branch, clock]]);
      return;
    }
    this.receivedAfter(id, branch, clock, first.clock);
    if (--first.receipts <= 0) this.firstSend.delete(id);
  }

  /** Every event of a branch has a clock of its own (within one incarnation: a restarted branch is not judged so). */
  private take(branch: number, from: number, to: number, what: string): void {
    if (this.restarted.has(branch)) return;
    let set = this.taken.get(branch);
    if (!set) this.taken.set(branch, (set = new ClockSet()));
    const clash = set.take(from, to);
    if (clash !== undefined) {
      this.find({ branch, ops: [], message: `branch ${branch}: ${what} has clock ${clash}, as an earlier event of the branch had; every event of a process has a clock of its own` });
    }
  }

  /** The branch's receipts of peers' writes strictly increase in the order it applied them (within one incarnation). */
  private stream(branch: number, from: number, to: number, what: string): void {
    const last = this.lastApplied.get(branch);
    if (last && from <= last.clock) {
      this.find({ branch, ops: [], message: `branch ${branch}: ${what} at clock ${from} came after ${last.what} at ${last.clock}; a process's clock must strictly increase` });
    }
    this.lastApplied.set(branch, { clock: to, what });
  }

  private receivedAfter(id: string, branch: number, clock: number, first: number): void {
    const origin = Number(id.slice(0, id.indexOf(".")));
    const sent = sendStamp(first, origin, branch, this.rankOf);
    if (clock > sent) return;
    this.find({ branch, ops: [], message: `branch ${branch} received write ${id} at clock ${clock}, not above branch ${origin}'s send of it to branch ${branch} at ${sent}; a receipt must be later than its send` });
  }

  private propagatedAfter(branch: number, id: string, first: number, receipt: { op: number; clock: number }): void {
    if (first > receipt.clock) return;
    this.find({ branch, ops: [receipt.op], message: `branch ${branch} sent write ${id} at clock ${first}, not above its receipt of the request that made it (op #${receipt.op}) at ${receipt.clock}; a request's receipt comes before its propagations` });
  }

  private find(f: Finding): void {
    this.findings.push(f);
  }

  result(): RuleResult {
    if (this.clocks === 0) return { rule: "lamport", checked: 0, findings: [], skipped: "the history carries no Lamport clocks (written before bank-sim kept them)" };
    const out: RuleResult = { rule: "lamport", checked: this.checked, findings: this.findings };
    if (this.restarted.size > 0) {
      out.partial = `branch${this.restarted.size === 1 ? "" : "es"} ${[...this.restarted].sort((a, b) => a - b).join(", ")} restarted and resumed ${this.restarted.size === 1 ? "its clock" : "their clocks"} from ${this.restarted.size === 1 ? "its log" : "their logs"}: ` +
        "events before and after a restart are ordered apart, and from the restart on not checked for shared clocks";
    }
    return out;
  }
}
