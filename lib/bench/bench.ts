// `bank-sim bench`: a fixed grid of generated workloads (random target
// branches, --concurrent, --guarantees all), each run as its own process so
// wall time is end to end (process start to converged exit) and peak RSS is
// the run's own; every run's history goes through the checker. In the same
// run it measures the raw grpc-js unary ceiling (unary-ceiling.ts) and reports
// throughput as a ratio of it. Cases of kind "check" run no cluster: they
// time `bank-sim check` on a synthetic history of that shape (check-bench.ts).
// The JSON report (schemas/bench-report.schema.json) keeps every repetition,
// when the benchmark ran and on what machine, beside the medians.

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
import { thisMachine, type Machine } from "./machine.js";

/** The bench JSON's format version (schemas/bench-report.schema.json). */
export const BENCH_VERSION = 1;

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
    const child = spawn(process.execPath, [BIN, "run", file, "--concurrent", "--guarantees", "all", "--quiet", "--out", out, ...extraArgs], { stdio: ["ignore", "ignore", "pipe"] });
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

/** Medians over a case's repetitions; names as in results.json's summary. A figure no repetition had is null. */
export interface CaseMedians {
  wallMs: number; opsPerSec: number; ratioToCeiling: number | null;
  latency: { p50Ms: number | null; p99Ms: number | null; maxMs: number | null };
  propagationLag: { p50Ms: number | null; p99Ms: number | null };
  gateWait: { p99Ms: number | null; meanMs: number | null };
  startupMs: number; peakRssMb: number; requestBytes: number; links: number; messagesPerWrite: number | null;
}

export interface CaseReport {
  name: string; branches: number; customers: number; events: number; reps: number;
  median: CaseMedians;
  converged: boolean; violations: number;
  /** Every repetition as it ran: its exit code, wall time, verdict and results.json summary. */
  runs: Array<{ rep: number; exitCode: number | null; wallMs: number; converged: boolean; violations: number; anomalies: number; summary: RunSummary }>;
}

export interface BenchReport {
  version: typeof BENCH_VERSION;
  /** When the benchmark started and finished (ISO 8601, UTC). */
  startedAt: string;
  finishedAt: string;
  durable: boolean;
  machine: Machine;
  ceiling: { callsPerSec: number | null; inFlight: number };
  cases: CaseReport[];
  /** The checker cases. */
  checks: CheckBenchResult[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

/** The median of the figures the repetitions have, rounded to 0.01; null when none has it. */
function pickFrom(runs: readonly CaseResult[], f: (r: CaseResult) => number | null): number | null {
  const xs = runs.map(f).filter((x): x is number => x !== null && Number.isFinite(x));
  return xs.length === 0 ? null : Math.round(median(xs) * 100) / 100;
}

function medians(runs: readonly CaseResult[], ceilingCallsPerSec: number): CaseMedians {
  const pick = (f: (r: CaseResult) => number | null) => pickFrom(runs, f);
  const opsPerSec = pick((r) => r.summary.opsPerSec) ?? 0;
  return {
    wallMs: pick((r) => r.wallMs) ?? 0,
    opsPerSec,
    ratioToCeiling: ceilingCallsPerSec > 0 ? Math.round((opsPerSec / ceilingCallsPerSec) * 1000) / 1000 : null,
    latency: { p50Ms: pick((r) => r.summary.latency.p50Ms), p99Ms: pick((r) => r.summary.latency.p99Ms), maxMs: pick((r) => r.summary.latency.maxMs) },
    propagationLag: { p50Ms: pick((r) => r.summary.propagationLag.p50Ms), p99Ms: pick((r) => r.summary.propagationLag.p99Ms) },
    gateWait: { p99Ms: pick((r) => r.summary.gateWait.p99Ms), meanMs: pick((r) => r.summary.gateWait.meanMs) },
    startupMs: pick((r) => r.summary.startupMs) ?? 0,
    peakRssMb: pick((r) => r.summary.peakRssMb) ?? 0,
    requestBytes: pick((r) => r.summary.requestBytes) ?? 0,
    links: pick((r) => r.summary.links.links) ?? 0,
    messagesPerWrite: pick((r) => (r.summary.writes ? r.summary.links.messages / r.summary.writes : null)),
  };
}

export async function runBench(opts: { cases: readonly BenchCase[]; reps: number; ceilingCalls: number; durable: boolean; log: (line: string) => void }): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const machine = thisMachine();
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
      cases.push({
        name: c.name, branches: c.branches, customers: c.customers, events: c.events, reps: opts.reps,
        median: medians(runs, ceiling.callsPerSec),
        converged: runs.every((r) => r.converged && r.exitCode === 0),
        violations: runs.reduce((n, r) => n + r.violations, 0),
        runs: runs.map((r) => ({
          rep: r.rep, exitCode: r.exitCode, wallMs: Math.round(r.wallMs * 1000) / 1000, converged: r.converged,
          violations: r.violations, anomalies: r.anomalies, summary: r.summary,
        })),
      });
    }
    const checks: CheckBenchResult[] = [];
    for (const c of opts.cases.filter((k) => k.kind === "check")) {
      const history = { branches: c.branches, sessions: c.customers, operations: c.customers * c.events, seed: 1 };
      checks.push(await runCheckBench({ name: c.name, history }, dir, opts.reps, opts.log));
    }
    return {
      version: BENCH_VERSION, startedAt, finishedAt: new Date().toISOString(), durable: opts.durable, machine,
      ceiling: { callsPerSec: runCases.length > 0 ? Math.round(ceiling.callsPerSec) : null, inFlight: 64 }, cases, checks,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatBenchTable(r: BenchReport): string {
  const head = ["case", "wall s", "ops/s", "× ceiling", "lat p50/p99/max ms", "lag p50/p99 ms", "gate p99 ms", "start ms", "RSS MB", "req B", "links", "msg/write", "ok"];
  const f = (x: number | null, digits?: number) => (x === null ? "-" : digits === undefined ? String(x) : x.toFixed(digits));
  const rows = r.cases.map(({ median: m, ...c }) => [
    c.name, (m.wallMs / 1000).toFixed(2), m.opsPerSec.toFixed(0), f(m.ratioToCeiling, 2),
    `${f(m.latency.p50Ms)}/${f(m.latency.p99Ms)}/${f(m.latency.maxMs)}`, `${f(m.propagationLag.p50Ms)}/${f(m.propagationLag.p99Ms)}`, f(m.gateWait.p99Ms),
    m.startupMs.toFixed(0), m.peakRssMb.toFixed(0), m.requestBytes.toFixed(0), String(m.links), f(m.messagesPerWrite, 2),
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
