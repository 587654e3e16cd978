// A simulated customer session: lib/customer.ts's logic, over the simulated
// network instead of gRPC. It keeps its write set and read set, sends them
// with every request, and folds each reply back in. A refusal at the gate, a
// lost request or a lost reply (a deadline passes) is retried with bounded,
// jittered exponential backoff and the same request id, so a retry can never
// execute twice. When the attempts run out the operation is "fail" if every
// attempt was answered with a refusal (nothing ran), and "info" (outcome
// unknown) if some attempt may have reached the branch.

import { BranchError, type Branch, type CustomerOp, type OpKind, type OpReply } from "../core/branch.js";
import type { CompleteRecord, InvokeRecord } from "../history/types.js";
import { addWrite, formatWriteId, mergeInto, type VersionVector } from "../core/version-vector.js";
import { toJson } from "../history/vector-json.js";
import { nodeOfBranch, type SimNetwork } from "./sim-network.js";
import type { VirtualClock } from "./virtual-clock.js";

export interface RetryPolicy {
  attemptsMax: number;
  backoffMsMin: number;
  backoffMsMax: number;
  /** Client-side deadline of one attempt (above the branch's gate timeout). */
  callTimeoutMs: number;
}

export interface OpSink {
  invoke(r: Omit<InvokeRecord, "type" | "op">): number;
  complete(op: number, r: Omit<CompleteRecord, "type" | "op">): void;
}

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

/** What an attempt came back with: the branch's reply, its error, or nothing before the deadline. */
export type CallOutcome =
  | { reply: OpReply }
  | { error: { code: BranchError["code"] | "unknown"; message: string } }
  | { timeout: true };

/** Serves one request at a branch, as the gRPC server does: errors become codes, never throws. */
export function serveAt(branch: Branch, op: CustomerOp, respond: (o: CallOutcome) => void): void {
  branch.serve(op).then(
    (reply) => respond({ reply }),
    (err: Error) => respond({ error: { code: err instanceof BranchError ? err.code : "unknown", message: err.message } }),
  );
}

/** The gRPC status a real customer would see for each outcome (for the history's error field). */
const STATUS: Record<BranchError["code"] | "unknown", string> = {
  invalid: "INVALID_ARGUMENT",
  gate: "FAILED_PRECONDITION",
  stopping: "UNAVAILABLE",
  failed: "UNAVAILABLE",
  unknown: "UNKNOWN",
};

export interface SessionDeps {
  name: string;
  node: string;
  guarantees: number;
  clock: VirtualClock;
  network: SimNetwork;
  random: () => number;
  retry: RetryPolicy;
  sink: OpSink;
  stats: SessionStats;
  branches: ReadonlyMap<number, Branch>;
}

export class SimSession {
  readonly name: string;
  readonly writeSet: VersionVector = new Map();
  readonly readSet: VersionVector = new Map();
  private n = 0;
  private attemptSeq = 0;
  private readonly deps: SessionDeps;
  /** The attempt awaiting a reply; replies to earlier attempts are dropped, as a finished gRPC call drops them. */
  private waiting: { token: number; done: (o: CallOutcome) => void } | undefined;

  constructor(deps: SessionDeps) {
    this.deps = deps;
    this.name = deps.name;
  }

  async perform(kind: OpKind, amountCents: number, branch: number): Promise<CompleteRecord["status"]> {
    const { clock, retry, sink, stats } = this.deps;
    const requestId = `${this.name}#${++this.n}`;
    // Copies: the request is "on the wire", the session's sets keep changing.
    const request: CustomerOp = {
      requestId, session: this.name, kind, amountCents: kind === "query" ? 0 : amountCents,
      writeSet: new Map(this.writeSet), readSet: new Map(this.readSet), guarantees: this.deps.guarantees,
    };
    const op = sink.invoke({
      session: this.name, requestId, branch, kind, amountCents: request.amountCents,
      writeSet: toJson(this.writeSet), readSet: toJson(this.readSet), wallMs: clock.wallNow(), monoMs: clock.now(),
    });
    let attempts = 0;
    let backoff = retry.backoffMsMin;
    let lastError = "";
    let mayHaveRun = false;
    while (attempts < retry.attemptsMax) {
      attempts++;
      stats.attempts++;
      const outcome = await this.call(branch, request);
      if ("reply" in outcome) {
        this.finish(op, kind, branch, outcome.reply, attempts);
        stats.ok++;
        return "ok";
      }
      if ("timeout" in outcome) {
        stats.timeouts++;
        mayHaveRun = true;
        lastError = `DEADLINE_EXCEEDED: no reply from branch ${branch} within ${retry.callTimeoutMs} ms`;
      } else {
        lastError = `${STATUS[outcome.error.code]}: ${outcome.error.message}`;
        if (outcome.error.code === "invalid") break;
        if (outcome.error.code === "gate") stats.gateRefusals++;
        if (outcome.error.code === "unknown") mayHaveRun = true;
      }
      if (attempts < retry.attemptsMax) {
        stats.retries++;
        await this.sleep(backoff * (0.5 + this.deps.random() / 2));
        backoff = Math.min(backoff * 2, retry.backoffMsMax);
      }
    }
    const status = mayHaveRun ? "info" : "fail";
    if (status === "info") stats.unknown++;
    else stats.failed++;
    sink.complete(op, {
      session: this.name, branch, kind, status, gateWaitMs: 0, attempts, error: lastError,
      wallMs: clock.wallNow(), monoMs: clock.now(),
    });
    return status;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.deps.clock.setTimeout(resolve, ms));
  }

  /** One attempt: the request crosses the network, the branch serves it, the reply crosses back. */
  private call(branch: number, request: CustomerOp): Promise<CallOutcome> {
    const { clock, network, branches, retry } = this.deps;
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
        const b = branches.get(branch);
        if (b === undefined) return;
        serveAt(b, request, (o) => network.send(there, me, () => this.onReply(token, o)));
      });
    });
  }

  private onReply(token: number, o: CallOutcome): void {
    if (this.waiting?.token === token) this.waiting.done(o);
  }

  private finish(op: number, kind: OpKind, branch: number, reply: OpReply, attempts: number): void {
    const { clock, sink } = this.deps;
    let writeId: string | undefined;
    if (reply.writeId) {
      addWrite(this.writeSet, reply.writeId);
      writeId = formatWriteId(reply.writeId);
    }
    // A query read the balance, and so did a withdraw (it decided on it).
    if (kind !== "deposit") mergeInto(this.readSet, reply.witness);
    const record: Omit<CompleteRecord, "type" | "op"> = {
      session: this.name, branch, kind, status: "ok", result: reply.result, witness: toJson(reply.witness),
      gateWaitMs: reply.gateWaitMs, attempts, wallMs: clock.wallNow(), monoMs: clock.now(),
    };
    if (writeId) record.writeId = writeId;
    if (kind !== "deposit") record.balanceCents = reply.balanceCents;
    sink.complete(op, record);
  }
}
