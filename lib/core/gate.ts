// The session gate: which writes a branch must have applied before it serves a
// request, given the session's sets and the guarantees it asked for (Terry et
// al. 1994, as DESIGN.md's table states them). Pure functions.
//
// A withdraw both reads (it decides on the balance) and writes, so it is held
// to the read rules and the write rules.

import { mergeInto, type VersionVector } from "./version-vector.js";

export type GuaranteeName = "mw" | "ryw" | "mr" | "wfr";
export const ALL_GUARANTEES: readonly GuaranteeName[] = ["mw", "ryw", "mr", "wfr"];
export const DEFAULT_GUARANTEES: readonly GuaranteeName[] = ["mw", "ryw"];

/** Bits as on the wire (proto Guarantee). */
export const GUARANTEE_BITS: Record<GuaranteeName, number> = { mw: 1, ryw: 2, mr: 4, wfr: 8 };

export const GUARANTEE_TITLES: Record<GuaranteeName, string> = {
  mw: "Monotonic Writes",
  ryw: "Read Your Writes",
  mr: "Monotonic Reads",
  wfr: "Writes Follow Reads",
};

export function guaranteesToBits(list: readonly GuaranteeName[]): number {
  return list.reduce((bits, g) => bits | GUARANTEE_BITS[g], 0);
}

export function bitsToGuarantees(bits: number): GuaranteeName[] {
  return ALL_GUARANTEES.filter((g) => (bits & GUARANTEE_BITS[g]) !== 0);
}

/** Parses `--guarantees`: "all", "none", or a comma list of mw,ryw,mr,wfr. */
export function parseGuarantees(text: string): GuaranteeName[] {
  const t = text.trim().toLowerCase();
  if (t === "all") return [...ALL_GUARANTEES];
  if (t === "none" || t === "") return [];
  const out = new Set<GuaranteeName>();
  for (const part of t.split(",").map((p) => p.trim())) {
    if (!(ALL_GUARANTEES as readonly string[]).includes(part)) {
      throw new Error(`--guarantees: expected all, none or a list of ${ALL_GUARANTEES.join(",")}, found ${JSON.stringify(part)}`);
    }
    out.add(part as GuaranteeName);
  }
  return ALL_GUARANTEES.filter((g) => out.has(g));
}

export interface GateNeed {
  /** What must be applied before serving. */
  required: VersionVector;
  /** What a new write must carry as dependencies (MW: write set; WFR: read set). */
  deps: VersionVector;
  /** Which guarantee asked for what, for error messages. */
  reasons: GuaranteeName[];
}

/**
 * The guarantees among `bits` that ask the branch for some write before it
 * serves this request (a non-empty requirement): the only ones that can hold
 * it at the gate.
 */
export function askingGuarantees(kind: "deposit" | "withdraw" | "query", bits: number, writeSet: VersionVector, readSet: VersionVector): GuaranteeName[] {
  const writes = kind !== "query";
  const reads = kind !== "deposit";
  const asks = (g: GuaranteeName, set: VersionVector) => (bits & GUARANTEE_BITS[g]) !== 0 && [...set.values()].some((n) => n > 0);
  return ALL_GUARANTEES.filter((g) =>
    (g === "mw" && writes && asks(g, writeSet)) || (g === "wfr" && writes && asks(g, readSet)) ||
    (g === "ryw" && reads && asks(g, writeSet)) || (g === "mr" && reads && asks(g, readSet)));
}

export function gateNeed(
  kind: "deposit" | "withdraw" | "query",
  bits: number,
  writeSet: VersionVector,
  readSet: VersionVector,
): GateNeed {
  const on = (g: GuaranteeName) => (bits & GUARANTEE_BITS[g]) !== 0;
  const required: VersionVector = new Map();
  const deps: VersionVector = new Map();
  const reasons: GuaranteeName[] = [];
  const writes = kind !== "query";
  const reads = kind !== "deposit";
  if (writes && on("mw")) (mergeInto(required, writeSet), mergeInto(deps, writeSet), reasons.push("mw"));
  if (writes && on("wfr")) (mergeInto(required, readSet), mergeInto(deps, readSet), reasons.push("wfr"));
  if (reads && on("ryw")) (mergeInto(required, writeSet), reasons.push("ryw"));
  if (reads && on("mr")) (mergeInto(required, readSet), reasons.push("mr"));
  return { required, deps, reasons };
}
