// Renders a CheckReport as text for people: what the run had on, each problem
// in words (fatal violations first, then anomalies of guarantees that were
// off, then findings), a table per rule, and one verdict line. Pure.

import type { CheckReport, Rule, Severity, Violation } from "./checker.js";

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

  for (const { severity, title } of SECTIONS) {
    const items = report.violations.filter((v) => v.severity === severity);
    if (items.length === 0) continue;
    lines.push("", `${title}: ${items.length}`);
    const byRule = new Map<Rule, Violation[]>();
    for (const v of items) byRule.set(v.rule, [...(byRule.get(v.rule) ?? []), v]);
    for (const [rule, list] of byRule) {
      for (const v of list.slice(0, limit)) {
        const ops = v.ops.length === 0 ? "" : ` [ops ${v.ops.map((o) => `#${o}`).join(", ")}]`;
        lines.push(`  ${rule}: ${v.message}${ops}`);
      }
      if (list.length > limit) lines.push(`  ${rule}: ... and ${list.length - limit} more`);
    }
  }

  lines.push("", table(report));
  lines.push("", verdict(report));
  return lines.join("\n") + "\n";
}

function table(report: CheckReport): string {
  const rows = [["rule", "mode", "checked", "violations"]];
  for (const r of report.summary) rows.push([r.rule, r.mode, String(r.checked), String(r.violations)]);
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i >= 2 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function verdict(report: CheckReport): string {
  const count = (sev: Severity) => report.violations.filter((v) => v.severity === sev).length;
  const extras: string[] = [];
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  if (count("anomaly") > 0) extras.push(`${n(count("anomaly"), "anomaly", "anomalies")} of guarantees that were off`);
  if (count("finding") > 0) extras.push(n(count("finding"), "finding", "findings"));
  const tail = extras.length === 0 ? "" : `; also ${extras.join(", ")}`;
  if (report.ok) return `verdict: OK, no violations${tail}`;
  const perRule = new Map<Rule, number>();
  for (const v of report.violations) if (v.severity === "violation") perRule.set(v.rule, (perRule.get(v.rule) ?? 0) + 1);
  const parts = [...perRule].map(([rule, n]) => `${rule} ${n}`).join(", ");
  return `verdict: FAILED, ${n(count("violation"), "violation", "violations")} (${parts})${tail}`;
}
