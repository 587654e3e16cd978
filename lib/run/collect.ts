// `bank-sim cluster collect`: a customer written in any language records its
// own invoke and complete records (history.jsonl's format); this appends what
// only the branches know. It waits until every branch of the served cluster
// has applied every write any branch issued, checks that they converged, and
// appends each branch's apply records (from Bank.AppliedLog, in the order it
// applied them) and its final state. Then `bank-sim check` judges the file.

import { appendFileSync } from "node:fs";
import { formatWriteId } from "../core/version-vector.js";
import type { ServedCluster } from "../driver/served-cluster.js";
import { toJson } from "../history/vector-json.js";
import { convergenceError, issuedBy } from "./settle.js";

export async function collectHistory(path: string, served: ServedCluster, timeoutMs: number): Promise<{ branches: number; applies: number; error?: string }> {
  const before = await served.awaitApplied(new Map(), timeoutMs);
  const finals = await served.awaitApplied(issuedBy(before), timeoutMs);
  const logs = await served.appliedLogs(timeoutMs);
  const lines: string[] = [];
  let applies = 0;
  for (const [branch, entries] of logs) {
    for (const e of entries) {
      lines.push(JSON.stringify({
        type: "apply", branch, writes: [{ id: formatWriteId(e.write.id), kind: e.write.kind, amountCents: e.write.amountCents }], wallMs: e.wallMs, monoMs: e.monoMs,
      }));
      applies++;
    }
  }
  for (const s of finals) lines.push(JSON.stringify({ type: "final", branch: s.branch, balanceCents: s.balanceCents, applied: toJson(s.applied) }));
  appendFileSync(path, lines.map((l) => l + "\n").join(""));
  const error = convergenceError(finals);
  return { branches: finals.length, applies, ...(error ? { error } : {}) };
}
