// A version vector as it crosses a thread's port: [origin, seq, origin, seq,
// ...] in one Float64Array, which a port copies as one block of bytes, where
// an array of [origin, seq] pairs is cloned entry by entry. At 1,000 branches
// the settling of a run sends every branch the cluster's whole vector and gets
// each one's applied vector back: a million pairs each way, about 5% of the run's
// CPU. Sequence numbers and branch ids are safe integers, which a double holds
// exactly.

import type { VersionVector } from "../core/version-vector.js";
import type { VectorFrame } from "./worker-protocol.js";

export function packVector(v: ReadonlyMap<number, number>): VectorFrame {
  const frame = new Float64Array(2 * v.size);
  let i = 0;
  for (const [origin, seq] of v) {
    frame[i++] = origin;
    frame[i++] = seq;
  }
  return frame;
}

export function unpackVector(frame: VectorFrame): VersionVector {
  const v: VersionVector = new Map();
  for (let i = 0; i + 1 < frame.length; i += 2) v.set(frame[i]!, frame[i + 1]!);
  return v;
}

/** Whether `v` holds exactly the entries of `frame` (in any order). */
export function sameVector(v: ReadonlyMap<number, number>, frame: VectorFrame): boolean {
  if (2 * v.size !== frame.length) return false;
  for (let i = 0; i + 1 < frame.length; i += 2) if (v.get(frame[i]!) !== frame[i + 1]) return false;
  return true;
}
