// Renders a CheckReport, for people and for scripts. Pure.
//
// Text: what the run had on, whether the history is complete, each problem in
// words (fatal violations first, then anomalies of guarantees that were off,
// then findings), a table per rule with the three counted apart, and one
// verdict line.
//
// JSON (reportJson): the same facts with the three kinds in their own arrays
// and counts, so that `violations` always means fatal ones only. Its contract
// is schemas/check-report.schema.json (`version` names it): every key always
// there, null where a value does not apply.

import type { CheckReport, Counts, Rule, RuleSummary, Severity, Violation } from "./checker.js";

export interface FormatOptions {
  /** Entries printed per rule and section before "... and N more" (default 20). */
  limitPerRule?: number;
}

const SECTIONS: Array<{ severity: Severity; title: string }> = [
  { severity: "violation", title: "Violations (these make the check fail)" },
  { severity: "anomaly", title: "Anomalies observed (guarantee off)" },
  { severity: "finding", title: "Findings (not failures)" },
];

export function formatReport(report: CheckReport, options: FormatOptions = {}): string {
  const limit = options.limitPerRule ?? 20;
  const lines: string[] = [];
  const off = (["mw", "ryw", "mr", "wfr"] as const).filter((g) => !report.guarantees.includes(g));
  const s = report.stats;
  lines.push(`history: ${report.source}`);
  lines.push(
    `guarantees on: ${report.guarantees.join(", ") || "none"}; off: ${off.join(", ") || "none"}; ` +
      `customers ran ${report.concurrent ? "concurrently" : "one after another"}`,
  );
  lines.push(`${s.operations} operations, ${s.sessions} sessions, ${s.writes} writes, ${s.branches} branches`);
  if (report.incomplete !== undefined) {
    lines.push(`incomplete: ${report.incomplete.reason}; judged only what it holds (see the rules marked below)`);
  }

  for (const { severity, title } of SECTIONS) {
    const byRule = new Map<Rule, Violation[]>();
    let total = 0;
    for (const v of report.violations) {
      if (v.severity !== severity) continue;
      total++;
      const list = byRule.get(v.rule);
      if (list === undefined) byRule.set(v.rule, [v]);
      else list.push(v);
    }
    if (total === 0) continue;
    lines.push("", `${title}: ${total}`);
    for (const [rule, list] of byRule) {
      for (const v of list.slice(0, limit)) {
        const ops = v.ops.length === 0 ? "" : ` [ops ${v.ops.map((o) => `#${o}`).join(", ")}]`;
        lines.push(`  ${rule}: ${v.message}${ops}`);
      }
      if (list.length > limit) lines.push(`  ${rule}: ... and ${list.length - limit} more`);
    }
  }

  lines.push("", table(report));
  const notes = report.summary.filter((r) => r.note !== undefined);
  for (const r of notes) lines.push(`  ${r.rule}: ${r.judged === "skipped" ? "skipped" : "judged in part"}: ${r.note}`);
  lines.push("", verdict(report));
  return lines.join("\n") + "\n";
}

function table(report: CheckReport): string {
  const rows = [["rule", "mode", "checked", "violations", "anomalies", "findings"]];
  for (const r of report.summary) {
    const n = (k: number) => (r.judged === "skipped" ? "-" : String(k));
    const checked = r.judged === "skipped" ? "skipped" : r.judged === "partly" ? `${r.checked}*` : String(r.checked);
    rows.push([r.rule, r.mode, checked, n(r.violations), n(r.anomalies), n(r.findings)]);
  }
  const widths = (rows[0] ?? []).map((_, i) => rows.reduce((w, row) => Math.max(w, (row[i] ?? "").length), 0));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i >= 2 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;

function verdict(report: CheckReport): string {
  const c = report.counts;
  const extras: string[] = [];
  if (c.anomalies > 0) extras.push(`${n(c.anomalies, "anomaly", "anomalies")} of guarantees that were off`);
  if (c.findings > 0) extras.push(n(c.findings, "finding", "findings"));
  const tail = extras.length === 0 ? "" : `; also ${extras.join(", ")}`;
  const cut = report.incomplete === undefined ? "" : ` in what the incomplete history holds`;
  if (report.verdict === "ok") return `verdict: OK, no violations${tail}`;
  if (report.verdict === "incomplete") {
    const skipped = report.summary.filter((r) => r.judged === "skipped").map((r) => r.rule);
    const notJudged = skipped.length === 0 ? "" : `; ${skipped.join(", ")} not judged`;
    return `verdict: INCOMPLETE, no violations${cut}${notJudged}${tail}`;
  }
  const perRule = new Map<Rule, number>();
  for (const v of report.violations) if (v.severity === "violation") perRule.set(v.rule, (perRule.get(v.rule) ?? 0) + 1);
  const parts = [...perRule].map(([rule, k]) => `${rule} ${k}`).join(", ");
  return `verdict: FAILED, ${n(c.violations, "violation", "violations")}${cut} (${parts})${tail}`;
}

/** `check --json`'s format version (schemas/check-report.schema.json). */
export const CHECK_REPORT_VERSION = 1;

/** An entry as the JSON prints it: session and branch null when it names none. */
export interface EntryJson {
  rule: Rule;
  severity: Severity;
  session: string | null;
  branch: number | null;
  ops: number[];
  message: string;
}

/** The report as `check --json` prints it: each kind in its own array, `violations` fatal ones only. */
export interface ReportJson {
  version: typeof CHECK_REPORT_VERSION;
  verdict: CheckReport["verdict"];
  ok: boolean;
  complete: boolean;
  incomplete: NonNullable<CheckReport["incomplete"]> | null;
  source: string;
  guarantees: string[];
  concurrent: boolean;
  stats: CheckReport["stats"];
  counts: Counts;
  violations: EntryJson[];
  anomalies: EntryJson[];
  findings: EntryJson[];
  summary: Array<Omit<RuleSummary, "note"> & { note: string | null }>;
}

export function reportJson(report: CheckReport): ReportJson {
  const entry = (v: Violation): EntryJson => ({ rule: v.rule, severity: v.severity, session: v.session ?? null, branch: v.branch ?? null, ops: v.ops, message: v.message });
  const of = (sev: Severity) => report.violations.filter((v) => v.severity === sev).map(entry);
  return {
    version: CHECK_REPORT_VERSION,
    verdict: report.verdict,
    ok: report.ok,
    complete: report.incomplete === undefined,
    incomplete: report.incomplete ?? null,
    source: report.source,
    guarantees: report.guarantees,
    concurrent: report.concurrent,
    stats: report.stats,
    counts: report.counts,
    violations: of("violation"),
    anomalies: of("anomaly"),
    findings: of("finding"),
    summary: report.summary.map((r) => ({ ...r, note: r.note ?? null })),
  };
}
