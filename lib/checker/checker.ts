// The history checker: judges a run from history.jsonl alone, independently of
// the branches that produced it. Pure: records in, a report out. Records are
// taken one at a time (HistoryChecker; check-file.ts streams a file into it),
// so a history of millions of operations is never held whole.
//
// Session guarantees (RYW, MR, MW, WFR) are checked on every run, whether the
// run had them on or not. A violation of a guarantee that was on is fatal; one
// of a guarantee that was off is an "anomaly" — what the demo exists to show.
// Convergence, exactly-once, balance and bounds hold in every correct run and
// are always fatal. Overdraft is a "finding" when concurrent withdrawals, each
// approved at a different branch without seeing the other, explain it (no
// coordination-free design prevents that); a negative balance that no such
// pair explains means a branch approved a withdraw it could not cover, and is
// fatal. "info" operations (outcome unknown) count as possibly applied.
// The report counts the three apart (violations, anomalies, findings).
//
// A history of a run cut short (no final state of some branch, or invocations
// without completion) is "incomplete": rules that need the final states are
// skipped or judged in part, and say so; the rest judge what it holds.
//
// Lamport's rules (lamport.ts) are judged beside them on the clocks the
// history carries: every receipt later than its send, every process's clock
// strictly increasing, a request's receipt before its propagations; always fatal.
//
// The rules themselves live in lib/checker/rules/, one family per file.

import { recordsOf } from "../history/apply-group.js";
import type { HistoryLine, HistoryRecord } from "../history/types.js";
import type { Rule, RuleResult, Severity, Violation } from "./findings.js";
import { GUARANTEES, ModelBuilder, type Guarantee, type HistoryModel } from "./rules/model.js";
import { checkMr, checkRyw } from "./rules/read-rules.js";
import { checkMw, checkWfr } from "./rules/write-rules.js";
import { checkConvergence, checkExactlyOnce } from "./rules/replica-rules.js";
import { checkBalance, checkBounds } from "./rules/balance-rules.js";
import { checkOverdraft } from "./rules/overdraft.js";
import { LamportCheck } from "./rules/lamport.js";

export { HistoryError, ModelBuilder, type Guarantee } from "./rules/model.js";

export type { Finding, Rule, RuleResult, Severity, Violation } from "./findings.js";

export interface RuleSummary {
  rule: Rule;
  /** "on"/"off" for the session guarantees, as the run had them; "always" for the rest. */
  mode: "on" | "off" | "always";
  /** "all", or less when the history of a run cut short lacks what the rule needs (see note). */
  judged: "all" | "partly" | "skipped";
  checked: number;
  /** Fatal: a guarantee that was on, or an invariant that always holds, broken. */
  violations: number;
  /** A guarantee that was off, broken: what turning it off shows, not a failure. */
  anomalies: number;
  /** Worth showing, not a failure (an overdraft that concurrent withdrawals explain). */
  findings: number;
  /** What was not judged, and why. */
  note?: string;
}

export interface Counts {
  violations: number;
  anomalies: number;
  findings: number;
}

/** What a history of a run cut short lacks. */
export interface Incomplete {
  /** One sentence for people: "the run was cut short: no final state of branches 1, 2; ...". */
  reason: string;
  branchesWithoutFinal: number[];
  opsWithoutCompletion: number;
}

export interface CheckReport {
  /** No violations (anomalies and findings are not failures). */
  ok: boolean;
  /** "ok", "failed" (violations), or "incomplete" (no violations in what the history of a run cut short holds). */
  verdict: "ok" | "failed" | "incomplete";
  /** Set when the run was cut short; rules that need what is missing are skipped or judged in part. */
  incomplete?: Incomplete;
  source: string;
  guarantees: Guarantee[];
  concurrent: boolean;
  stats: { operations: number; sessions: number; writes: number; branches: number };
  counts: Counts;
  /** Every entry, of every severity (violations, anomalies, findings), in rule order; see `severity`. */
  violations: Violation[];
  summary: RuleSummary[];
}

const GUARANTEE_OF: Partial<Record<Rule, Guarantee>> = { RYW: "ryw", MR: "mr", MW: "mw", WFR: "wfr" };

/**
 * Checks a history held in memory (the simulator's, a test's), its lines as
 * written: an apply-group line counts as the apply records it stands for. A
 * file is streamed through HistoryChecker instead.
 */
export function checkHistory(lines: Iterable<HistoryLine>): CheckReport {
  const c = new HistoryChecker();
  for (const line of lines) for (const r of recordsOf(line)) c.add(r);
  return c.report();
}

/** Takes the records of a history one at a time (with their line numbers, for errors), then judges it. */
export class HistoryChecker {
  private readonly builder = new ModelBuilder();
  /** Lamport's rules take the records as they come (they need nothing of the model). */
  private readonly lamport = new LamportCheck();

  add(record: HistoryRecord, line?: number): void {
    this.builder.add(record, line);
    this.lamport.add(record);
  }

  report(): CheckReport {
    return judge(this.builder.finish(), this.lamport.result());
  }
}

function judge(m: HistoryModel, lamport: RuleResult): CheckReport {
  const results = [...runRules(m), lamport];
  const violations: Violation[] = [];
  const summary: RuleSummary[] = [];
  const counts: Counts = { violations: 0, anomalies: 0, findings: 0 };
  for (const r of results) {
    const g = GUARANTEE_OF[r.rule];
    const mode = g === undefined ? "always" : m.guarantees.has(g) ? "on" : "off";
    const per: Counts = { violations: 0, anomalies: 0, findings: 0 };
    for (const f of r.findings) {
      const severity: Severity = f.severity ?? (mode === "off" ? "anomaly" : "violation");
      const v: Violation = { rule: r.rule, severity, ops: [...new Set(f.ops)].sort((a, b) => a - b), message: f.message };
      if (f.session !== undefined) v.session = f.session;
      if (f.branch !== undefined) v.branch = f.branch;
      violations.push(v);
      per[COUNT_OF[severity]]++;
    }
    counts.violations += per.violations;
    counts.anomalies += per.anomalies;
    counts.findings += per.findings;
    const s: RuleSummary = {
      rule: r.rule,
      mode,
      judged: r.skipped !== undefined ? "skipped" : r.partial !== undefined ? "partly" : "all",
      checked: r.checked,
      ...per,
    };
    const note = r.skipped ?? r.partial;
    if (note !== undefined) s.note = note;
    summary.push(s);
  }
  const report: CheckReport = {
    ok: counts.violations === 0,
    verdict: counts.violations > 0 ? "failed" : m.incomplete !== undefined ? "incomplete" : "ok",
    source: m.meta.source,
    guarantees: GUARANTEES.filter((g) => m.guarantees.has(g)),
    concurrent: m.meta.concurrent,
    stats: {
      operations: m.ops.length,
      sessions: m.sessions.size,
      // Every acknowledged id has an effect, so this counts acknowledged and applied ids alike.
      writes: m.effects.size,
      branches: m.branches.length,
    },
    counts,
    violations,
    summary,
  };
  if (m.incomplete !== undefined) report.incomplete = { reason: reasonOf(m.incomplete), ...m.incomplete };
  return report;
}

const COUNT_OF: Record<Severity, keyof Counts> = { violation: "violations", anomaly: "anomalies", finding: "findings" };

function reasonOf(i: { branchesWithoutFinal: number[]; opsWithoutCompletion: number }): string {
  const parts: string[] = [];
  const b = i.branchesWithoutFinal;
  if (b.length > 0) {
    const list = b.length > 10 ? `${b.slice(0, 10).join(", ")} and ${b.length - 10} more` : b.join(", ");
    parts.push(`no final state of branch${b.length === 1 ? "" : "es"} ${list}`);
  }
  const n = i.opsWithoutCompletion;
  if (n > 0) parts.push(`${n} operation${n === 1 ? "" : "s"} invoked without completion`);
  return `the run was cut short: ${parts.join("; ")}`;
}

function runRules(m: HistoryModel): RuleResult[] {
  return [
    checkRyw(m),
    checkMr(m),
    checkMw(m),
    checkWfr(m),
    checkConvergence(m),
    checkExactlyOnce(m),
    checkBalance(m),
    checkBounds(m),
    checkOverdraft(m),
  ];
}
