// The checker's benchmark: a synthetic history (synthetic-history.ts) of a
// given size, written once, then `bank-sim check` on it as a child process,
// as a user runs it, timed from spawn to exit, with the child's peak RSS
// (rss-probe.ts). The history must check OK: a failure is an error.

import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeSyntheticHistory, type SyntheticOptions } from "./synthetic-history.js";

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
const PROBE = new URL("./rss-probe.js", import.meta.url).href;

interface Once {
  wallMs: number;
  peakRssMb: number;
  cpuMs: number;
  verdict: string;
}

function checkOnce(file: string, probeOut: string): Promise<Once> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", PROBE, BIN, "check", file, "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, BANK_SIM_RSS_OUT: probeOut },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = performance.now() - started;
      try {
        const usage = JSON.parse(readFileSync(probeOut, "utf8")) as { maxRssKb: number; userMs: number; systemMs: number };
        const verdict = (JSON.parse(stdout) as { verdict: string }).verdict;
        if (code !== 0) throw new Error(`exit ${code}, verdict ${verdict}`);
        resolve({ wallMs, peakRssMb: usage.maxRssKb / 1024, cpuMs: usage.userMs + usage.systemMs, verdict });
      } catch (err) {
        reject(new Error(`bench: check ${file} failed: ${(err as Error).message}\n${stderr.slice(0, 2000)}`));
      }
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

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
