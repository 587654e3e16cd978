// Version vectors on the wire: two packed uint32 arrays (branches, seqs), the
// cheapest protobuf form to encode. Zero entries are left out.

import type { VersionVector } from "../core/version-vector.js";
import { pb } from "./pb.js";

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
