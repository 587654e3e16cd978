// What a session has done so far, kept so that the rules' questions cost
// O(origins) or a binary search instead of a scan of the session's history:
//   OwedWrites:   the session's acknowledged writes (RYW and MW ask which of
//                 them a witness lacks);
//   ReadFrontier: the union of the witnesses of its reads (MR and WFR ask
//                 what it covers, and which read first saw a write).
// Both rely on what makes version vectors exact: each origin's writes are
// applied in seq order, so per origin a set is a count.

import type { AckedWrite, ReadOp } from "./model.js";
import { parseWriteId, type Vector } from "./vv.js";

export class OwedWrites {
  /** Max seq per origin over the writes: covering it covers every one of them. Updated in place. */
  readonly vector: Vector = {};
  private readonly byOrigin = new Map<string, Array<{ seq: number; n: number; w: AckedWrite }>>();
  private added = 0;

  add(w: AckedWrite): void {
    const id = parseWriteId(w.writeId);
    if (id === undefined) return;
    let list = this.byOrigin.get(id.origin);
    if (list === undefined) this.byOrigin.set(id.origin, (list = []));
    const entry = { seq: id.seq, n: this.added++, w };
    // A session's writes at one origin get ascending seqs; keep the list sorted if a buggy run did not.
    let at = list.length;
    while (at > 0 && (list[at - 1]?.seq ?? 0) > id.seq) at--;
    list.splice(at, 0, entry);
    if ((this.vector[id.origin] ?? 0) < id.seq) this.vector[id.origin] = id.seq;
  }

  /** The writes `witness` lacks: how many, and the first `limit` of them in the order they were added. */
  missing(witness: Vector, limit: number): { count: number; sample: AckedWrite[] } {
    let count = 0;
    const sample: Array<{ n: number; w: AckedWrite }> = [];
    for (const [origin, list] of this.byOrigin) {
      const have = witness[origin] ?? 0;
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((list[mid]?.seq ?? 0) <= have) lo = mid + 1;
        else hi = mid;
      }
      count += list.length - lo;
      for (let k = lo; k < list.length && k < lo + limit; k++) {
        const e = list[k];
        if (e !== undefined) sample.push(e);
      }
    }
    sample.sort((a, b) => a.n - b.n);
    return { count, sample: sample.slice(0, limit).map((e) => e.w) };
  }
}

export class ReadFrontier {
  /** The union of the witnesses added. Updated in place: copy it to keep a moment's value. */
  readonly vector: Vector = {};
  /** Per origin, each read that raised the union, with the seq it raised it to (ascending). */
  private readonly steps = new Map<string, Array<{ seq: number; read: ReadOp }>>();
  /** Grows whenever the union does: two equal versions mean the same union. */
  version = 0;

  /** `track`: remember which read raised the union (for firstReaderOf), which costs memory per read. */
  constructor(private readonly track = true) {}

  add(r: ReadOp): void {
    for (const origin in r.witness) {
      const n = r.witness[origin] ?? 0;
      if (n <= (this.vector[origin] ?? 0)) continue;
      this.vector[origin] = n;
      this.version++;
      if (!this.track) continue;
      let list = this.steps.get(origin);
      if (list === undefined) this.steps.set(origin, (list = []));
      list.push({ seq: n, read: r });
    }
  }

  /** The first read added whose witness holds origin.seq (undefined when not tracking). */
  firstReaderOf(origin: string, seq: number): ReadOp | undefined {
    const list = this.steps.get(origin);
    if (list === undefined) return undefined;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid]?.seq ?? 0) < seq) lo = mid + 1;
      else hi = mid;
    }
    return list[lo]?.read;
  }
}
