// What the checker's rules report and how the checker grades it: the shared
// vocabulary of lib/checker/checker.ts and lib/checker/rules/. A leaf: types only.

export type Rule = "RYW" | "MR" | "MW" | "WFR" | "convergence" | "exactly-once" | "balance" | "bounds" | "overdraft" | "lamport";
/**
 * "violation": fatal (makes the report not ok).
 * "anomaly": a session guarantee broken while the run had it off (expected, not fatal).
 * "finding": worth showing, not fatal (an overdraft explained by concurrent withdrawals).
 */
export type Severity = "violation" | "anomaly" | "finding";

export interface Violation {
  rule: Rule;
  severity: Severity;
  session?: string;
  branch?: number;
  /** Operation numbers involved, ascending. */
  ops: number[];
  message: string;
}

/** What a rule produced, before the checker grades it. */
export interface Finding {
  session?: string;
  branch?: number;
  ops: number[];
  message: string;
  /** Overrides the default grading (only overdraft uses it). */
  severity?: Severity;
}

export interface RuleResult {
  rule: Rule;
  /** How many items the rule judged (reads, write×branch pairs, balances ... see each rule). */
  checked: number;
  findings: Finding[];
  /** Why the rule judged nothing (a history of a run cut short lacks what it needs). */
  skipped?: string;
  /** What part of the rule was not judged, and why. */
  partial?: string;
}
