// `bank-sim bench`: a fixed grid of generated workloads (random target
// branches, --concurrent, --guarantees all), each run as its own process so
// wall time is end to end (process start to converged exit) and peak RSS is
// the run's own; every run's history goes through the checker. In the same
// run it measures the raw grpc-js unary ceiling (unary-ceiling.ts) and reports
// throughput as a ratio of it. Cases of kind "check" run no cluster: they
// time `bank-sim check` on a synthetic history of that shape (check-bench.ts).

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkHistoryFile } from "../checker/check-file.js";
import { generateScenario, DEFAULT_MIX } from "../scenario/gen.js";
import type { RunSummary } from "../run/results.js";
import { measureUnaryCeiling } from "./unary-ceiling.js";
import { formatCheckBenchTable, runCheckBench, type CheckBenchResult } from "./check-bench.js";

export interface BenchCase {
  name: string;
  branches: number;
  customers: number;
  events: number;
  /** "check": no run; `bank-sim check` on a synthetic history of customers × events operations. */
  kind?: "run" | "check";
}

export const GRID: readonly BenchCase[] = [
  { name: "b10-c10-e100", branches: 10, customers: 10, events: 100 },
  { name: "b10-c64-e50", branches: 10, customers: 64, events: 50 },
  { name: "b100-c10-e100", branches: 100, customers: 10, events: 100 },
  { name: "b1000-c10-e10", branches: 1000, customers: 10, events: 10 },
  { name: "check-1m", branches: 10, customers: 100, events: 10_000, kind: "check" },
];

export const QUICK_GRID: readonly BenchCase[] = [
  { name: "quick-b4-c4-e10", branches: 4, customers: 4, events: 10 },
  { name: "quick-check-10k", branches: 4, customers: 10, events: 1_000, kind: "check" },
];

export interface CaseResult {
  case: BenchCase;
  rep: number;
  exitCode: number | null;
  wallMs: number;
  summary: RunSummary;
  converged: boolean;
  violations: number;
  anomalies: number;
}

const BIN = fileURLToPath(new URL("../../../bin/bank-sim", import.meta.url));

function runOnce(c: BenchCase, rep: number, dir: string, seed: number, extraArgs: readonly string[]): Promise<CaseResult> {
  const file = join(dir, `${c.name}-${rep}.json`);
  const out = join(dir, `${c.name}-${rep}`);
  writeFileSync(file, JSON.stringify(generateScenario({ branches: c.branches, customers: c.customers, events: c.events, seed, mix: DEFAULT_MIX })));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "run", file, "--concurrent", "--guarantees", "all", "--out", out, ...extraArgs], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", async (code) => {
      const wallMs = performance.now() - started;
      try {
        const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as { summary: CaseResult["summary"]; converged: boolean };
        const report = await checkHistoryFile(out);
        resolve({
          case: c, rep, exitCode: code, wallMs, summary: results.summary, converged: results.converged,
          violations: report.counts.violations,
          anomalies: report.counts.anomalies,
        });
      } catch (err) {
        reject(new Error(`bench ${c.name}: the run exited ${code} and left no readable results: ${(err as Error).message}\n${stderr}`));
      } finally {
        rmSync(out, { recursive: true, force: true });
        rmSync(file, { force: true });
      }
    });
  });
}

export interface BenchReport {
  durable: boolean;
  machine: { cpus: number; node: string };
  ceiling: { callsPerSec: number; inFlight: number };
  cases: Array<{
    name: string; branches: number; customers: number; events: number; reps: number;
    wallMs: number; opsPerSec: number; ratioToCeiling: number;
    latencyP50Ms: number; latencyP99Ms: number; latencyMaxMs: number;
    lagP50Ms: number; lagP99Ms: number; gateWaitP99Ms: number; gateWaitMeanMs: number;
    startupMs: number; peakRssMb: number; requestBytes: number; links: number; messagesPerWrite: number;
    converged: boolean; violations: number;
  }>;
  /** The checker cases. */
  checks: CheckBenchResult[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

export async function runBench(opts: { cases: readonly BenchCase[]; reps: number; ceilingCalls: number; durable: boolean; log: (line: string) => void }): Promise<BenchReport> {
  const dir = mkdtempSync(join(tmpdir(), "bank-sim-bench-"));
  try {
    const runCases = opts.cases.filter((c) => c.kind !== "check");
    let ceiling = { callsPerSec: 0 };
    if (runCases.length > 0) {
      opts.log(`measuring the grpc-js unary ceiling (${opts.ceilingCalls} calls, 64 in flight)...`);
      ceiling = await measureUnaryCeiling({ calls: opts.ceilingCalls, inFlight: 64 });
    }
    const cases: BenchReport["cases"] = [];
    for (const c of runCases) {
      const runs: CaseResult[] = [];
      for (let rep = 1; rep <= opts.reps; rep++) {
        opts.log(`${c.name}: run ${rep} of ${opts.reps}...`);
        runs.push(await runOnce(c, rep, dir, rep, opts.durable ? [] : ["--no-durable"]));
      }
      const pick = (f: (r: CaseResult) => number) => Math.round(median(runs.map(f)) * 100) / 100;
      const opsPerSec = pick((r) => r.summary.opsPerSec);
      cases.push({
        name: c.name, branches: c.branches, customers: c.customers, events: c.events, reps: opts.reps,
        wallMs: pick((r) => r.wallMs),
        opsPerSec,
        ratioToCeiling: Math.round((opsPerSec / ceiling.callsPerSec) * 1000) / 1000,
        latencyP50Ms: pick((r) => r.summary.latency.p50Ms),
        latencyP99Ms: pick((r) => r.summary.latency.p99Ms),
        latencyMaxMs: pick((r) => r.summary.latency.maxMs),
        lagP50Ms: pick((r) => r.summary.propagationLag.p50Ms),
        lagP99Ms: pick((r) => r.summary.propagationLag.p99Ms),
        gateWaitP99Ms: pick((r) => r.summary.gateWait.p99Ms),
        gateWaitMeanMs: pick((r) => r.summary.gateWait.meanMs),
        startupMs: pick((r) => r.summary.startupMs),
        peakRssMb: pick((r) => r.summary.peakRssMb),
        requestBytes: pick((r) => r.summary.requestBytes),
        links: pick((r) => r.summary.links.links),
        messagesPerWrite: pick((r) => (r.summary.writes ? r.summary.links.messages / r.summary.writes : 0)),
        converged: runs.every((r) => r.converged && r.exitCode === 0),
        violations: runs.reduce((n, r) => n + r.violations, 0),
      });
    }
    const checks: CheckBenchResult[] = [];
    for (const c of opts.cases.filter((k) => k.kind === "check")) {
      const history = { branches: c.branches, sessions: c.customers, operations: c.customers * c.events, seed: 1 };
      checks.push(await runCheckBench({ name: c.name, history }, dir, opts.reps, opts.log));
    }
    return { durable: opts.durable, machine: { cpus: (await import("node:os")).availableParallelism(), node: process.version }, ceiling: { callsPerSec: Math.round(ceiling.callsPerSec), inFlight: 64 }, cases, checks };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatBenchTable(r: BenchReport): string {
  const head = ["case", "wall s", "ops/s", "× ceiling", "lat p50/p99/max ms", "lag p50/p99 ms", "gate p99 ms", "start ms", "RSS MB", "req B", "links", "msg/write", "ok"];
  const rows = r.cases.map((c) => [
    c.name, (c.wallMs / 1000).toFixed(2), c.opsPerSec.toFixed(0), c.ratioToCeiling.toFixed(2),
    `${c.latencyP50Ms}/${c.latencyP99Ms}/${c.latencyMaxMs}`, `${c.lagP50Ms}/${c.lagP99Ms}`, String(c.gateWaitP99Ms),
    c.startupMs.toFixed(0), c.peakRssMb.toFixed(0), c.requestBytes.toFixed(0), String(c.links), c.messagesPerWrite.toFixed(2),
    c.converged && c.violations === 0 ? "yes" : `NO (${c.violations} violations)`,
  ]);
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const checks = r.checks.length === 0 ? [] : [formatCheckBenchTable(r.checks)];
  if (r.cases.length === 0) return checks.join("\n");
  return [
    `grpc-js unary ceiling: ${r.ceiling.callsPerSec} calls/s (no-op server in a worker, ${r.ceiling.inFlight} in flight); ${r.machine.cpus} cores, Node ${r.machine.node}; branches ${r.durable ? "durable (log + fdatasync)" : "in memory (--no-durable)"}`,
    "",
    line(head),
    line(head.map(() => "---")),
    ...rows.map(line),
    "",
    ...checks,
  ].join("\n");
}
