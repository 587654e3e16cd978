// "replica 3 applied 1.1, 2.1 (balance=15000c)": the log line a replica gets
// for writes from peers, in the order it applied them. The branch reports the
// writes and its balance after them (BranchHooks.applied); whoever writes its
// log builds the line. A worker's replicas that applied one delivery share
// its write ids in one group, so the main thread builds each list once and
// the worker sends no line per replica (at 1,000 branches, 999 strings to
// build and copy across threads for every write).

import { LOG_WRITE_IDS_MAX } from "./limits.js";

/** "1.1, 2.1", or the first LOG_WRITE_IDS_MAX ids "and N more". */
export function appliedIds(ids: readonly string[]): string {
  const shown = ids.length > LOG_WRITE_IDS_MAX ? ids.slice(0, LOG_WRITE_IDS_MAX) : ids;
  const more = ids.length > LOG_WRITE_IDS_MAX ? ` and ${ids.length - LOG_WRITE_IDS_MAX} more` : "";
  return `${shown.join(", ")}${more}`;
}

/** The line itself, from `appliedIds`' list. */
export function appliedLine(replica: number, ids: string, balanceCents: number): string {
  return `replica ${replica} applied ${ids} (balance=${balanceCents}c)`;
}
