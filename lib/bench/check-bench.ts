// The checker's benchmark: a synthetic history (synthetic-history.ts) of a
// given size, written once, then `bank-sim check` on it as a child process,
// as a user runs it, timed from spawn to exit, with the child's peak RSS
// (rss-probe.ts). The history must check OK: a failure is an error.

import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeSyntheticHistory, type SyntheticOptions } from "./synthetic-history.js";
import { median, timed } from "./timed.js";

export interface CheckBenchCase {
  name: string;
  history: SyntheticOptions;
}

export interface CheckBenchResult {
  name: string;
  operations: number;
  branches: number;
  records: number;
  fileMb: number;
  reps: number;
  /** Medians over the repetitions. */
  median: { wallMs: number; peakRssMb: number; cpuMs: number };
  /** check's verdict: the same on every repetition, or each one's, comma-separated. */
  verdict: string;
  /** Every repetition as it ran. */
  runs: Array<{ rep: number; wallMs: number; peakRssMb: number; cpuMs: number; verdict: string }>;
}

const BIN = fileURLToPath(new URL("../../../bin/bank-sim", import.meta.url));

interface Once {
  wallMs: number;
  peakRssMb: number;
  cpuMs: number;
  verdict: string;
}

async function checkOnce(file: string, probeOut: string): Promise<Once> {
  const u = await timed([BIN, "check", file, "--json"], probeOut);
  try {
    const verdict = (JSON.parse(u.stdout) as { verdict: string }).verdict;
    if (u.code !== 0) throw new Error(`exit ${u.code}, verdict ${verdict}`);
    return { wallMs: u.wallMs, peakRssMb: u.peakRssMb, cpuMs: u.cpuMs, verdict };
  } catch (err) {
    throw new Error(`bench: check ${file} failed: ${(err as Error).message}\n${u.stderr.slice(0, 2000)}`);
  }
}


export async function runCheckBench(c: CheckBenchCase, dir: string, reps: number, log: (line: string) => void): Promise<CheckBenchResult> {
  const file = join(dir, `${c.name}.history.jsonl`);
  const probeOut = join(dir, `${c.name}.rusage.json`);
  try {
    log(`${c.name}: writing a synthetic history of ${c.history.operations} operations...`);
    const written = writeSyntheticHistory(file, c.history);
    const runs: Once[] = [];
    for (let rep = 1; rep <= reps; rep++) {
      log(`${c.name}: check ${rep} of ${reps}...`);
      runs.push(await checkOnce(file, probeOut));
    }
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      name: c.name,
      operations: c.history.operations,
      branches: c.history.branches,
      records: written.records,
      fileMb: round(written.bytes / 1024 / 1024),
      reps,
      median: {
        wallMs: round(median(runs.map((r) => r.wallMs))),
        peakRssMb: round(median(runs.map((r) => r.peakRssMb))),
        cpuMs: round(median(runs.map((r) => r.cpuMs))),
      },
      verdict: [...new Set(runs.map((r) => r.verdict))].length === 1 ? (runs[0]?.verdict ?? "") : runs.map((r) => r.verdict).join(","),
      runs: runs.map((r, i) => ({ rep: i + 1, wallMs: round(r.wallMs), peakRssMb: round(r.peakRssMb), cpuMs: round(r.cpuMs), verdict: r.verdict })),
    };
  } finally {
    rmSync(file, { force: true });
    rmSync(probeOut, { force: true });
  }
}

export function formatCheckBenchTable(results: readonly CheckBenchResult[]): string {
  const head = ["case", "operations", "branches", "records", "file MB", "wall s", "peak RSS MB", "CPU s", "verdict"];
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    "`bank-sim check` on a synthetic history (child process; medians):",
    "",
    line(head),
    line(head.map(() => "---")),
    ...results.map((r) =>
      line([
        r.name, r.operations.toLocaleString("en"), String(r.branches), r.records.toLocaleString("en"), r.fileMb.toFixed(0),
        (r.median.wallMs / 1000).toFixed(1), r.median.peakRssMb.toFixed(0), (r.median.cpuMs / 1000).toFixed(1), r.verdict,
      ]),
    ),
    "",
  ].join("\n");
}
