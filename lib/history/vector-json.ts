// Version vectors as history.jsonl writes them: `{"2": 5}` stands for write
// ids 2.1 ... 2.5, keys in ascending branch order so that equal vectors print
// alike.

import type { VersionVector } from "../core/version-vector.js";
import type { VersionVectorJson } from "./types.js";

/** Keys below this are array indices, which every object lists in ascending numeric order (ECMAScript's OrdinaryOwnPropertyKeys). */
const ARRAY_INDEX_LIMIT = 2 ** 32 - 1;

export function toJson(vv: VersionVector): VersionVectorJson {
  const out: VersionVectorJson = {};
  let indices = true;
  for (const [branch, seq] of vv) {
    out[branch] = seq;
    if (!(Number.isInteger(branch) && branch >= 0 && branch < ARRAY_INDEX_LIMIT)) indices = false;
  }
  // Branch numbers are array indices, so the object already lists them in
  // order, whatever the vector's: no sort (at 1,000 branches, sorting each
  // session's vectors took 7% of a run's main thread).
  if (indices) return out;
  const sorted: VersionVectorJson = {};
  for (const [branch, seq] of [...vv].sort((a, b) => a[0] - b[0])) sorted[String(branch)] = seq;
  return sorted;
}

/**
 * toJson for a list of vectors, each distinct vector object converted once:
 * the final states of a settled run share one (at 1,000 branches, a million
 * entries converted twice otherwise).
 */
export function toJsonEach(): (vv: VersionVector) => VersionVectorJson {
  const seen = new Map<VersionVector, VersionVectorJson>();
  return (vv) => {
    let json = seen.get(vv);
    if (json === undefined) seen.set(vv, (json = toJson(vv)));
    return json;
  };
}

export function fromJson(json: VersionVectorJson): VersionVector {
  return new Map(Object.entries(json).map(([b, s]) => [Number(b), s]));
}
