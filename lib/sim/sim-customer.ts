// A simulated customer: the core session machine (lib/core/session.ts), the
// same one a real run drives over gRPC, over the simulated network instead.
// This file does only the simulated I/O: the request crosses the network,
// the branch serves it as the gRPC server would (errors become codes), the
// reply crosses back, a deadline on the virtual clock ends an attempt whose
// request or reply was lost, and the backoff sleeps in virtual time. It also
// counts what happened (SessionStats) for the soak's progress lines.

import { BranchError, type Branch, type CustomerOp, type OpKind, type OpReply } from "../core/branch.js";
import { SessionMachine, type AttemptFailure, type Done, type FailureClass, type Retry, type RetryPolicy, type Send } from "../core/session.js";
import type { CompleteRecord } from "../history/types.js";
import type { OpRecordSink } from "../history/sink.js";
import { completeRecord, invokeRecord } from "../history/session-records.js";
import { nodeOfBranch, type SimNetwork } from "./sim-network.js";
import type { VirtualClock } from "./virtual-clock.js";

export interface SessionStats {
  attempts: number;
  retries: number;
  gateRefusals: number;
  timeouts: number;
  ok: number;
  failed: number;
  unknown: number;
}

export const newSessionStats = (): SessionStats => ({ attempts: 0, retries: 0, gateRefusals: 0, timeouts: 0, ok: 0, failed: 0, unknown: 0 });

/** How an attempt can fail at a branch: the Branch's own codes, "down" (connection refused), or anything else. */
export type CallErrorCode = BranchError["code"] | "down" | "unknown";

/** What an attempt came back with: the branch's reply, its error, or nothing before the deadline. */
export type CallOutcome =
  | { reply: OpReply }
  | { error: { code: CallErrorCode; message: string } }
  | { timeout: true };

/** Where a customer's request is served (lib/sim/sim-branches.ts): `respond` runs at most once, at the branch. */
export interface BranchServer {
  serve(branch: number, op: CustomerOp, respond: (o: CallOutcome) => void): void;
}

/** Serves one request at a branch, as the gRPC server does: errors become codes, never throws. */
export function serveAt(branch: Branch, op: CustomerOp, respond: (o: CallOutcome) => void): void {
  branch.serve(op).then(
    (reply) => respond({ reply }),
    (err: Error) => respond({ error: { code: err instanceof BranchError ? err.code : "unknown", message: err.message } }),
  );
}

/**
 * Each branch error as the gRPC driver would see and classify it. A stopping
 * branch refuses before it runs anything (as the Branch does), so nothing ran.
 */
const CLASSES: Record<CallErrorCode, { class: FailureClass; status: string }> = {
  invalid: { class: "invalid", status: "INVALID_ARGUMENT" },
  gate: { class: "gate", status: "FAILED_PRECONDITION" },
  stopping: { class: "never-connected", status: "UNAVAILABLE" },
  // Nothing listening (a crashed branch not yet back): the request reached no branch.
  down: { class: "never-connected", status: "UNAVAILABLE" },
  // A branch whose log failed: the attempt that hit the failure was decided in
  // memory only, so, as the gRPC driver does, take it as maybe run.
  failed: { class: "maybe-ran", status: "UNAVAILABLE" },
  busy: { class: "invalid", status: "RESOURCE_EXHAUSTED" },
  unknown: { class: "maybe-ran", status: "UNKNOWN" },
};

export interface SessionDeps {
  name: string;
  node: string;
  guarantees: number;
  clock: VirtualClock;
  network: SimNetwork;
  random: () => number;
  retry: RetryPolicy;
  sink: OpRecordSink;
  stats: SessionStats;
  server: BranchServer;
}

export class SimCustomer {
  readonly name: string;
  private readonly machine: SessionMachine;
  private readonly deps: SessionDeps;
  private attemptSeq = 0;
  /** The attempt awaiting a reply; replies to earlier attempts are dropped, as a finished gRPC call drops them. */
  private waiting: { token: number; done: (o: CallOutcome) => void } | undefined;

  constructor(deps: SessionDeps) {
    this.deps = deps;
    this.name = deps.name;
    this.machine = new SessionMachine(deps.name, deps.guarantees, deps.retry, deps.random);
  }

  async perform(kind: OpKind, amountCents: number, branch: number): Promise<CompleteRecord["status"]> {
    const { sink, stats } = this.deps;
    const send = this.machine.begin(kind, amountCents, branch);
    const op = sink.invoke(invokeRecord(send.invoke, this.stamp()));
    let step: Send | Retry | Done = send;
    // Bounded: the machine gives up after its policy's attemptsMax.
    while (step.next !== "done") {
      if (step.next === "retry") {
        stats.retries++;
        await this.sleep(step.afterMs);
      }
      stats.attempts++;
      step = this.fold(branch, await this.call(branch, step.request));
    }
    sink.complete(op, completeRecord(step.complete, this.stamp()));
    this.count(step.complete.status);
    return step.complete.status;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.deps.clock.setTimeout(resolve, ms));
  }

  private stamp() {
    return { wallMs: this.deps.clock.wallNow(), monoMs: this.deps.clock.now() };
  }

  private fold(branch: number, o: CallOutcome): Retry | Done {
    if ("reply" in o) return this.machine.replied(o.reply);
    return this.machine.failed(this.classify(branch, o));
  }

  private classify(branch: number, o: Exclude<CallOutcome, { reply: OpReply }>): AttemptFailure {
    if ("timeout" in o) {
      this.deps.stats.timeouts++;
      return { class: "timeout", message: `DEADLINE_EXCEEDED: no reply from branch ${branch} within ${this.deps.retry.callTimeoutMs} ms` };
    }
    const c = CLASSES[o.error.code];
    if (c.class === "gate") this.deps.stats.gateRefusals++;
    return { class: c.class, message: `${c.status}: ${o.error.message}` };
  }

  private count(status: CompleteRecord["status"]): void {
    const { stats } = this.deps;
    if (status === "ok") stats.ok++;
    else if (status === "info") stats.unknown++;
    else stats.failed++;
  }

  /** One attempt: the request crosses the network, the branch serves it, the reply crosses back. */
  private call(branch: number, request: CustomerOp): Promise<CallOutcome> {
    const { clock, network, server, retry } = this.deps;
    const token = ++this.attemptSeq;
    const me = this.deps.node;
    const there = nodeOfBranch(branch);
    return new Promise((resolve) => {
      const timer = clock.setTimeout(() => {
        this.waiting = undefined;
        resolve({ timeout: true });
      }, retry.callTimeoutMs);
      this.waiting = {
        token,
        done: (o) => {
          clock.clearTimeout(timer);
          this.waiting = undefined;
          resolve(o);
        },
      };
      network.send(me, there, () => {
        server.serve(branch, request, (o) => network.send(there, me, () => this.onReply(token, o)));
      });
    });
  }

  private onReply(token: number, o: CallOutcome): void {
    if (this.waiting?.token === token) this.waiting.done(o);
  }
}
