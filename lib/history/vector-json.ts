// Version vectors as history.jsonl writes them: `{"2": 5}` stands for write
// ids 2.1 ... 2.5, keys in ascending branch order so that equal vectors print
// alike.

import type { VersionVector } from "../core/version-vector.js";
import type { VersionVectorJson } from "./types.js";

export function toJson(vv: VersionVector): VersionVectorJson {
  const out: VersionVectorJson = {};
  for (const [branch, seq] of [...vv].sort((a, b) => a[0] - b[0])) out[String(branch)] = seq;
  return out;
}

export function fromJson(json: VersionVectorJson): VersionVector {
  return new Map(Object.entries(json).map(([b, s]) => [Number(b), s]));
}
