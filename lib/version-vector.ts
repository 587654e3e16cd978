// Version vectors: the compact, exact form of a write-id set.
//
// A vector maps an origin branch to the highest sequence number n it covers and
// stands for the write ids origin.1 ... origin.n. That is exact only because
// every replica applies each origin's writes in sequence order (the ledger
// buffers gaps), so "the writes applied here" is always such a prefix per
// origin, and "set S is applied here" reduces to a per-origin comparison.

import { pb } from "./wire.js";
import type { VersionVectorJson } from "./history-types.js";

export type VersionVector = Map<number, number>;

export interface WriteId {
  branch: number;
  seq: number;
}

export function formatWriteId(id: WriteId): string {
  return `${id.branch}.${id.seq}`;
}

export function parseWriteId(text: string): WriteId {
  const m = /^([1-9]\d*)\.([1-9]\d*)$/.exec(text);
  if (!m) throw new Error(`expected a write id <branch>.<seq>, found ${JSON.stringify(text)}`);
  return { branch: Number(m[1]), seq: Number(m[2]) };
}

/** True when every write in `need` is in `have`. */
export function covers(have: VersionVector, need: VersionVector): boolean {
  for (const [branch, seq] of need) {
    if ((have.get(branch) ?? 0) < seq) return false;
  }
  return true;
}

/** The write ids in `need` that `have` lacks, listed (at most `limit` of them). */
export function missingIds(have: VersionVector, need: VersionVector, limit = 20): string[] {
  const out: string[] = [];
  for (const [branch, seq] of [...need].sort((a, b) => a[0] - b[0])) {
    for (let s = (have.get(branch) ?? 0) + 1; s <= seq; s++) {
      if (out.length === limit) return [...out, "..."];
      out.push(`${branch}.${s}`);
    }
  }
  return out;
}

/** Adds `other` into `into` (set union), returning `into`. */
export function mergeInto(into: VersionVector, other: VersionVector): VersionVector {
  for (const [branch, seq] of other) {
    if ((into.get(branch) ?? 0) < seq) into.set(branch, seq);
  }
  return into;
}

export function addWrite(into: VersionVector, id: WriteId): VersionVector {
  if ((into.get(id.branch) ?? 0) < id.seq) into.set(id.branch, id.seq);
  return into;
}

export function toJson(vv: VersionVector): VersionVectorJson {
  const out: VersionVectorJson = {};
  for (const [branch, seq] of [...vv].sort((a, b) => a[0] - b[0])) out[String(branch)] = seq;
  return out;
}

export function fromJson(json: VersionVectorJson): VersionVector {
  return new Map(Object.entries(json).map(([b, s]) => [Number(b), s]));
}

export function toWire(vv: VersionVector): InstanceType<typeof pb.VersionVector> {
  const branches: number[] = [];
  const seqs: number[] = [];
  for (const [branch, seq] of vv) {
    if (seq > 0) (branches.push(branch), seqs.push(seq));
  }
  return new pb.VersionVector({ branches, seqs });
}

/** Entries beyond the shorter of the two arrays are ignored (a malformed vector). */
export function fromWire(msg: InstanceType<typeof pb.VersionVector> | undefined): VersionVector {
  const vv: VersionVector = new Map();
  if (!msg) return vv;
  const branches = msg.branches;
  const seqs = msg.seqs;
  const n = Math.min(branches.length, seqs.length);
  for (let i = 0; i < n; i++) {
    const b = branches[i]!;
    const s = seqs[i]!;
    if ((vv.get(b) ?? 0) < s) vv.set(b, s);
  }
  return vv;
}

export function equal(a: VersionVector, b: VersionVector): boolean {
  return covers(a, b) && covers(b, a);
}
