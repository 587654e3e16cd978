// How the checker names things in its messages: operations, writes, reads,
// amounts and lists. Messages are for students reading a failed run, so they
// name every operation by kind, number and branch.

import type { HistoryModel, Op, ReadOp } from "./model.js";

/** Cents as a plain number for messages: 40000 → "400", 1050 → "10.5". */
export function money(cents: number): string {
  return String(cents / 100 + 0);
}

/**
 * "query #7 at branch 2", "deposit #5 of 100 at branch 1"; when the history
 * names the scenario's event, that comes first: "withdraw event 115 (op #104) of 40 at branch 2".
 */
export function describeOp(op: Op): string {
  const amount = op.kind === "query" ? "" : ` of ${money(op.amountCents)}`;
  const name = op.event === undefined ? `#${op.op}` : `event ${op.event} (op #${op.op})`;
  return `${op.kind} ${name}${amount} at branch ${op.branch}`;
}

/** "deposit 1.1 (op #5)", "deposit 1.1 (event 3, op #5)", or "write 1.1" when nothing in the history says more. */
export function describeWrite(m: HistoryModel, id: string): string {
  const op = m.acked.get(id);
  if (op !== undefined) return `${op.kind} ${id} (${op.event === undefined ? "" : `event ${op.event}, `}op #${op.op})`;
  const e = m.effects.get(id);
  return e === undefined ? `write ${id}` : `${e.kind} ${id}`;
}

/** How many items a message lists before it says "and N more". */
export const LIST_LIMIT = 5;

/** How many operations a finding names at most (a message still counts them all). */
export const OPS_LIMIT = 20;

/** "a, b, c and 7 more"; `total` counts items that were not even gathered (default: items.length). */
export function listWithMore(items: string[], limit = LIST_LIMIT, total = items.length): string {
  if (total <= limit && items.length <= limit) return items.join(", ");
  const shown = items.slice(0, limit);
  return `${shown.join(", ")} and ${total - shown.length} more`;
}

/** "query #7 at branch 2 returned 0", "withdraw #6 of 400 at branch 2 was refused (balance 0)". */
export function describeRead(r: ReadOp): string {
  const balance = r.balanceCents === undefined ? "" : money(r.balanceCents);
  if (r.kind === "query") return `${describeOp(r)}${balance === "" ? "" : ` returned ${balance}`}`;
  const decision = r.result === "fail" ? "was refused" : "was approved";
  return `${describeOp(r)} ${decision}${balance === "" ? "" : ` (balance ${balance})`}`;
}
