// The history checker: judges a run from history.jsonl alone, independently of
// the branches that produced it. Pure: records in, a report out.
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
//
// The rules themselves live in lib/checker/rules/, one family per file.

import type { HistoryRecord } from "../history/types.js";
import type { Rule, RuleResult, Severity, Violation } from "./findings.js";
import { buildModel, GUARANTEES, type Guarantee, type HistoryModel } from "./rules/model.js";
import { checkMr, checkRyw } from "./rules/read-rules.js";
import { checkMw, checkWfr } from "./rules/write-rules.js";
import { checkConvergence, checkExactlyOnce } from "./rules/replica-rules.js";
import { checkBalance, checkBounds } from "./rules/balance-rules.js";
import { checkOverdraft } from "./rules/overdraft.js";

export { HistoryError, type Guarantee } from "./rules/model.js";

export type { Finding, Rule, RuleResult, Severity, Violation } from "./findings.js";

export interface RuleSummary {
  rule: Rule;
  checked: number;
  violations: number;
  /** "on"/"off" for the session guarantees, as the run had them; "always" for the rest. */
  mode: "on" | "off" | "always";
}

export interface CheckReport {
  ok: boolean;
  source: string;
  guarantees: Guarantee[];
  concurrent: boolean;
  stats: { operations: number; sessions: number; writes: number; branches: number };
  violations: Violation[];
  summary: RuleSummary[];
}

const GUARANTEE_OF: Partial<Record<Rule, Guarantee>> = { RYW: "ryw", MR: "mr", MW: "mw", WFR: "wfr" };

export function checkHistory(records: HistoryRecord[]): CheckReport {
  const m = buildModel(records);
  const results = runRules(m);
  const violations: Violation[] = [];
  const summary: RuleSummary[] = [];
  for (const r of results) {
    const g = GUARANTEE_OF[r.rule];
    const mode = g === undefined ? "always" : m.guarantees.has(g) ? "on" : "off";
    for (const f of r.findings) {
      const severity = f.severity ?? (mode === "off" ? "anomaly" : "violation");
      const v: Violation = { rule: r.rule, severity, ops: [...new Set(f.ops)].sort((a, b) => a - b), message: f.message };
      if (f.session !== undefined) v.session = f.session;
      if (f.branch !== undefined) v.branch = f.branch;
      violations.push(v);
    }
    summary.push({ rule: r.rule, checked: r.checked, violations: r.findings.length, mode });
  }
  return {
    ok: violations.every((v) => v.severity !== "violation"),
    source: m.meta.source,
    guarantees: GUARANTEES.filter((g) => m.guarantees.has(g)),
    concurrent: m.meta.concurrent,
    stats: {
      operations: m.ops.length,
      sessions: m.sessions.size,
      writes: new Set([...m.acked.keys(), ...m.effects.keys()]).size,
      branches: m.branches.length,
    },
    violations,
    summary,
  };
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
