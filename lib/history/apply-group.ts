// The apply-group record: co-hosted replicas that applied the same writes in
// the same order in one delivery, written as one line (branches, the writes
// once, each branch's Lamport clocks) instead of one apply record each. At
// 1,000 branches the per-replica records were nine tenths of history.jsonl
// and most of what a run's main thread wrote. Readers never see the group:
// the reader hands on one ApplyRecord per branch, as if they had been written.

import type { ApplyGroupRecord, ApplyRecord, HistoryLine, HistoryRecord } from "./types.js";

/** What the schema cannot say about a group: one clock list per branch, one clock per write. Undefined when it holds. */
export function groupShapeProblem(g: ApplyGroupRecord): string | undefined {
  // A restart mark is an apply record of its own: a group that said it would lose it when read.
  if ("restart" in g) return `apply-group.restart: expected nothing (a restart mark is an apply record of its own), found ${JSON.stringify((g as { restart: unknown }).restart)}`;
  if (g.clocks.length !== g.branches.length) {
    return `apply-group.clocks: expected one array of clocks per branch (${g.branches.length}), found ${g.clocks.length}`;
  }
  const bad = g.clocks.findIndex((c) => c.length !== g.writes.length);
  if (bad >= 0) return `apply-group.clocks[${bad}]: expected one clock per write (${g.writes.length}), found ${g.clocks[bad]!.length}`;
  return undefined;
}

/**
 * The group as the apply records it stands for, in the order of its
 * branches, one at a time: a line of a few clocks per replica stands for a
 * record per replica, so a reader builds each only as it is taken.
 */
export function* expandGroup(g: ApplyGroupRecord): Generator<ApplyRecord> {
  for (let i = 0; i < g.branches.length; i++) {
    const clocks = g.clocks[i]!;
    const writes = g.writes.map(({ id, kind, amountCents }, j) => ({ id, kind, amountCents, clock: clocks[j]! }));
    yield { type: "apply", branch: g.branches[i]!, writes, wallMs: g.wallMs, monoMs: g.monoMs };
  }
}

/** A line's records: itself, or the apply records a group stands for. */
export function recordsOf(line: HistoryLine): Iterable<HistoryRecord> {
  return line.type === "apply-group" ? expandGroup(line) : [line];
}
