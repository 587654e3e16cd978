// What a failing seed leaves behind: its history in a file (readable by
// `bank-sim check`), and a message that names the seed, says how to replay it
// exactly, and shows the checker's verdict. Shared by the soak and the tests.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatReport } from "../checker/report.js";
import { ALL_GUARANTEES, type GuaranteeName } from "../core/gate.js";
import type { HistoryRecord } from "../history/types.js";
import type { DurabilityBreak } from "./broken-durability.js";
import { describeOptions, type SimOptions, type SimResult } from "./simulator.js";

/** The knobs a replay needs besides the seed (the rest of a run's shape comes from the seed). */
export interface ReplayFlags {
  guarantees?: readonly GuaranteeName[];
  breakGate?: readonly GuaranteeName[];
  breakDurability?: DurabilityBreak;
}

export function replayCommand(seed: number, flags: ReplayFlags = {}): string {
  const parts = [`npm run soak -- --seed ${seed}`];
  const g = flags.guarantees ?? ALL_GUARANTEES;
  if (g.length !== ALL_GUARANTEES.length) parts.push(`--guarantees ${g.length === 0 ? "none" : g.join(",")}`);
  if (flags.breakGate !== undefined && flags.breakGate.length > 0) parts.push(`--break-gate ${flags.breakGate.join(",")}`);
  if (flags.breakDurability !== undefined) parts.push(`--break-durability ${flags.breakDurability}`);
  return parts.join(" ");
}

export function historyText(history: readonly HistoryRecord[]): string {
  return history.map((r) => JSON.stringify(r)).join("\n") + "\n";
}

/** Writes the history as `<dir>/sim-seed-<seed>.jsonl` and returns the path. */
export function saveHistory(dir: string, seed: number, history: readonly HistoryRecord[]): string {
  const path = join(dir, `sim-seed-${seed}.jsonl`);
  writeFileSync(path, historyText(history));
  return path;
}

/** Several lines: seed and shape, replay command, where the history is, the broken invariants, then the checker's report. */
export function describeFailure(options: SimOptions, flags: ReplayFlags, result: SimResult | Error, historyPath?: string): string {
  const lines = [`FAILED ${describeOptions(options)}`, `replay: ${replayCommand(options.seed, flags)}`];
  if (historyPath !== undefined) lines.push(`history: ${historyPath} (check it with: bin/bank-sim check ${historyPath})`);
  if (result instanceof Error) {
    lines.push(`error: ${result.message}`);
    return lines.join("\n");
  }
  if (result.breaches.length > 0) lines.push("", "durability invariants broken:", ...result.breaches.map((b) => `  ${b}`));
  lines.push("", formatReport(result.report, { limitPerRule: 5 }).trimEnd());
  return lines.join("\n");
}
