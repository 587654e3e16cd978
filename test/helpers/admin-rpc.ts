// Promise wrappers for the branch's admin RPCs (AwaitApplied, State): the
// wire contract a remote driver will use; the run itself asks its hosted
// branches over their control ports.

import type { BranchClients } from "../../lib/driver/branch-clients.js";
import type { BranchState } from "../../lib/core/branch.js";
import { type VersionVector } from "../../lib/core/version-vector.js";
import { fromWire, toWire } from "../../lib/wire/vector-codec.js";
import { banksim } from "../../generated/bank.js";

const pb = banksim.v1;

function fromState(s: banksim.v1.BranchState): BranchState {
  return { branch: s.branch, balanceCents: s.balanceCents, applied: fromWire(s.applied), issued: s.issued, pending: s.pending };
}

export function awaitApplied(clients: BranchClients, branch: number, need: VersionVector, timeoutMs: number): Promise<BranchState> {
  const req = new pb.AwaitRequest({ applied: toWire(need), timeoutMs });
  return new Promise((resolve, reject) => {
    clients.get(branch).AwaitApplied(req, { deadline: Date.now() + timeoutMs + 2_000 }, (err, s) => {
      if (err || !s) reject(new Error(`branch ${branch}: ${err?.details ?? "no reply"}`));
      else resolve(fromState(s));
    });
  });
}

export function branchState(clients: BranchClients, branch: number, timeoutMs: number): Promise<BranchState> {
  return new Promise((resolve, reject) => {
    clients.get(branch).State(new pb.StateRequest(), { deadline: Date.now() + timeoutMs }, (err, s) => {
      if (err || !s) reject(new Error(`branch ${branch}: ${err?.details ?? "no reply"}`));
      else resolve(fromState(s));
    });
  });
}
