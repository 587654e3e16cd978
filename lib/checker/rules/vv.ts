// Write ids and version vectors, as the checker reads them from history.jsonl.
//
// A write id is `<origin>.<seq>`; a version vector `{"2": 5}` stands for the
// set {2.1 ... 2.5}. That reading is exact only because every replica applies
// each origin's writes in sequence order, so set operations on write-id sets
// become per-origin max/compare here. Pure functions, no I/O.

import type { VersionVectorJson } from "../../history/types.js";

export type Vector = VersionVectorJson;

export interface WriteId {
  origin: string;
  seq: number;
}

/** A run of ids from one origin, `origin.from .. origin.to` inclusive. */
export interface IdRange {
  origin: string;
  from: number;
  to: number;
}

export function parseWriteId(id: string): WriteId | undefined {
  const m = /^([^.\s]+)\.([1-9][0-9]*)$/.exec(id);
  if (m === null || m[1] === undefined || m[2] === undefined) return undefined;
  return { origin: m[1], seq: Number(m[2]) };
}

/** Does the set `v` hold the write `id`? */
export function contains(v: Vector, id: string): boolean {
  const w = parseWriteId(id);
  return w !== undefined && (v[w.origin] ?? 0) >= w.seq;
}

/** a ⊇ b */
export function covers(a: Vector, b: Vector): boolean {
  // for-in, not Object.entries: called for every read, and entries builds an array per origin.
  for (const origin in b) {
    if ((a[origin] ?? 0) < (b[origin] ?? 0)) return false;
  }
  return true;
}

export function sameVector(a: Vector, b: Vector): boolean {
  return covers(a, b) && covers(b, a);
}

function byOrigin(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The ids in `want` that `have` lacks, as ranges in origin order. */
export function missingRanges(have: Vector, want: Vector): IdRange[] {
  const out: IdRange[] = [];
  for (const origin of Object.keys(want).sort(byOrigin)) {
    const hi = want[origin] ?? 0;
    const lo = (have[origin] ?? 0) + 1;
    if (hi >= lo) out.push({ origin, from: lo, to: hi });
  }
  return out;
}

/** Every id in the ranges, capped at `limit` ids (the rest are counted, not listed). */
export function idsIn(ranges: IdRange[], limit = Infinity): string[] {
  const out: string[] = [];
  for (const r of ranges) {
    for (let s = r.from; s <= r.to && out.length < limit; s++) out.push(`${r.origin}.${s}`);
  }
  return out;
}

/** "1.3", "1.3..1.5, 2.1" or "nothing". */
export function formatRanges(ranges: IdRange[]): string {
  if (ranges.length === 0) return "nothing";
  return ranges
    .map((r) => (r.from === r.to ? `${r.origin}.${r.from}` : `${r.origin}.${r.from}..${r.origin}.${r.to}`))
    .join(", ");
}

/** A whole vector in words: "1.1..1.2, 2.1" or "nothing". */
export function describeVector(v: Vector): string {
  return formatRanges(missingRanges({}, v));
}
