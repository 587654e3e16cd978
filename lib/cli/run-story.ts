// What a run tells a learner after its one-line summary: the operations that
// did not complete or were refused, what the checker will flag in the
// history (its own words, naming the scenario's events), the requests the
// session gate held and for how long ("1 request held 413 ms at branch 2 for
// RYW"), and the commands to run next. Pure: the facts in, lines out.

import type { CheckReport, Violation } from "../checker/checker.js";
import { formatMoneyText } from "../core/money.js";
import type { RunReport } from "../run/run.js";
import { NAMED_MAX, type Named } from "../run/notable.js";
import type { EventOutcome } from "../scenario/scenario.js";

/** How many operations a line names before "and N more" (as many as the run keeps by name). */
const NAMED = NAMED_MAX;

const upper = (gs: readonly string[]) => gs.map((g) => g.toUpperCase()).join(" + ");
const ms = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(1));
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The first few of a kind, by name, and how many more there were. */
function named(kind: Named, name: (o: EventOutcome) => string): string {
  const shown = kind.first.slice(0, NAMED).map(name).join("; ");
  return kind.count > NAMED ? `${shown}; and ${kind.count - NAMED} more` : shown;
}

/** "withdraw event 2 of customer 1 at branch 2" */
function eventName(o: EventOutcome): string {
  return `${o.event.interface} event ${o.event.id} of customer ${o.customerId} at branch ${o.servedBy ?? o.event.branch}`;
}

export function runStory(report: Pick<RunReport, "notable" | "summary">, check: CheckReport | undefined, guarantees: readonly string[], outDir: string, checkSkipped?: string): string[] {
  const lines: string[] = [];
  const { incomplete, refused } = report.notable;
  if (incomplete.count > 0) {
    lines.push(`${plural(incomplete.count, "operation")} did not complete: ${named(incomplete, (o) => `${eventName(o)} (${o.status}: ${o.error ?? "no answer"})`)}`);
  }
  if (refused.count > 0) {
    lines.push(`${plural(refused.count, "withdraw")} refused for lack of funds: ${named(refused, (o) => `${eventName(o)}${o.balanceCents === undefined ? "" : ` saw balance ${formatMoneyText(o.balanceCents)}`}`)}`);
  }
  if (check !== undefined) lines.push(...checkLines(check));
  else if (checkSkipped !== undefined) lines.push(checkSkipped);
  lines.push(heldLine(report, guarantees));
  lines.push(`next: bank-sim check ${outDir}   (every rule, and each problem with the operations involved)`);
  lines.push(`      bank-sim report ${outDir}  (report.html: the space-time diagram, with the checker's findings on it)`);
  return lines.map((l) => `  ${l}`);
}

function checkLines(check: CheckReport): string[] {
  const c = check.counts;
  if (c.violations + c.anomalies + c.findings === 0) return ["the checker finds nothing to flag in the history: every rule holds"];
  const lines: string[] = [];
  const kinds: Array<[Violation["severity"], string, string]> = [
    ["violation", "violation", "violations (the check fails)"],
    ["anomaly", "anomaly", "anomalies (of guarantees that were off)"],
    ["finding", "finding", "findings (not failures)"],
  ];
  for (const [severity, one, many] of kinds) {
    const entries = check.violations.filter((v) => v.severity === severity);
    if (entries.length === 0) continue;
    const byRule = new Map<string, number>();
    for (const v of entries) byRule.set(v.rule, (byRule.get(v.rule) ?? 0) + 1);
    const rules = [...byRule].map(([r, n]) => `${r} ${n}`).join(", ");
    lines.push(`the checker will flag ${entries.length === 1 ? `1 ${one}` : `${entries.length} ${many}`} (${rules}); first: ${entries[0]?.rule}: ${entries[0]?.message}`);
  }
  return lines;
}

function heldLine(report: Pick<RunReport, "notable" | "summary">, guarantees: readonly string[]): string {
  const held = report.summary.heldAtGate;
  if (held.requests === 0 || held.longest === null) {
    return guarantees.length === 0
      ? "no request was held at the gate: every guarantee was off"
      : `no request was held at the gate (${upper(guarantees)} on, but every branch already had what each session needed)`;
  }
  const l = held.longest;
  const why = l.guarantees.length === 0 ? "" : ` for ${upper(l.guarantees)}`;
  if (held.requests === 1) return `1 request held ${ms(l.gateWaitMs)} ms at branch ${l.branch}${why} (event ${l.event} of customer ${l.customer})`;
  const split = [...report.notable.heldByGuarantee].map(([g, n]) => `${g.toUpperCase()} ${n}`).join(", ");
  return `${held.requests} requests held at the gate${split === "" ? "" : ` (${split})`}, ${ms(held.totalMs / held.requests)} ms on average; ` +
    `the longest ${ms(l.gateWaitMs)} ms at branch ${l.branch}${why} (event ${l.event} of customer ${l.customer})`;
}
