// The customer-facing gRPC service of one branch: translates protobuf to the
// Branch's plain requests and its outcomes and errors back to replies and
// statuses. Outcomes are values (a refused withdraw is result FAIL); a gate
// timeout is FAILED_PRECONDITION naming the missing write ids; a bad request
// is INVALID_ARGUMENT; anything unexpected is UNKNOWN, with the stack logged.
// A customer request's bytes are read by the direct codec (customer-codec.ts),
// which refuses what wire-guard.ts refuses; the other requests pass the guard
// before google-protobuf decodes them. Its shape (interface, amount, vectors,
// lengths) is checked here before the Branch sees it, so hostile input is
// refused without touching any state.

import * as grpc from "@grpc/grpc-js";
import { Branch, BranchError, type BranchState, type OpKind, type OpReply } from "../core/branch.js";
import { requireSecret } from "../wire/auth.js";
import { SERVER_OPTIONS } from "../wire/bind.js";
import type { AppliedJournal } from "./applied-journal.js";
import { ALL_GUARANTEES, guaranteesToBits } from "../core/gate.js";
import { MAX_AMOUNT_CENTS, MAX_AWAIT_MS, MAX_CLOCK, MAX_SESSION_CHARS } from "../core/limits.js";
import { fromWire, toWire, toWireVector } from "../wire/vector-codec.js";
import { decodeCustomerRequest, encodeCustomerReply, type WireCustomerReply, type WireCustomerRequest } from "../wire/customer-codec.js";
import type { Write } from "../core/ledger.js";
import {
  APPLIED_LOG_REQUEST, AWAIT_REQUEST, CUSTOMER_REQUEST, guardRequests, OWN_WRITES_REQUEST, STATE_REQUEST, UndecodableMessage,
} from "../wire/wire-guard.js";
import { wireVectorProblem, writeToWire } from "../wire/write-codec.js";
import { banksim } from "../../generated/bank.js";

const pb = banksim.v1;
type Req = WireCustomerRequest;
type Reply = WireCustomerReply;

const KINDS = new Map<number, OpKind>([
  [pb.Interface.DEPOSIT, "deposit"],
  [pb.Interface.WITHDRAW, "withdraw"],
  [pb.Interface.QUERY, "query"],
]);


const KNOWN_GUARANTEE_BITS = guaranteesToBits(ALL_GUARANTEES);

const MAX_REQUEST_ID_CHARS = MAX_SESSION_CHARS + 17;
/** Status details are clipped to this: they travel as an HTTP/2 trailer, and a log line should stay a line. */
const MAX_DETAILS_CHARS = 1_000;

function clip(text: string): string {
  return text.length <= MAX_DETAILS_CHARS ? text : `${text.slice(0, MAX_DETAILS_CHARS)}… (${text.length} characters)`;
}

/**
 * What is wrong with a customer request's wire form, before the Branch sees
 * it: an unknown interface or guarantee bit, an amount too large to have been
 * read exactly (int64 beyond 2^53 arrives rounded), or a malformed vector.
 * The Branch checks the rest (request id, amount range, unknown branches).
 */
function requestProblem(r: Req): string | undefined {
  if (r.session.length > MAX_SESSION_CHARS) return `session must be at most ${MAX_SESSION_CHARS} characters, found ${r.session.length}`;
  if (r.requestId.length > MAX_REQUEST_ID_CHARS) {
    return `request id must be "<session>#<n>", at most ${MAX_REQUEST_ID_CHARS} characters, found ${r.requestId.length} characters`;
  }
  if (!KINDS.has(r.interface)) return `interface must be DEPOSIT, WITHDRAW or QUERY, found ${r.interface}`;
  if (r.interface !== pb.Interface.QUERY && !Number.isSafeInteger(r.amountCents)) {
    return `amount_cents must be whole cents between 0 and ${MAX_AMOUNT_CENTS}, found a number beyond ±2^53 (about ${r.amountCents})`;
  }
  if (!Number.isSafeInteger(r.clock) || r.clock < 0 || r.clock > MAX_CLOCK) return `clock must be a Lamport clock between 0 and ${MAX_CLOCK}, found ${r.clock}`;
  if ((r.guarantees & ~KNOWN_GUARANTEE_BITS) !== 0 || r.guarantees < 0) {
    return `guarantees must be a bit set of MONOTONIC_WRITES (1), READ_YOUR_WRITES (2), MONOTONIC_READS (4) and WRITES_FOLLOW_READS (8), found ${r.guarantees}`;
  }
  return wireVectorProblem(r.writeSet, "write set") ?? wireVectorProblem(r.readSet, "read set");
}

/** Reads a branch's own writes back from its log (absent when it keeps no log). */
export type OwnWritesSource = (afterSeq: number) => Write[];

/** What every handler of one branch's service needs. */
interface Served {
  branch: Branch;
  log: (line: string) => void;
  ownWrites: OwnWritesSource | undefined;
  journal: AppliedJournal | undefined;
}

/** The Bank service for `branch`, answering only calls that carry the cluster's `secret`. */
export function createBranchServer(branch: Branch, log: (line: string) => void, secret: string, ownWrites?: OwnWritesSource, journal?: AppliedJournal): grpc.Server {
  const server = new grpc.Server({ ...SERVER_OPTIONS, interceptors: [requireSecret(secret)] });
  const served: Served = { branch, log, ownWrites, journal };
  server.addService(BANK_SERVICE, {
    MsgDelivery: (call: grpc.ServerUnaryCall<Req | UndecodableMessage, Reply>, cb: grpc.sendUnaryData<Reply>) => msgDelivery(served, call, cb),
    AwaitApplied: (call: grpc.ServerUnaryCall<banksim.v1.AwaitRequest | UndecodableMessage, banksim.v1.BranchState>, cb: grpc.sendUnaryData<banksim.v1.BranchState>) =>
      awaitApplied(served, call, cb),
    State: (call: grpc.ServerUnaryCall<banksim.v1.StateRequest | UndecodableMessage, banksim.v1.BranchState>, cb: grpc.sendUnaryData<banksim.v1.BranchState>) =>
      state(served, call, cb),
    OwnWrites: (call: grpc.ServerWritableStream<banksim.v1.OwnWritesRequest | UndecodableMessage, banksim.v1.Write>) => streamOwnWrites(served, call),
    AppliedLog: (call: grpc.ServerWritableStream<banksim.v1.AppliedLogRequest | UndecodableMessage, banksim.v1.AppliedEntry>) => streamAppliedLog(served, call),
  });
  return server;
}

/**
 * The Bank service with every request guarded (wire-guard.ts), and the
 * customer call's two messages read and written by the direct codec
 * (customer-codec.ts), which produces the generated classes' bytes.
 */
const BANK_SERVICE: grpc.ServiceDefinition = (() => {
  const guarded = guardRequests(pb.UnimplementedBankService.definition, {
    MsgDelivery: CUSTOMER_REQUEST, AwaitApplied: AWAIT_REQUEST, State: STATE_REQUEST, OwnWrites: OWN_WRITES_REQUEST, AppliedLog: APPLIED_LOG_REQUEST,
  }, { MsgDelivery: decodeCustomerRequest });
  return { ...guarded, MsgDelivery: { ...guarded.MsgDelivery, responseSerialize: encodeCustomerReply } } as unknown as grpc.ServiceDefinition;
})();

/** Answers a unary call with the status for `err`, logged as `what`. */
function fail({ branch, log }: Served, cb: grpc.sendUnaryData<never>, err: unknown, what: string): void {
  if (err instanceof BranchError) {
    const code = err.code === "invalid" ? grpc.status.INVALID_ARGUMENT
      : err.code === "gate" ? grpc.status.FAILED_PRECONDITION
      : err.code === "busy" ? grpc.status.RESOURCE_EXHAUSTED
      : grpc.status.UNAVAILABLE;
    log(`${what}: ${clip(err.message)}`);
    cb({ code, details: clip(err.message) });
    return;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  log(`${what}: unexpected ${e.stack ?? e.message}`);
  cb({ code: grpc.status.UNKNOWN, details: clip(`branch ${branch.id}: ${e.message}`) });
}

/** A customer's deposit, withdraw or query. */
function msgDelivery(served: Served, call: grpc.ServerUnaryCall<Req | UndecodableMessage, Reply>, cb: grpc.sendUnaryData<Reply>): void {
  const r = call.request;
  if (r instanceof UndecodableMessage) {
    fail(served, cb, new BranchError("invalid", r.problem), "undecodable request");
    return;
  }
  const problem = requestProblem(r);
  if (problem) {
    fail(served, cb, new BranchError("invalid", problem), clip(r.requestId));
    return;
  }
  served.branch.serve({
    requestId: r.requestId,
    session: r.session,
    kind: KINDS.get(r.interface)!,
    amountCents: r.amountCents,
    writeSet: fromWire(r.writeSet),
    readSet: fromWire(r.readSet),
    guarantees: r.guarantees,
    clock: r.clock,
  }).then((reply) => cb(null, replyToWire(reply)), (err) => fail(served, cb, err, clip(r.requestId)));
}

/** Answers once the branch has applied the given vector (or the wait times out). */
function awaitApplied(
  served: Served,
  call: grpc.ServerUnaryCall<banksim.v1.AwaitRequest | UndecodableMessage, banksim.v1.BranchState>,
  cb: grpc.sendUnaryData<banksim.v1.BranchState>,
): void {
  const r = call.request;
  if (r instanceof UndecodableMessage) {
    fail(served, cb, new BranchError("invalid", r.problem), "await-applied");
    return;
  }
  const problem = wireVectorProblem(r.applied, "applied");
  if (problem) {
    fail(served, cb, new BranchError("invalid", problem), "await-applied");
    return;
  }
  const timeoutMs = Math.min(r.timeoutMs || MAX_AWAIT_MS, MAX_AWAIT_MS);
  served.branch.awaitApplied(fromWire(r.applied), timeoutMs)
    .then((s) => cb(null, stateToWire(s)), (err) => fail(served, cb, err, "await-applied"));
}

/** The branch's state now: balance, applied vector, writes issued and pending. */
function state(
  served: Served,
  call: grpc.ServerUnaryCall<banksim.v1.StateRequest | UndecodableMessage, banksim.v1.BranchState>,
  cb: grpc.sendUnaryData<banksim.v1.BranchState>,
): void {
  if (call.request instanceof UndecodableMessage) {
    fail(served, cb, new BranchError("invalid", call.request.problem), "state");
    return;
  }
  cb(null, stateToWire(served.branch.state()));
}

/** Streams the branch's own writes after a seq, read back from its log. */
function streamOwnWrites({ branch, log, ownWrites }: Served, call: grpc.ServerWritableStream<banksim.v1.OwnWritesRequest | UndecodableMessage, banksim.v1.Write>): void {
  const r = call.request;
  if (r instanceof UndecodableMessage) {
    call.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: clip(r.problem) });
    return;
  }
  if (!ownWrites) {
    call.emit("error", { code: grpc.status.FAILED_PRECONDITION, details: `branch ${branch.id} keeps no log to read its writes from` });
    return;
  }
  try {
    for (const w of ownWrites(r.afterSeq)) call.write(writeToWire(w));
    call.end();
  } catch (err) {
    log(`own-writes: ${(err as Error).message}`);
    call.emit("error", { code: grpc.status.UNKNOWN, details: clip((err as Error).message) });
  }
}

/** Streams the branch's applied log from a position (served hosts keep one). */
function streamAppliedLog({ branch, journal }: Served, call: grpc.ServerWritableStream<banksim.v1.AppliedLogRequest | UndecodableMessage, banksim.v1.AppliedEntry>): void {
  const r = call.request;
  if (r instanceof UndecodableMessage) {
    call.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: clip(r.problem) });
    return;
  }
  if (!journal) {
    call.emit("error", { code: grpc.status.FAILED_PRECONDITION, details: `branch ${branch.id} keeps no applied log (only branches of bank-sim serve do)` });
    return;
  }
  const from = Number(r.fromIndex);
  if (from < journal.firstIndex) {
    call.emit("error", { code: grpc.status.OUT_OF_RANGE, details: `branch ${branch.id}'s applied log starts at entry ${journal.firstIndex} (older ones were dropped), asked from ${from}` });
    return;
  }
  for (const e of journal.from(from)) {
    call.write(new pb.AppliedEntry({ index: e.index, write: writeToWire(e.write), wallMs: e.wallMs, monoMs: e.monoMs }));
  }
  call.end();
}

function replyToWire(r: OpReply): Reply {
  return {
    branch: r.branch,
    interface: r.kind === "deposit" ? pb.Interface.DEPOSIT : r.kind === "withdraw" ? pb.Interface.WITHDRAW : pb.Interface.QUERY,
    result: r.result === "success" ? pb.Result.SUCCESS : pb.Result.FAIL,
    balanceCents: r.balanceCents,
    writeId: r.writeId && { branch: r.writeId.branch, seq: r.writeId.seq },
    witness: toWireVector(r.witness),
    gateWaitMs: r.gateWaitMs,
    replayed: r.replayed,
    clock: r.clock ?? 0,
  };
}

export function stateToWire(s: BranchState): banksim.v1.BranchState {
  return new pb.BranchState({
    branch: s.branch,
    balanceCents: s.balanceCents,
    applied: toWire(s.applied),
    issued: s.issued,
    pending: s.pending,
  });
}
