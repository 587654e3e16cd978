// A customer session as a state machine without I/O: the one implementation
// of the session that the gRPC driver (lib/driver/customer.ts) and the
// simulator (lib/sim/sim-customer.ts) both run, so a seed replays the code a
// real run uses.
//
// The session keeps its write set and read set (version vectors) and sends
// copies of them with every request, request id `<session>#<n>`. An adapter
// feeds it what happened to each attempt, and it answers what to do next:
// send this request, send it again after a backoff (same request id, so a
// retry never executes twice), or done, with the outcome and the body of the
// history's "complete" record. A reply folds back in: its new write id joins
// the write set; a query's or a withdraw's witness joins the read set (both
// read the balance; a deposit did not). Only a refusal (invalid, gate) or a
// call that never reached a branch proves nothing ran; after any other
// failure the outcome stays unknown unless a later attempt answers.
//
// No clocks, no timers, no Math.random: the backoff's jitter comes from the
// injected `random`, and adapters stamp record times themselves.

import type { CustomerOp, OpKind, OpReply } from "./branch.js";
import { LamportClock } from "./lamport.js";
import { addWrite, formatWriteId, mergeInto, type VersionVector } from "./version-vector.js";

export interface RetryPolicy {
  /** Attempts per operation, the first included. */
  attemptsMax: number;
  backoffMsMin: number;
  backoffMsMax: number;
  /** The adapter's deadline for one attempt (it must exceed the branch's gate timeout). */
  callTimeoutMs: number;
}

/**
 * Why an attempt failed, as the adapter classifies its error:
 * invalid: the request can never succeed (stop at once);
 * gate: the branch refused it at the gate (nothing ran);
 * never-connected: it never reached a branch (nothing ran);
 * maybe-ran: it failed after it may have reached the branch;
 * timeout: no reply before the deadline (it may have run).
 */
export type FailureClass = "invalid" | "gate" | "never-connected" | "maybe-ran" | "timeout";

export interface AttemptFailure {
  class: FailureClass;
  /** For the history's error field, e.g. "FAILED_PRECONDITION: branch 2 has not applied 1.3 ...". */
  message: string;
}

/** What the machine reads from a reply (an OpReply has it all). */
export type SessionReply = Pick<OpReply, "result" | "balanceCents" | "writeId" | "witness" | "gateWaitMs" | "clock">;

/** The "invoke" record's content, without its times and operation number. */
export interface InvokeBody {
  session: string;
  requestId: string;
  branch: number;
  kind: OpKind;
  amountCents: number;
  writeSet: VersionVector;
  readSet: VersionVector;
  /** The session's Lamport clock at this send ("event_sent from customer C"). */
  clock: number;
}

/** The "complete" record's content, without its times and operation number (lib/history/types.ts). */
export interface CompleteBody {
  session: string;
  branch: number;
  kind: OpKind;
  status: "ok" | "fail" | "info";
  result?: "success" | "fail";
  writeId?: string;
  balanceCents?: number;
  witness?: VersionVector;
  gateWaitMs: number;
  attempts: number;
  error?: string;
  /** The branch's Lamport clock at its receipt of the request (from its reply). */
  branchClock?: number;
}

export interface SessionOutcome {
  /** ok: answered; failed: definitely not executed; unknown: it may have run. */
  status: "ok" | "failed" | "unknown";
  result?: "success" | "fail";
  balanceCents?: number;
  writeId?: string;
  gateWaitMs: number;
  attempts: number;
  /** Why it did not succeed, naming the operation and its branch. */
  error?: string;
  /** The session's Lamport clock at the send, and the branch's at its receipt (when it answered). */
  clock?: number;
  branchClock?: number;
}

export interface Send {
  next: "send";
  request: CustomerOp;
  invoke: InvokeBody;
}

export interface Retry {
  next: "retry";
  afterMs: number;
  request: CustomerOp;
}

export interface Done {
  next: "done";
  outcome: SessionOutcome;
  complete: CompleteBody;
}

interface InFlight {
  kind: OpKind;
  branch: number;
  request: CustomerOp;
  attempts: number;
  backoffMs: number;
  lastError: string;
  mayHaveRun: boolean;
}

export class SessionMachine {
  readonly name: string;
  readonly writeSet: VersionVector = new Map();
  readonly readSet: VersionVector = new Map();
  private n = 0;
  /**
   * The session's Lamport clock: it ticks once per request sent (a retry is
   * the same send). As in the course's example, a customer does not take the
   * branch's clock from replies, so its sends are numbered 1, 2, ...
   */
  private readonly lamport = new LamportClock();
  private readonly guarantees: number;
  private readonly retry: RetryPolicy;
  private readonly random: () => number;
  private op: InFlight | undefined;

  constructor(name: string, guarantees: number, retry: RetryPolicy, random: () => number) {
    checkPolicy(name, retry);
    this.name = name;
    this.guarantees = guarantees;
    this.retry = retry;
    this.random = random;
  }

  /** The operation in flight, if any (its request id). */
  get inFlight(): string | undefined {
    return this.op?.request.requestId;
  }

  /** Starts an operation: send the request, and record the invocation. */
  begin(kind: OpKind, amountCents: number, branch: number): Send {
    if (this.op) throw new Error(`session ${this.name}: cannot begin a ${kind} at branch ${branch} while ${this.op.request.requestId} is in flight`);
    // Copies: the request is "on the wire", the session's sets keep changing.
    const request: CustomerOp = {
      requestId: `${this.name}#${++this.n}`, session: this.name, kind, amountCents: kind === "query" ? 0 : amountCents,
      writeSet: new Map(this.writeSet), readSet: new Map(this.readSet), guarantees: this.guarantees, clock: this.lamport.tick(),
    };
    this.op = { kind, branch, request, attempts: 1, backoffMs: this.retry.backoffMsMin, lastError: "", mayHaveRun: false };
    const invoke: InvokeBody = {
      session: this.name, requestId: request.requestId, branch, kind, amountCents: request.amountCents,
      writeSet: request.writeSet, readSet: request.readSet, clock: request.clock ?? 0,
    };
    return { next: "send", request, invoke };
  }

  /** The attempt in flight was answered: fold the reply in; the operation is done. */
  replied(reply: SessionReply): Done {
    const op = this.current("a reply");
    this.op = undefined;
    let writeId: string | undefined;
    if (reply.writeId) {
      addWrite(this.writeSet, reply.writeId);
      writeId = formatWriteId(reply.writeId);
    }
    // A query read the balance, and so did a withdraw (it decided on it).
    const read = op.kind !== "deposit";
    if (read) mergeInto(this.readSet, reply.witness);
    const clock = op.request.clock ?? 0;
    const outcome: SessionOutcome = { status: "ok", result: reply.result, gateWaitMs: reply.gateWaitMs, attempts: op.attempts, clock };
    const complete: CompleteBody = {
      session: this.name, branch: op.branch, kind: op.kind, status: "ok", result: reply.result,
      witness: reply.witness, gateWaitMs: reply.gateWaitMs, attempts: op.attempts,
    };
    if (reply.clock !== undefined && reply.clock > 0) outcome.branchClock = complete.branchClock = reply.clock;
    if (writeId) outcome.writeId = complete.writeId = writeId;
    if (read) outcome.balanceCents = complete.balanceCents = reply.balanceCents;
    return { next: "done", outcome, complete };
  }

  /** The attempt in flight failed: retry it after a backoff, or give up. */
  failed(failure: AttemptFailure): Retry | Done {
    const op = this.current(`a failure (${failure.class})`);
    op.lastError = failure.message;
    if (failure.class === "maybe-ran" || failure.class === "timeout") op.mayHaveRun = true;
    if (failure.class === "invalid" || op.attempts >= this.retry.attemptsMax) return this.giveUp(op);
    const afterMs = op.backoffMs * (0.5 + this.random() / 2);
    op.backoffMs = Math.min(op.backoffMs * 2, this.retry.backoffMsMax);
    op.attempts++;
    return { next: "retry", afterMs, request: op.request };
  }

  private giveUp(op: InFlight): Done {
    this.op = undefined;
    const status = op.mayHaveRun ? "unknown" : "failed";
    const outcome: SessionOutcome = {
      status, gateWaitMs: 0, attempts: op.attempts, clock: op.request.clock ?? 0,
      error: `${op.kind} at branch ${op.branch} failed after ${op.attempts} attempt(s): ${op.lastError}`,
    };
    const complete: CompleteBody = {
      session: this.name, branch: op.branch, kind: op.kind, status: op.mayHaveRun ? "info" : "fail",
      gateWaitMs: 0, attempts: op.attempts, error: op.lastError,
    };
    return { next: "done", outcome, complete };
  }

  private current(what: string): InFlight {
    if (!this.op) throw new Error(`session ${this.name}: got ${what} with no operation in flight`);
    return this.op;
  }
}

function checkPolicy(name: string, p: RetryPolicy): void {
  const bad = (field: string, wanted: string, found: number) => new Error(`session ${name}: retry policy ${field}: expected ${wanted}, found ${found}`);
  if (!Number.isSafeInteger(p.attemptsMax) || p.attemptsMax < 1) throw bad("attemptsMax", "a whole number of at least 1", p.attemptsMax);
  if (!Number.isFinite(p.backoffMsMin) || p.backoffMsMin < 0) throw bad("backoffMsMin", "a finite number of at least 0", p.backoffMsMin);
  if (!Number.isFinite(p.backoffMsMax) || p.backoffMsMax < p.backoffMsMin) throw bad("backoffMsMax", `a finite number of at least backoffMsMin (${p.backoffMsMin})`, p.backoffMsMax);
}
