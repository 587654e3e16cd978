// Conversions between the ledger's Write and its protobuf form, and the checks
// that input from the wire must pass first: a peer or a customer may send
// anything, and a malformed vector or write must be refused with a reason,
// never half-applied.

import { MAX_AMOUNT_CENTS, MAX_CLOCK, MAX_VECTOR_ENTRIES } from "../core/limits.js";
import type { Write } from "../core/ledger.js";
import { fromWire, toWire, toWireVector } from "./vector-codec.js";
import type { WriteFields } from "./batch-codec.js";
import type { WireVector } from "./proto-bytes.js";
import { pb } from "./pb.js";

export type PbWrite = InstanceType<typeof pb.Write>;


/** Why a version vector from the wire is malformed (`name` says which, e.g. "write set"), or undefined if it is well formed. */
export function wireVectorProblem(msg: WireVector | undefined, name: string): string | undefined {
  if (!msg) return undefined;
  const branches = msg.branches;
  const seqs = msg.seqs;
  if (branches.length !== seqs.length) {
    return `${name} has ${branches.length} branches but ${seqs.length} seqs; the two packed arrays must have the same length`;
  }
  if (branches.length > MAX_VECTOR_ENTRIES) {
    return `${name} has ${branches.length} entries; a version vector names each branch at most once, so it has at most ${MAX_VECTOR_ENTRIES} (the most branches a cluster can have)`;
  }
  const seen = new Set<number>();
  for (const b of branches) {
    if (seen.has(b)) return `${name} names branch ${b} more than once`;
    seen.add(b);
  }
  return undefined;
}

/** The write's fields on the wire, for the direct codec of the replication stream (batch-codec.ts). */
export function writeToFields(w: Write): WriteFields {
  return {
    id: { branch: w.id.branch, seq: w.id.seq },
    interface: w.kind === "deposit" ? pb.Interface.DEPOSIT : pb.Interface.WITHDRAW,
    amountCents: w.amountCents,
    deps: toWireVector(w.deps),
    acceptedAtMs: w.acceptedAtMs,
    clock: w.clock ?? 0,
  };
}

/** The write as a generated message (catch-up and the applied log stream these). */
export function writeToWire(w: Write): PbWrite {
  const f = writeToFields(w);
  return new pb.Write({ ...f, id: new pb.WriteId(f.id), deps: new pb.VersionVector(f.deps) });
}

/** The write, or why no honest peer would send it (no id, unknown kind, bad amount, malformed deps). */
export function writeFromWire(m: WriteFields): Write | string {
  const id = m.id;
  if (!id || id.branch < 1 || id.seq < 1) return `a write without an id <branch>.<seq> (both from 1)`;
  const which = `write ${id.branch}.${id.seq}`;
  if (m.interface !== pb.Interface.DEPOSIT && m.interface !== pb.Interface.WITHDRAW) {
    return `${which}: interface must be DEPOSIT or WITHDRAW, found ${m.interface}`;
  }
  if (!Number.isSafeInteger(m.amountCents) || m.amountCents < 0 || m.amountCents > MAX_AMOUNT_CENTS) {
    const found = Number.isSafeInteger(m.amountCents) ? String(m.amountCents) : `a number beyond ±2^53 (about ${m.amountCents})`;
    return `${which}: amount must be whole cents between 0 and ${MAX_AMOUNT_CENTS}, found ${found}`;
  }
  const depsProblem = wireVectorProblem(m.deps, "deps");
  if (depsProblem) return `${which}: ${depsProblem}`;
  if (!Number.isSafeInteger(m.clock) || m.clock < 0 || m.clock > MAX_CLOCK) return `${which}: clock must be a Lamport clock between 0 and ${MAX_CLOCK}, found ${m.clock}`;
  return {
    id: { branch: id.branch, seq: id.seq },
    kind: m.interface === pb.Interface.DEPOSIT ? "deposit" : "withdraw",
    amountCents: m.amountCents,
    deps: fromWire(m.deps),
    acceptedAtMs: m.acceptedAtMs,
    clock: m.clock,
  };
}
