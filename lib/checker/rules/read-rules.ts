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
import { describeOp, describeRead, describeWrite, listWithMore, OPS_LIMIT } from "./words.js";
import { forEachStep, isAckedWrite, isRead, type HistoryModel, type Op, type ReadOp } from "./model.js";
import { OwedWrites, ReadFrontier } from "./frontiers.js";
import { covers, formatRanges, missingRanges } from "./vv.js";

export function checkRyw(m: HistoryModel): RuleResult {
  let checked = 0;
  const findings: Finding[] = [];
  for (const [session, list] of m.sessions) {
    const owed = new OwedWrites();
    forEachStep(list, (d) => isAckedWrite(d) && owed.add(d), (op: Op) => {
      if (!isRead(op)) return;
      checked++;
      if (covers(op.witness, owed.vector)) return;
      const missing = owed.missing(op.witness, OPS_LIMIT);
      const words = missing.sample.map((w) => describeWrite(m, w.writeId));
      findings.push({
        session,
        branch: op.branch,
        ops: [...missing.sample.map((w) => w.op), op.op],
        message:
          `session ${session}: ${describeRead(op)} but did not reflect the session's earlier ` +
          `${listWithMore(words, undefined, missing.count)}; Read Your Writes requires every read to reflect the session's earlier writes`,
      });
    });
  }
  return { rule: "RYW", checked, findings };
}

export function checkMr(m: HistoryModel): RuleResult {
  let checked = 0;
  const findings: Finding[] = [];
  for (const [session, list] of m.sessions) {
    // First without naming who saw what (that costs memory per read), then again for the sessions that broke it.
    const seen = new ReadFrontier(false);
    const broken = new Set<number>();
    forEachStep(list, (d) => isRead(d) && seen.add(d), (op, step) => {
      if (!isRead(op)) return;
      checked++;
      if (!covers(op.witness, seen.vector)) broken.add(step);
    });
    if (broken.size === 0) continue;
    const named = new ReadFrontier(true);
    forEachStep(list, (d) => isRead(d) && named.add(d), (op, step) => {
      if (!broken.has(step) || !isRead(op)) return;
      const missing = missingRanges(op.witness, named.vector);
      // Name, per origin, the first earlier read that saw past this read.
      const earlier = new Set<ReadOp>();
      for (const range of missing) {
        const first = named.firstReaderOf(range.origin, range.from);
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
    });
  }
  return { rule: "MR", checked, findings };
}
