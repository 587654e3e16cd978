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
// Records are taken one at a time; what a later record may settle (a receipt
// seen before its send) is kept until the end.

import { ranks, sendStamp } from "../../core/lamport.js";
import type { HistoryRecord } from "../../history/types.js";
import type { Finding, RuleResult } from "../findings.js";

interface Invoked {
  session: string;
  clock: number;
}

/** What a branch event was: a customer's request received (op number), or a write's sends or receipt (write id). */
type EventRef = { kind: "request"; op: number } | { kind: "sends" | "receipt"; id: string };

function describeEvent(e: EventRef, from: number, to: number): string {
  if (e.kind === "request") return `its receipt of op #${e.op}`;
  return e.kind === "sends" ? `its sends of write ${e.id} (${from}..${to})` : `its receipt of write ${e.id}`;
}

/** A branch's events as closed ranges of clocks [from, to], for the distinctness check at the end. */
class ClockRanges {
  private readonly from: number[] = [];
  private readonly to: number[] = [];
  private readonly what: EventRef[] = [];

  add(from: number, to: number, what: EventRef): void {
    this.from.push(from);
    this.to.push(to);
    this.what.push(what);
  }

  /** Pairs of events that share a clock, described, with the first clock they share. */
  overlaps(): Array<[string, string, number]> {
    const order = this.from.map((_, i) => i).sort((a, b) => this.from[a]! - this.from[b]! || this.to[a]! - this.to[b]!);
    const out: Array<[string, string, number]> = [];
    let last = -1;
    for (const i of order) {
      if (last >= 0 && this.from[i]! <= this.to[last]!) {
        out.push([describeEvent(this.what[last]!, this.from[last]!, this.to[last]!), describeEvent(this.what[i]!, this.from[i]!, this.to[i]!), this.from[i]!]);
      }
      if (last < 0 || this.to[i]! > this.to[last]!) last = i;
    }
    return out;
  }
}

export class LamportCheck {
  private branches: number[] = [];
  private rankOf = new Map<number, number>();
  private readonly invoked = new Map<number, Invoked>();
  private readonly lastSend = new Map<string, { op: number; clock: number }>();
  /** Per write id: the origin's first send clock, once its apply entry is seen. */
  private readonly firstSend = new Map<string, number>();
  /** Per write id: the receipt clock of the request that made it, once its complete is seen. */
  private readonly requestReceipt = new Map<string, { op: number; clock: number }>();
  /** Receipts seen before their write's send, judged at the end. */
  private readonly waiting: Array<{ id: string; branch: number; clock: number }> = [];
  /** Per branch: the clock of its last receipt of a peer's write, in the order it applied them. */
  private readonly lastApplied = new Map<number, { clock: number; what: string }>();
  private readonly ranges = new Map<number, ClockRanges>();
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
    if (sent && clock <= sent.clock) {
      this.find({ session: sent.session, branch, ops: [op], message: `branch ${branch} received op #${op} of session ${sent.session} at clock ${clock}, not above its send at ${sent.clock}; a receipt must be later than its send` });
    }
    this.rangesOf(branch).add(clock, clock, { kind: "request", op });
    if (writeId === undefined) return;
    this.requestReceipt.set(writeId, { op, clock });
    const first = this.firstSend.get(writeId);
    if (first !== undefined) this.propagatedAfter(writeId, branch, first);
  }

  private applied(branch: number, id: string, clock: number): void {
    this.clocks++;
    const origin = Number(id.slice(0, id.indexOf(".")));
    const others = Math.max(this.branches.length - 1, 0);
    if (origin === branch) {
      if (others === 0) return;
      this.checked += others;
      this.firstSend.set(id, clock);
      this.rangesOf(branch).add(clock, clock + others - 1, { kind: "sends", id });
      if (this.requestReceipt.has(id)) this.propagatedAfter(id, branch, clock);
      return;
    }
    this.checked++;
    this.stream(branch, clock, clock, `its receipt of write ${id}`);
    this.rangesOf(branch).add(clock, clock, { kind: "receipt", id });
    const first = this.firstSend.get(id);
    if (first === undefined) this.waiting.push({ id, branch, clock });
    else this.receivedAfter(id, branch, clock, first);
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

  private propagatedAfter(id: string, branch: number, first: number): void {
    const receipt = this.requestReceipt.get(id);
    if (receipt === undefined || first > receipt.clock) return;
    this.find({ branch, ops: [receipt.op], message: `branch ${branch} sent write ${id} at clock ${first}, not above its receipt of the request that made it (op #${receipt.op}) at ${receipt.clock}; a request's receipt comes before its propagations` });
  }

  private rangesOf(branch: number): ClockRanges {
    let r = this.ranges.get(branch);
    if (!r) this.ranges.set(branch, (r = new ClockRanges()));
    return r;
  }

  private find(f: Finding): void {
    this.findings.push(f);
  }

  result(): RuleResult {
    if (this.clocks === 0) return { rule: "lamport", checked: 0, findings: [], skipped: "the history carries no Lamport clocks (written before bank-sim kept them)" };
    for (const w of this.waiting) {
      const first = this.firstSend.get(w.id);
      if (first !== undefined) this.receivedAfter(w.id, w.branch, w.clock, first);
    }
    for (const [branch, ranges] of this.ranges) {
      if (this.restarted.has(branch)) continue;
      for (const [a, b, clock] of ranges.overlaps()) {
        this.find({ branch, ops: [], message: `branch ${branch}: ${a} and ${b} share clock ${clock}; every event of a process has a clock of its own` });
      }
    }
    const out: RuleResult = { rule: "lamport", checked: this.checked, findings: this.findings };
    if (this.restarted.size > 0) {
      out.partial = `branch${this.restarted.size === 1 ? "" : "es"} ${[...this.restarted].sort((a, b) => a - b).join(", ")} restarted and resumed ${this.restarted.size === 1 ? "its clock" : "their clocks"} from ${this.restarted.size === 1 ? "its log" : "their logs"}: ` +
        "events before and after a restart are ordered apart, and not checked for shared clocks";
    }
    return out;
  }
}
