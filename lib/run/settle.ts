// Settling a run after its customers: quiescence, then convergence. Every
// branch must apply every write any branch issued (acknowledged or not: a
// write whose reply was lost is still a write), and then every replica must
// hold the same balance and the same applied set; if not, the run fails with
// every branch's state in the message.

import type { BranchState } from "../core/branch.js";
import { equal, type VersionVector } from "../core/version-vector.js";
import { toJson } from "../history/vector-json.js";
import type { Interruption } from "./interruption.js";

export interface Settlement {
  finals: BranchState[];
  converged: boolean;
  /** Why the replicas do not agree, when they do not. */
  error?: string;
}

/** What settling needs of the cluster (Cluster.awaitApplied: an empty vector asks for the state now). */
export interface SettleTarget {
  awaitApplied(need: VersionVector, timeoutMs: number): Promise<BranchState[]>;
}

export async function settle(cluster: SettleTarget, timeoutMs: number, interruption: Interruption): Promise<Settlement> {
  const before = await interruption.race(cluster.awaitApplied(new Map(), timeoutMs));
  const finals = await interruption.race(cluster.awaitApplied(issuedBy(before), timeoutMs));
  const error = convergenceError(finals);
  return error === undefined ? { finals, converged: true } : { finals, converged: false, error };
}

/** Every write the branches issued, as a vector (origin → its highest sequence number). */
export function issuedBy(states: readonly BranchState[]): VersionVector {
  return new Map(states.filter((s) => s.issued > 0).map((s) => [s.branch, s.issued]));
}

/** Why these final states disagree (balance or applied set), or undefined when they all agree. */
export function convergenceError(finals: readonly BranchState[]): string | undefined {
  const first = finals[0];
  const disagree = finals.filter((s) => !first || s.balanceCents !== first.balanceCents || !equal(s.applied, first.applied));
  if (disagree.length === 0) return undefined;
  return `replicas did not converge: ${finals.map((s) => `branch ${s.branch} balance ${s.balanceCents}c applied ${JSON.stringify(toJson(s.applied))}`).join("; ")}`;
}
