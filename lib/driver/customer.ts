// A customer session, driven from the main thread over gRPC: a thin adapter
// around the core session machine (lib/core/session.ts), which keeps the
// write and read sets, numbers requests, decides retries and folds replies
// in. This file does the I/O: one call per attempt with a deadline, grpc-js
// errors mapped to the machine's failure classes, the backoff slept on the
// real clock, and the history records stamped and written to the sink.

import * as grpc from "@grpc/grpc-js";
import type { CustomerOp, OpKind } from "../core/branch.js";
import {
  SessionMachine, type AttemptFailure, type Done, type FailureClass, type Retry, type RetryPolicy, type Send, type SessionOutcome, type SessionReply,
} from "../core/session.js";
import type { VersionVector } from "../core/version-vector.js";
import { askingGuarantees, type GuaranteeName } from "../core/gate.js";
import { fromWire, toWireVector } from "../wire/vector-codec.js";
import { decodeCustomerReply, encodeCustomerRequest, type WireCustomerReply, type WireCustomerRequest } from "../wire/customer-codec.js";
import { completeRecord, invokeRecord } from "../history/session-records.js";
import type { OpRecordSink } from "../history/sink.js";
import type { BranchClients } from "./branch-clients.js";
import { banksim } from "../../generated/bank.js";

const pb = banksim.v1;

/** Size of requests on the wire, sampled (1 in 16) so measuring costs little. */
export class RequestSizes {
  private bytes = 0;
  private samples = 0;
  sample(n: number, size: () => number): void {
    if (n % 16 !== 1) return;
    this.bytes += size();
    this.samples++;
  }
  get mean(): number {
    return this.samples ? this.bytes / this.samples : 0;
  }
}

export interface SessionOpOutcome extends SessionOutcome {
  latencyMs: number;
  /** The operation's number in history.jsonl. */
  op: number;
  /** The guarantees that asked the branch for writes before serving it (the only ones that could hold it at the gate). */
  asking: GuaranteeName[];
}

/** grpc-js's words for a call that never reached a server. */
const NEVER_CONNECTED = /No connection established|ECONNREFUSED|Failed to connect|Name resolution failed/i;

/** The customer call's method path; calls to it use the direct codec (the generated classes' bytes, without building their messages). */
const MSG_DELIVERY = pb.UnimplementedBankService.definition.MsgDelivery.path;

const KIND_TO_WIRE: Record<OpKind, banksim.v1.Interface> = {
  deposit: pb.Interface.DEPOSIT,
  withdraw: pb.Interface.WITHDRAW,
  query: pb.Interface.QUERY,
};

const stamp = (mono = performance.now()) => ({ wallMs: Date.now(), monoMs: performance.timeOrigin + mono });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Session {
  private readonly machine: SessionMachine;
  private ops = 0;
  private readonly clients: BranchClients;
  private readonly callTimeoutMs: number;
  private readonly sink: OpRecordSink;
  private readonly sizes: RequestSizes | undefined;

  /** `random` draws the retry jitter: seed it from the run's seed, so a run's timing choices replay. */
  constructor(name: string, guarantees: number, clients: BranchClients, retry: RetryPolicy, sink: OpRecordSink, random: () => number, sizes?: RequestSizes) {
    this.machine = new SessionMachine(name, guarantees, retry, random);
    this.clients = clients;
    this.callTimeoutMs = retry.callTimeoutMs;
    this.sink = sink;
    this.sizes = sizes;
  }

  get name(): string {
    return this.machine.name;
  }

  get writeSet(): VersionVector {
    return this.machine.writeSet;
  }

  get readSet(): VersionVector {
    return this.machine.readSet;
  }

  /** `event`: the scenario's id of the event this runs, recorded with the invocation. */
  async perform(kind: OpKind, amountCents: number, branch: number, event?: number): Promise<SessionOpOutcome> {
    const started = performance.now();
    const send = this.machine.begin(kind, amountCents, branch);
    const asking = askingGuarantees(kind, send.request.guarantees, send.request.writeSet, send.request.readSet);
    const request = requestToWire(send.request);
    this.sizes?.sample(++this.ops, () => encodeCustomerRequest(request).length);
    const op = this.sink.invoke(invokeRecord(send.invoke, stamp(started), event));
    let step: Send | Retry | Done = send;
    // Bounded: the machine gives up after its policy's attemptsMax.
    while (step.next !== "done") {
      if (step.next === "retry") await sleep(step.afterMs);
      step = await this.attempt(branch, request);
    }
    const now = performance.now();
    this.sink.complete(op, completeRecord(step.complete, stamp(now)));
    return { ...step.outcome, latencyMs: now - started, op, asking };
  }

  private async attempt(branch: number, request: WireCustomerRequest): Promise<Retry | Done> {
    let reply: WireCustomerReply;
    try {
      reply = await this.call(branch, request);
    } catch (err) {
      return this.machine.failed(classify(err as grpc.ServiceError));
    }
    return this.machine.replied(replyFromWire(reply));
  }

  private call(branch: number, request: WireCustomerRequest): Promise<WireCustomerReply> {
    const { client, metadata } = this.clients.forCustomers(branch);
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(MSG_DELIVERY, encodeCustomerRequest, decodeCustomerReply, request, metadata, { deadline: Date.now() + this.callTimeoutMs }, (err, reply) => {
        if (err || !reply) reject(err ?? new Error("empty reply"));
        else resolve(reply);
      });
    });
  }
}

function requestToWire(op: CustomerOp): WireCustomerRequest {
  return {
    requestId: op.requestId,
    session: op.session,
    interface: KIND_TO_WIRE[op.kind],
    amountCents: op.amountCents,
    writeSet: toWireVector(op.writeSet),
    readSet: toWireVector(op.readSet),
    guarantees: op.guarantees,
    clock: op.clock ?? 0,
  };
}

function replyFromWire(reply: WireCustomerReply): SessionReply {
  const r: SessionReply = {
    result: reply.result === pb.Result.SUCCESS ? "success" : "fail",
    balanceCents: reply.balanceCents,
    witness: fromWire(reply.witness),
    gateWaitMs: reply.gateWaitMs,
    clock: reply.clock,
  };
  if (reply.writeId && reply.writeId.seq > 0) r.writeId = { branch: reply.writeId.branch, seq: reply.writeId.seq };
  return r;
}

function classify(e: grpc.ServiceError): AttemptFailure {
  return { class: failureClass(e), message: `${grpc.status[e.code] ?? e.code}: ${e.details || e.message}` };
}

/**
 * Only a refusal (invalid, at the gate) or a connection that was never made
 * proves the request did not run; any other failure (a deadline, a branch
 * that died mid-call) leaves its outcome unknown.
 */
function failureClass(e: grpc.ServiceError): FailureClass {
  switch (e.code) {
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.RESOURCE_EXHAUSTED:
      return "invalid";
    case grpc.status.FAILED_PRECONDITION:
      return "gate";
    case grpc.status.DEADLINE_EXCEEDED:
      return "timeout";
    case grpc.status.UNAVAILABLE:
      return NEVER_CONNECTED.test(e.details ?? "") ? "never-connected" : "maybe-ran";
    default:
      return "maybe-ran";
  }
}
