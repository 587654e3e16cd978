// The format of history.jsonl: one JSON object per line, enough for an
// independent checker (lib/checker.ts) to judge a run from the file alone.
//
// Write-id sets are version vectors: `{"2": 5}` stands for 2.1 ... 2.5. That is
// exact because every replica applies each origin's writes in sequence order.
// Times: `wallMs` is Date.now(); `monoMs` is performance.timeOrigin +
// performance.now() (sub-millisecond, comparable across threads of one process).

export type VersionVectorJson = Record<string, number>;

export interface MetaRecord {
  type: "meta";
  version: 1;
  source: string;
  branches: number[];
  initialBalanceCents: number;
  guarantees: string[];
  concurrent: boolean;
  wallMs: number;
  monoMs: number;
}

export interface InvokeRecord {
  type: "invoke";
  /** Operation number, unique in the run; the matching "complete" has the same. */
  op: number;
  session: string;
  requestId: string;
  branch: number;
  kind: "deposit" | "withdraw" | "query";
  amountCents: number;
  /** The session's write set and read set as sent. */
  writeSet: VersionVectorJson;
  readSet: VersionVectorJson;
  /** The scenario's own id of the event this operation runs (absent where no scenario event stands behind it). */
  event?: number;
  wallMs: number;
  monoMs: number;
  /** The session's Lamport clock at this send (absent in histories written before clocks were kept). */
  clock?: number;
}

export interface CompleteRecord {
  type: "complete";
  op: number;
  session: string;
  branch: number;
  kind: "deposit" | "withdraw" | "query";
  /**
   * "ok": the branch answered; "fail": definitely not executed (a gate refusal);
   * "info": outcome unknown (a deadline passed after the request left): the
   * checker treats it as possibly applied.
   */
  status: "ok" | "fail" | "info";
  /** For status "ok": the decision ("fail" = a refused withdraw, which changed nothing). */
  result?: "success" | "fail";
  /** Set when the operation created a write. */
  writeId?: string;
  /** Balance returned (queries and withdraws). */
  balanceCents?: number;
  /** The writes the branch had applied when it answered (for writes: including this one). */
  witness?: VersionVectorJson;
  gateWaitMs: number;
  attempts: number;
  error?: string;
  wallMs: number;
  monoMs: number;
  /** The branch's Lamport clock at its receipt of the request (status "ok" only). */
  branchClock?: number;
}

/** One write in an apply record; `clock` as ApplyRecord says. */
export interface AppliedWrite {
  id: string;
  kind: "deposit" | "withdraw";
  amountCents: number;
  /**
   * The branch's Lamport clock at this event: for its own write, the first of
   * its propagation sends (to the other branches in ascending id order, one
   * tick each); for a peer's write, its receipt. Absent when unknown (writes
   * a restarted branch recovered from its log, older histories).
   */
  clock?: number;
}

/** One branch applied these writes, in this order (its own writes included). */
export interface ApplyRecord {
  type: "apply";
  branch: number;
  writes: AppliedWrite[];
  /** The branch restarted from its log just before these writes: its Lamport clock resumed from what the log holds. */
  restart?: boolean;
  wallMs: number;
  monoMs: number;
}

/**
 * Several branches (co-hosted replicas) applied the same writes, in this
 * order, in one delivery: the compact form a run writes instead of one apply
 * record per replica (at 1,000 branches those were nine tenths of the file).
 * `clocks[i][j]` is branch `branches[i]`'s Lamport clock at `writes[j]`.
 * Readers see it as one ApplyRecord per branch (reader.ts expands it).
 */
export interface ApplyGroupRecord {
  type: "apply-group";
  branches: number[];
  writes: Array<Omit<AppliedWrite, "clock">>;
  clocks: number[][];
  wallMs: number;
  monoMs: number;
}

/**
 * A branch took these writes from peers but holds them, waiting for their
 * dependencies (or its origin's earlier writes); their apply records follow.
 * For the report's diagram; the checker does not need them.
 */
export interface BufferRecord {
  type: "buffer";
  branch: number;
  writes: string[];
  wallMs: number;
  monoMs: number;
}

/** A branch's state at the end of the run. */
export interface FinalRecord {
  type: "final";
  branch: number;
  balanceCents: number;
  applied: VersionVectorJson;
}

export type HistoryRecord = MetaRecord | InvokeRecord | CompleteRecord | ApplyRecord | BufferRecord | FinalRecord;

/** A line of history.jsonl as written: a HistoryRecord, or a group of apply records in one line. */
export type HistoryLine = HistoryRecord | ApplyGroupRecord;
