// A customer session, driven from the main thread through the generated gRPC
// stubs. The session keeps its write set and read set (as version vectors),
// sends them with every request, and folds each reply back in: a new write id
// joins the write set; what a read saw (the branch's witness) joins the read
// set. A refusal at the gate is retried with bounded exponential backoff, with
// the same request id, so a retry can never execute twice.

import * as grpc from "@grpc/grpc-js";
import { addWrite, formatWriteId, mergeInto, type VersionVector } from "../core/version-vector.js";
import { fromWire, toWire } from "../wire/vector-codec.js";
import { toJson } from "../history/vector-json.js";
import type { OpKind } from "../core/branch.js";
import type { CompleteRecord } from "../history/types.js";
import type { OpRecordSink } from "../history/sink.js";
import { banksim } from "../../generated/bank.js";

const pb = banksim.v1;

export interface RetryPolicy {
  attemptsMax: number;
  backoffMsMin: number;
  backoffMsMax: number;
  /** Deadline of one attempt, client side (it must exceed the branch's gate timeout). */
  callTimeoutMs: number;
}

/** One gRPC client per branch, created on first use, all closed together. */
export class BranchClients {
  private readonly clients = new Map<number, banksim.v1.BankClient>();
  private readonly addresses: Map<number, string>;

  constructor(addresses: ReadonlyMap<number, string>) {
    this.addresses = new Map(addresses);
  }

  get(branch: number): banksim.v1.BankClient {
    let c = this.clients.get(branch);
    if (!c) {
      const address = this.addresses.get(branch);
      if (!address) throw new Error(`no address for branch ${branch}`);
      c = new pb.BankClient(address, grpc.credentials.createInsecure());
      this.clients.set(branch, c);
    }
    return c;
  }

  /** A branch restarted at a new address: later requests go there. */
  setAddress(branch: number, address: string): void {
    this.addresses.set(branch, address);
    this.clients.get(branch)?.close();
    this.clients.delete(branch);
  }

  /** Opens connections to these branches ahead of the first request (in parallel). */
  connect(branches: Iterable<number>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    return Promise.all([...branches].map((b) => new Promise<void>((resolve, reject) => {
      this.get(b).waitForReady(deadline, (err) => (err ? reject(new Error(`branch ${b}: cannot connect: ${err.message}`)) : resolve()));
    }))).then(() => undefined);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}


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

export interface SessionOpOutcome {
  status: "ok" | "failed" | "unknown";
  result?: "success" | "fail";
  balanceCents?: number;
  writeId?: string;
  latencyMs: number;
  gateWaitMs: number;
  attempts: number;
  error?: string;
}

/** grpc-js's words for a call that never reached a server. */
const NEVER_CONNECTED = /No connection established|ECONNREFUSED|Failed to connect|Name resolution failed/i;

const KIND_TO_WIRE: Record<OpKind, banksim.v1.Interface> = {
  deposit: pb.Interface.DEPOSIT,
  withdraw: pb.Interface.WITHDRAW,
  query: pb.Interface.QUERY,
};

export class Session {
  readonly name: string;
  readonly writeSet: VersionVector = new Map();
  readonly readSet: VersionVector = new Map();
  private n = 0;
  private readonly guarantees: number;
  private readonly clients: BranchClients;
  private readonly retry: RetryPolicy;
  private readonly sink: OpRecordSink;

  private readonly sizes: RequestSizes | undefined;

  constructor(name: string, guarantees: number, clients: BranchClients, retry: RetryPolicy, sink: OpRecordSink, sizes?: RequestSizes) {
    this.sizes = sizes;
    this.name = name;
    this.guarantees = guarantees;
    this.clients = clients;
    this.retry = retry;
    this.sink = sink;
  }

  async perform(kind: OpKind, amountCents: number, branch: number): Promise<SessionOpOutcome> {
    const requestId = `${this.name}#${++this.n}`;
    const request = new pb.CustomerRequest({
      requestId,
      session: this.name,
      interface: KIND_TO_WIRE[kind],
      amountCents: kind === "query" ? 0 : amountCents,
      writeSet: toWire(this.writeSet),
      readSet: toWire(this.readSet),
      guarantees: this.guarantees,
    });
    this.sizes?.sample(this.n, () => request.serialize().length);
    const started = performance.now();
    const op = this.sink.invoke({
      session: this.name, requestId, branch, kind, amountCents,
      writeSet: toJson(this.writeSet), readSet: toJson(this.readSet),
      wallMs: Date.now(), monoMs: performance.timeOrigin + started,
    });
    let attempts = 0;
    let backoff = this.retry.backoffMsMin;
    let lastError = "";
    // Once an attempt may have reached the branch and its outcome is unknown,
    // the operation stays "unknown" unless a later attempt learns the outcome.
    let mayHaveRun = false;
    while (attempts < this.retry.attemptsMax) {
      attempts++;
      try {
        const reply = await this.call(branch, request);
        return this.finish(op, kind, branch, reply, started, attempts);
      } catch (err) {
        const e = err as grpc.ServiceError;
        lastError = `${grpc.status[e.code] ?? e.code}: ${e.details || e.message}`;
        if (e.code === grpc.status.INVALID_ARGUMENT || e.code === grpc.status.RESOURCE_EXHAUSTED) break;
        // Only a refusal at the gate, or a connection that was never made,
        // proves the request did not run; any other failure (a deadline, a
        // branch that died mid-call) leaves its outcome unknown.
        if (e.code !== grpc.status.FAILED_PRECONDITION && !(e.code === grpc.status.UNAVAILABLE && NEVER_CONNECTED.test(e.details ?? ""))) mayHaveRun = true;
      }
      if (attempts < this.retry.attemptsMax) {
        await new Promise((r) => setTimeout(r, backoff * (0.5 + Math.random() / 2)));
        backoff = Math.min(backoff * 2, this.retry.backoffMsMax);
      }
    }
    const status = mayHaveRun ? "unknown" : "failed";
    const latencyMs = performance.now() - started;
    this.sink.complete(op, {
      session: this.name, branch, kind, status: status === "unknown" ? "info" : "fail",
      gateWaitMs: 0, attempts, error: lastError, wallMs: Date.now(), monoMs: performance.timeOrigin + performance.now(),
    });
    return { status, latencyMs, gateWaitMs: 0, attempts, error: `${kind} at branch ${branch} failed after ${attempts} attempt(s): ${lastError}` };
  }

  private call(branch: number, request: banksim.v1.CustomerRequest): Promise<banksim.v1.CustomerReply> {
    const client = this.clients.get(branch);
    return new Promise((resolve, reject) => {
      client.MsgDelivery(request, { deadline: Date.now() + this.retry.callTimeoutMs }, (err, reply) => {
        if (err || !reply) reject(err ?? new Error("empty reply"));
        else resolve(reply);
      });
    });
  }

  private finish(op: number, kind: OpKind, branch: number, reply: banksim.v1.CustomerReply, started: number, attempts: number): SessionOpOutcome {
    const witness = fromWire(reply.witness);
    const result = reply.result === pb.Result.SUCCESS ? "success" : "fail";
    let writeId: string | undefined;
    if (reply.writeId && reply.writeId.seq > 0) {
      addWrite(this.writeSet, { branch: reply.writeId.branch, seq: reply.writeId.seq });
      writeId = formatWriteId({ branch: reply.writeId.branch, seq: reply.writeId.seq });
    }
    // A query read the balance, and so did a withdraw (it decided on it).
    if (kind !== "deposit") mergeInto(this.readSet, witness);
    const now = performance.now();
    const outcome: SessionOpOutcome = { status: "ok", result, latencyMs: now - started, gateWaitMs: reply.gateWaitMs, attempts };
    if (kind !== "deposit") outcome.balanceCents = reply.balanceCents;
    if (writeId) outcome.writeId = writeId;
    const record: Omit<CompleteRecord, "type" | "op"> = {
      session: this.name, branch, kind, status: "ok", result, witness: toJson(witness),
      gateWaitMs: reply.gateWaitMs, attempts, wallMs: Date.now(), monoMs: performance.timeOrigin + now,
    };
    if (writeId) record.writeId = writeId;
    if (kind !== "deposit") record.balanceCents = reply.balanceCents;
    this.sink.complete(op, record);
    return outcome;
  }
}
