// The report model's shapes (see model.ts), on their own so that the browser
// script (client/), compiled without Node, can share them. Types only.

import type { Rule, Severity } from "../checker/findings.js";

export type OpKind = "deposit" | "withdraw" | "query";
/** "ok" answered; "fail" refused (definitely not executed); "info" outcome unknown; "open" no completion recorded. */
export type OpStatus = "ok" | "fail" | "info" | "open";

export interface DiagramOp {
  op: number;
  session: string;
  branch: number;
  kind: OpKind;
  amountCents: number;
  /** Left the session. */
  startMs: number;
  /** Answer back at the session (for "open": the end of the run). */
  endMs: number;
  /** Held at the gate: [from, to] on the branch's lane (the hold is drawn there). */
  gate: [number, number];
  status: OpStatus;
  result?: "success" | "fail";
  writeId?: string;
  balanceCents?: number;
  attempts: number;
  error?: string;
  /** Lamport clocks: the session's at its send, the branch's at its receipt (when the history has them). */
  clock?: number;
  branchClock?: number;
  /** Indexes into ReportModel.findings that name this operation. */
  findings: number[];
}

export interface DiagramWrite {
  id: string;
  origin: number;
  kind: "deposit" | "withdraw";
  amountCents: number;
  /** The operation that created it (absent if its invocation is not in the history). */
  op?: number;
  acceptedMs: number;
  /** [branch, ms] for every replica that applied it (the origin included). */
  applied: Array<[number, number]>;
  /** [branch, ms] where a replica took it but buffered it, waiting for its dependencies. */
  buffered: Array<[number, number]>;
}

export interface DiagramFinding {
  rule: Rule;
  severity: Severity;
  /** The session guarantee the rule judges, if it is one. */
  guarantee?: "mw" | "ryw" | "mr" | "wfr";
  message: string;
  ops: number[];
  session?: string;
  branch?: number;
}

/** A histogram: `edges[i]..edges[i+1]` holds `counts[i]` samples. */
export interface Histogram {
  edges: number[];
  counts: number[];
  samples: number;
  maxMs: number;
}

export interface ReportModel {
  version: 1;
  source: string;
  guarantees: string[];
  concurrent: boolean;
  branches: number[];
  sessions: string[];
  /** From the run's start (the meta record) to t = 0. */
  startupMs: number;
  /** The last time anything happened. */
  endMs: number;
  ops: DiagramOp[];
  writes: DiagramWrite[];
  findings: DiagramFinding[];
  verdict: "ok" | "failed" | "incomplete";
  counts: { violations: number; anomalies: number; findings: number };
  incomplete?: string;
  plots: {
    latency: Histogram;
    gateWait: Histogram;
    /** From a write's acceptance to its application at the last replica. */
    lag: Histogram;
    /** Operations completed per bin: `[binStartMs[], count[]]`, and the bin's width. */
    throughput: { binMs: number; starts: number[]; counts: number[] };
  };
}

