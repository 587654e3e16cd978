// Version vectors: the compact, exact form of a write-id set.
//
// A vector maps an origin branch to the highest sequence number n it covers and
// stands for the write ids origin.1 ... origin.n. That is exact only because
// every replica applies each origin's writes in sequence order (the ledger
// buffers gaps), so "the writes applied here" is always such a prefix per
// origin, and "set S is applied here" reduces to a per-origin comparison.


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

export function equal(a: VersionVector, b: VersionVector): boolean {
  return a === b || (covers(a, b) && covers(b, a));
}
