// Read Your Writes and Monotonic Reads, judged from each read's witness (the
// writes the branch had applied when it answered).
//
// A read is any operation answered "ok" that read the balance: a query, or a
// withdraw (approved or refused: either way the branch decided on the balance
// it had). "Earlier" means completed before the read was invoked; a session
// runs one operation at a time, so that is session order.
//
// RYW: the read's witness holds every earlier write of the session that was
//      acknowledged with a write id (an "info" write is not an obligation: the
//      session never learned its id).
// MR:  the read's witness holds the witness of every earlier read of the session.

import type { Finding, RuleResult } from "../findings.js";
import { describeOp, describeRead, describeWrite, listWithMore } from "./words.js";
import {
  isAckedWrite,
  isRead,
  sessionSteps,
  type AckedWrite,
  type HistoryModel,
  type ReadOp,
} from "./model.js";
import { contains, covers, formatRanges, join, missingRanges, parseWriteId, type Vector } from "./vv.js";

export function checkRyw(m: HistoryModel): RuleResult {
  let checked = 0;
  const findings: Finding[] = [];
  for (const [session, list] of m.sessions) {
    const writes: AckedWrite[] = [];
    // Max seq per origin over the session's writes: witnesses are down-closed
    // per origin, so covering these maxima covers every one of the writes.
    let owed: Vector = {};
    for (const { op, done } of sessionSteps(list)) {
      for (const d of done) {
        if (!isAckedWrite(d)) continue;
        writes.push(d);
        const w = parseWriteId(d.writeId);
        if (w !== undefined) owed = join(owed, { [w.origin]: w.seq });
      }
      if (!isRead(op)) continue;
      checked++;
      if (covers(op.witness, owed)) continue;
      const missing = writes.filter((w) => !contains(op.witness, w.writeId));
      const words = missing.map((w) => describeWrite(m, w.writeId));
      findings.push({
        session,
        branch: op.branch,
        ops: [...missing.map((w) => w.op), op.op],
        message:
          `session ${session}: ${describeRead(op)} but did not reflect the session's earlier ` +
          `${listWithMore(words)}; Read Your Writes requires every read to reflect the session's earlier writes`,
      });
    }
  }
  return { rule: "RYW", checked, findings };
}

export function checkMr(m: HistoryModel): RuleResult {
  let checked = 0;
  const findings: Finding[] = [];
  for (const [session, list] of m.sessions) {
    const reads: ReadOp[] = [];
    let seen: Vector = {};
    for (const { op, done } of sessionSteps(list)) {
      for (const d of done) {
        if (!isRead(d)) continue;
        reads.push(d);
        seen = join(seen, d.witness);
      }
      if (!isRead(op)) continue;
      checked++;
      if (covers(op.witness, seen)) continue;
      const missing = missingRanges(op.witness, seen);
      // Name, per origin, the first earlier read that saw past this read.
      const earlier = new Set<ReadOp>();
      for (const range of missing) {
        const first = reads.find((r) => (r.witness[range.origin] ?? 0) >= range.from);
        if (first !== undefined) earlier.add(first);
      }
      const whoSaw = [...earlier].map((r) => describeOp(r));
      findings.push({
        session,
        branch: op.branch,
        ops: [...[...earlier].map((r) => r.op), op.op],
        message:
          `session ${session}: ${describeRead(op)} but did not reflect ${formatRanges(missing)}, ` +
          `which the session's earlier ${listWithMore(whoSaw)} had already seen; ` +
          `Monotonic Reads requires each read to reflect everything the session's earlier reads reflected`,
      });
    }
  }
  return { rule: "MR", checked, findings };
}
