// Version vectors on the wire: two packed uint32 arrays (branches, seqs), the
// cheapest protobuf form to encode. Zero entries are left out.

import type { VersionVector } from "../core/version-vector.js";
import type { WireVector } from "./proto-bytes.js";
import { pb } from "./pb.js";

/** The two arrays, for the direct codec of the customer call. */
export function toWireVector(vv: VersionVector): WireVector {
  const branches: number[] = [];
  const seqs: number[] = [];
  for (const [branch, seq] of vv) {
    if (seq > 0) (branches.push(branch), seqs.push(seq));
  }
  return { branches, seqs };
}

/** A generated VersionVector message, for every other message. */
export function toWire(vv: VersionVector): InstanceType<typeof pb.VersionVector> {
  return new pb.VersionVector(toWireVector(vv));
}

/** Entries beyond the shorter of the two arrays are ignored (a malformed vector). */
export function fromWire(msg: WireVector | undefined): VersionVector {
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
