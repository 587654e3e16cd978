// The customer-facing gRPC service of one branch: translates protobuf to the
// Branch's plain requests and its outcomes and errors back to replies and
// statuses. Outcomes are values (a refused withdraw is result FAIL); a gate
// timeout is FAILED_PRECONDITION naming the missing write ids; a bad request
// is INVALID_ARGUMENT; anything unexpected is UNKNOWN, with the stack logged.

import * as grpc from "@grpc/grpc-js";
import { Branch, BranchError, type BranchState, type OpKind, type OpReply } from "./branch.js";
import { SERVER_OPTIONS } from "./bind.js";
import { fromWire, toWire } from "./version-vector.js";
import { banksim } from "../generated/bank.js";

const pb = banksim.v1;
type Req = banksim.v1.CustomerRequest;
type Reply = banksim.v1.CustomerReply;

const KINDS = new Map<number, OpKind>([
  [pb.Interface.DEPOSIT, "deposit"],
  [pb.Interface.WITHDRAW, "withdraw"],
  [pb.Interface.QUERY, "query"],
]);

export const MAX_AWAIT_MS = 120_000;

export function createBranchServer(branch: Branch, log: (line: string) => void): grpc.Server {
  const server = new grpc.Server(SERVER_OPTIONS);
  const fail = (cb: grpc.sendUnaryData<never>, err: unknown, what: string) => {
    if (err instanceof BranchError) {
      const code = err.code === "invalid" ? grpc.status.INVALID_ARGUMENT
        : err.code === "gate" ? grpc.status.FAILED_PRECONDITION
        : grpc.status.UNAVAILABLE;
      log(`${what}: ${err.message}`);
      cb({ code, details: err.message });
      return;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    log(`${what}: unexpected ${e.stack ?? e.message}`);
    cb({ code: grpc.status.UNKNOWN, details: `branch ${branch.id}: ${e.message}` });
  };

  server.addService(pb.UnimplementedBankService.definition, {
    MsgDelivery: (call: grpc.ServerUnaryCall<Req, Reply>, cb: grpc.sendUnaryData<Reply>) => {
      const r = call.request;
      const kind = KINDS.get(r.interface);
      if (!kind) {
        fail(cb, new BranchError("invalid", `interface must be DEPOSIT, WITHDRAW or QUERY, found ${r.interface}`), r.requestId);
        return;
      }
      branch.serve({
        requestId: r.requestId,
        session: r.session,
        kind,
        amountCents: r.amountCents,
        writeSet: fromWire(r.writeSet),
        readSet: fromWire(r.readSet),
        guarantees: r.guarantees,
      }).then((reply) => cb(null, replyToWire(reply)), (err) => fail(cb, err, r.requestId));
    },
    AwaitApplied: (call: grpc.ServerUnaryCall<banksim.v1.AwaitRequest, banksim.v1.BranchState>, cb: grpc.sendUnaryData<banksim.v1.BranchState>) => {
      const timeoutMs = Math.min(call.request.timeoutMs || MAX_AWAIT_MS, MAX_AWAIT_MS);
      branch.awaitApplied(fromWire(call.request.applied), timeoutMs)
        .then((s) => cb(null, stateToWire(s)), (err) => fail(cb, err, "await-applied"));
    },
    State: (_call: grpc.ServerUnaryCall<banksim.v1.StateRequest, banksim.v1.BranchState>, cb: grpc.sendUnaryData<banksim.v1.BranchState>) => {
      cb(null, stateToWire(branch.state()));
    },
  });
  return server;
}

function replyToWire(r: OpReply): Reply {
  const reply = new pb.CustomerReply({
    branch: r.branch,
    interface: r.kind === "deposit" ? pb.Interface.DEPOSIT : r.kind === "withdraw" ? pb.Interface.WITHDRAW : pb.Interface.QUERY,
    result: r.result === "success" ? pb.Result.SUCCESS : pb.Result.FAIL,
    balanceCents: r.balanceCents,
    witness: toWire(r.witness),
    gateWaitMs: r.gateWaitMs,
    replayed: r.replayed,
  });
  if (r.writeId) reply.writeId = new pb.WriteId({ branch: r.writeId.branch, seq: r.writeId.seq });
  return reply;
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
