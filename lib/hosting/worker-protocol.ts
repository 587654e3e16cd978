// Messages between the main thread and the branches hosted in a worker thread
// (to a branch over the control port handed to its task; from every branch of
// a thread over the one report port the thread keeps, so that they arrive in
// the order they were sent; every message has a `type` and names its
// branches), and what a worker is started with: the host's configuration once per
// worker, the branch's own part in each task. A leaf: it imports only types.

import type { MessagePort } from "node:worker_threads";
import type { FaultPlan } from "../core/fault-plan.js";

/**
 * What every host (worker thread) of a cluster is configured with, the same
 * for every branch on it. It reaches each worker once, as piscina's
 * `workerData`, and a worker that piscina starts again after a crash gets it
 * again; only what differs per branch travels in a BranchTask.
 */
export interface HostConfig {
  /** Every branch of the cluster. */
  branchIds: number[];
  initialBalanceCents: number;
  gateTimeoutMs: number;
  /** Where branches and the host's replication server listen. */
  bindHost: string;
  batchMax: number;
  inFlightMax: number;
  /** The --delay spec (see delay.ts). */
  delaySpec: string;
  /** Seeds the delays and the injected faults. */
  delaySeed: number;
  /** How long a replication batch may go unacknowledged before it is resent. */
  ackTimeoutMs: number;
  /** Where branches keep their logs; "" keeps everything in memory (no recovery). */
  storeDir: string;
  /** Faults to inject on this host's replication traffic (times from the "epoch" message). */
  faults: FaultPlan;
  /** The cluster's secret: every call to its servers carries it, and they refuse any call that does not (wire/auth.ts). */
  secret: string;
  /** The host's id, when a served cluster's file gives it (otherwise the worker's thread id); its branches then keep an applied log (Bank.AppliedLog). */
  hostId?: number;
  /** PEM text of the cluster CA and this host's certificate and key: mutual TLS on every port and link (wire/tls.ts). Absent: plaintext. */
  tls?: { ca: string; cert: string; key: string };
}

/** The piscina task that hosts one branch until told to stop. */
export interface BranchTask {
  branchId: number;
  /** 0 = any free port. */
  port: number;
  /** Other branches' customer addresses, for catching up after a restart. */
  peers: Array<[number, string]>;
  /** True when the branch restarts after a crash: it recovers, reports what it recovered and catches up. */
  restart: boolean;
  /** If this task starts the worker's host: the port to bind (0: any; a crashed worker's port when replacing it). */
  hostPort: number;
  /** Bind `port` even after a restart (a served host's branches keep the ports its cluster file gives). */
  fixedPort?: boolean;
  control: MessagePort;
  /**
   * The port for everything a worker's branches tell the main thread (ToMain),
   * in the order they tell it: the first task on a worker thread brings the one
   * the thread keeps for its life, for every branch on it; a later task's is
   * closed at once. `control` carries the main thread's messages to the branch,
   * and its close says the branch is gone.
   */
  reports: MessagePort;
}

/** One host (a worker thread) as the others reach it. */
export interface HostInfo {
  hostId: number;
  address: string;
  branchIds: number[];
}

export interface WireWrite {
  id: string;
  kind: "deposit" | "withdraw";
  amountCents: number;
  acceptedAtMs: number;
  /** The branch's Lamport clock at this write's event there (BranchHooks.applied); absent for writes recovered from a log. */
  clock?: number;
}

/**
 * Log lines in the order logged, line i by branch branches[i] at wallMs[i]:
 * flat arrays, where an array per line was 700,000 small arrays for a
 * port to clone at 1,000 branches (about 4% of the run's CPU).
 */
export interface LogLines {
  branches: number[];
  wallMs: number[];
  /**
   * The line; or, for a replica's "applied" line, the index among the same
   * report's groups of the group that names its writes, the line built by
   * the reader (`logEntries`, applied-line.ts) with the balance in
   * balances[i]: the host sends the write ids once, not a line per replica.
   */
  lines: Array<string | number>;
  /** For an applied line, the replica's balance after its writes; 0 for any other. */
  balances: number[];
}

/** Writes from peers a branch took but holds until their dependencies arrive. */
export interface BufferedAt {
  branch: number;
  ids: string[];
  wallMs: number;
  monoMs: number;
}

/**
 * Co-hosted branches that applied the same writes in the same order, stamped
 * with the time the first of them did: branch branches[i]'s Lamport clock at
 * writes[j] is clocks[i * writes.length + j] (0: not known), one flat array
 * where an array per replica was hundreds of small arrays per write for the
 * port to clone. See applied-groups.ts.
 */
export interface AppliedGroup {
  branches: number[];
  writes: WireWrite[];
  clocks: number[];
  wallMs: number;
  monoMs: number;
}

export type ToMain =
  | { type: "ready"; branchId: number; address: string; hostId: number; hostAddress: string }
  /**
   * What a host's branches logged, held and applied since its last report (on
   * the host's report port): log lines in the order logged; buffers before groups.
   */
  | { type: "reports"; logs: LogLines; buffered: BufferedAt[]; groups: AppliedGroup[] }
  | { type: "topology-set"; branchId: number }
  /** The branch stopped serving for good: its log could not store a decision (the reason names the file and the cause). */
  | { type: "failed"; branchId: number; reason: string }
  | { type: "stopped"; branchId: number; stats: LinkStats }
  /** The branch died as told ("crash"): nothing more of this incarnation follows. */
  | { type: "crashed"; branchId: number }
  /** A restarted branch: the writes its log gave back (some may never have been reported as applied); on the host's report port, before anything of the new incarnation. */
  | { type: "recovered"; branchId: number; applied: WireWrite[]; outcomes: number; cutBytes: number; cutReason?: string }
  /** Answer to "await": the branch's state once it applied the writes asked for, or why not; on the host's report port, after every report of what it applied. */
  | { type: "state"; branchId: number; requestId: number; state?: StateJson; error?: string };

export type ToWorker =
  | { type: "topology"; hosts: HostInfo[] }
  /** Reply with "state" once every write in `need` (vector-frame.ts) is applied here. */
  | { type: "await"; requestId: number; need: VectorFrame; timeoutMs: number }
  | { type: "stop" }
  /** Die at once, as a crash would: nothing more is written, flushed or answered. */
  | { type: "crash" }
  /** Terminate the whole worker thread at once, with every branch on it. */
  | { type: "crash-worker" }
  /** Customers started at this wall-clock time: fault schedules count from it. */
  | { type: "epoch"; wallMs: number };

/** A version vector as it crosses a port: [origin, seq, origin, seq, ...] (vector-frame.ts). */
export type VectorFrame = Float64Array;

/** A branch's state as it crosses the port. */
export interface StateJson {
  branch: number;
  balanceCents: number;
  /** Absent when it is exactly the `need` the branch was asked to await (the common answer once a run has settled). */
  applied?: VectorFrame;
  issued: number;
  pending: number;
}

export interface LinkStats {
  links: number;
  messages: number;
  writes: number;
  reconnects: number;
  backlog: number;
  /** Batches sent again because their acknowledgement did not come in time. */
  resent: number;
  /** Injected faults on incoming batches (--faults). */
  lost: number;
  duplicated: number;
  reordered: number;
  /** Deliveries held back by a partition until it healed. */
  partitioned: number;
}
