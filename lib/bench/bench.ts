// `bank-sim bench`: a fixed grid of generated workloads, each run as its own
// process (cold, like a user runs it) so wall time is end to end and CPU time
// and peak RSS are the run's own (rss-probe.ts); every run's history goes
// through the checker. Beside each run, in the same repetition (interleaved),
// the bare-call limit (bare-limit.ts): the same servers, workers, stubs, calls
// and calls in flight with nothing behind them; bank-sim's wall time is
// reported as a multiple of it. Cases of kind "startup" compare a run with no
// operations with the limit's start-up (the floor); kind "check" runs no
// cluster: it times `bank-sim check` on a synthetic history (check-bench.ts).

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkHistoryFile } from "../checker/check-file.js";
import { generateScenario, DEFAULT_MIX } from "../scenario/gen.js";
import type { RunSummary } from "../run/results.js";
import type { BareLimitResult } from "./bare-limit.js";
import { formatCheckBenchTable, runCheckBench, type CheckBenchResult } from "./check-bench.js";

export interface BenchCase {
  name: string;
  branches: number;
  customers: number;
  events: number;
  /**
   * run (default): `--concurrent`, random target branches; sequential: the
   * course's mode, customers one after another, each at its own branch;
   * startup: no operations, against the limit's start-up; check: `bank-sim
   * check` on a synthetic history of customers × events operations.
   */
  kind?: "run" | "sequential" | "startup" | "check";
  /** Also run it with no operations, to report the CPU per operation beyond start-up. */
  marginal?: boolean;
  /** Always in memory (--no-durable), whatever the bench's flag. */
  inMemory?: boolean;
  /** Also run it with a tenth of the events, to report peak RSS at 10% against 100% of the operations (memory that grows per operation). */
  growth?: boolean;
}

export const GRID: readonly BenchCase[] = [
  { name: "b10-c10-e100", branches: 10, customers: 10, events: 100, marginal: true },
  { name: "b10-c64-e50", branches: 10, customers: 64, events: 50 },
  { name: "b100-c10-e100", branches: 100, customers: 10, events: 100, marginal: true },
  { name: "b1000-c10-e100", branches: 1000, customers: 10, events: 100, marginal: true },
  { name: "seq-b10-c10-e100", branches: 10, customers: 10, events: 100, kind: "sequential" },
  { name: "seq-b10-c10-e100-mem", branches: 10, customers: 10, events: 100, kind: "sequential", inMemory: true },
  { name: "startup-b10", branches: 10, customers: 10, events: 0, kind: "startup" },
  { name: "startup-b1000", branches: 1000, customers: 10, events: 0, kind: "startup" },
  { name: "check-1m", branches: 10, customers: 100, events: 10_000, kind: "check" },
];

/** Cases that run only when named with --case (minutes each). */
export const LONG_CASES: readonly BenchCase[] = [
  { name: "long-b10-c64-e1563", branches: 10, customers: 64, events: 1563, marginal: true, growth: true },
];

export const QUICK_GRID: readonly BenchCase[] = [
  { name: "quick-b4-c4-e10", branches: 4, customers: 4, events: 10 },
  { name: "quick-seq-b4-c4-e10", branches: 4, customers: 4, events: 10, kind: "sequential" },
  { name: "quick-startup-b4", branches: 4, customers: 4, events: 0, kind: "startup" },
  { name: "quick-check-10k", branches: 4, customers: 10, events: 1_000, kind: "check" },
];

interface Usage {
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
}

interface RunOnce extends Usage {
  exitCode: number | null;
  summary: RunSummary;
  converged: boolean;
  violations: number;
  /** `bank-sim check`'s work on the run's history (in this process): wall and CPU. */
  checkWallMs: number;
  checkCpuMs: number;
}

/** The bank-sim measured: this one, or another build's bin/bank-sim (BANK_SIM_BENCH_BIN), to compare two builds side by side. */
const BIN = process.env["BANK_SIM_BENCH_BIN"] || fileURLToPath(new URL("../../../bin/bank-sim", import.meta.url));
const BARE = fileURLToPath(new URL("./bare-limit.js", import.meta.url));
const PROBE = new URL("./rss-probe.js", import.meta.url).href;

/** Runs `args` under node with the usage probe; resolves with its usage, exit code and stdout. */
function timed(args: readonly string[], probeOut: string): Promise<Usage & { code: number | null; stdout: string; stderr: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", PROBE, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, BANK_SIM_RSS_OUT: probeOut } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = performance.now() - started;
      try {
        const u = JSON.parse(readFileSync(probeOut, "utf8")) as { maxRssKb: number; userMs: number; systemMs: number };
        resolve({ wallMs, cpuMs: u.userMs + u.systemMs, peakRssMb: u.maxRssKb / 1024, code, stdout, stderr });
      } catch (err) {
        reject(new Error(`bench: ${args.join(" ")} exited ${code} without its usage (${(err as Error).message})\n${stderr}`));
      } finally {
        rmSync(probeOut, { force: true });
      }
    });
  });
}

/** The workers bank-sim uses by default (run-config.ts), so the limit gets the same. */
const workersFor = (branches: number) => Math.max(1, Math.min(branches, availableParallelism(), 4));

function scenarioFile(c: BenchCase, events: number, dir: string, seed: number): string {
  const file = join(dir, `${c.name}-${seed}-${events}.json`);
  const shape = c.kind === "sequential" ? "recv" : "branch";
  writeFileSync(file, JSON.stringify(generateScenario({ branches: c.branches, customers: c.customers, events, seed, mix: DEFAULT_MIX, shape })));
  return file;
}

async function runOnce(c: BenchCase, events: number, dir: string, seed: number, durable: boolean): Promise<RunOnce> {
  const file = scenarioFile(c, events, dir, seed);
  const out = join(dir, `${c.name}-${seed}-${events}`);
  const mode = c.kind === "sequential" ? [] : ["--concurrent"];
  const memory = durable && !c.inMemory ? [] : ["--no-durable"];
  try {
    const u = await timed([BIN, "run", file, ...mode, "--guarantees", "all", "--out", out, ...memory], join(dir, "usage.json"));
    let results: { summary: RunSummary; converged: boolean };
    try {
      results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as typeof results;
    } catch (err) {
      throw new Error(`bench ${c.name}: the run exited ${u.code} and left no readable results: ${(err as Error).message}\n${u.stderr}`);
    }
    const checkStart = performance.now();
    const checkCpu = process.cpuUsage();
    const report = await checkHistoryFile(out);
    const cpu = process.cpuUsage(checkCpu);
    return {
      wallMs: u.wallMs, cpuMs: u.cpuMs, peakRssMb: u.peakRssMb, exitCode: u.code, summary: results.summary, converged: results.converged, violations: report.counts.violations,
      checkWallMs: performance.now() - checkStart, checkCpuMs: (cpu.user + cpu.system) / 1000,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(file, { force: true });
  }
}

async function bareOnce(c: BenchCase, dir: string): Promise<Usage & { result: BareLimitResult }> {
  const inFlight = c.kind === "sequential" ? 1 : c.customers;
  const args = [BARE, "--servers", String(c.branches), "--workers", String(workersFor(c.branches)), "--calls", String(c.customers * c.events), "--in-flight", String(inFlight)];
  const u = await timed(args, join(dir, "usage.json"));
  if (u.code !== 0) throw new Error(`bench ${c.name}: the bare-call limit exited ${u.code}\n${u.stderr}`);
  return { wallMs: u.wallMs, cpuMs: u.cpuMs, peakRssMb: u.peakRssMb, result: JSON.parse(u.stdout) as BareLimitResult };
}

export interface CaseReport {
  name: string; kind: string; branches: number; customers: number; events: number; reps: number; durable: boolean;
  /** Medians over the repetitions. */
  wallMs: number; cpuMs: number; opsPerSec: number;
  /** The bare-call limit's process, same calls (medians), and bank-sim's wall time as a multiple of it. */
  bareWallMs: number; bareCpuMs: number; timesBare: number;
  /** CPU per operation, whole process; and beyond a run with no operations (marginal cases). */
  cpuMsPerOp: number; marginalCpuMsPerOp?: number;
  latencyP50Ms: number; latencyP99Ms: number;
  startupMs: number; peakRssMb: number; requestBytes: number;
  converged: boolean; violations: number;
  /** Growth cases: peak RSS of the same case run with a tenth of the events, and what each operation beyond those added (medians). */
  growth?: { opsAtTenth: number; peakRssMbAtTenth: number; peakRssMb: number; kbPerOp: number };
  /** Checking the run's history (`bank-sim check`'s work, in the bench's process), medians. */
  checkWallMs: number; checkCpuMs: number;
}

export interface BenchReport {
  durable: boolean;
  machine: { cpus: number; node: string };
  cases: CaseReport[];
  checks: CheckBenchResult[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const r2 = (x: number) => Math.round(x * 100) / 100;

async function benchCase(c: BenchCase, reps: number, durable: boolean, dir: string, log: (line: string) => void): Promise<CaseReport> {
  const runs: RunOnce[] = [];
  const bare: Array<Usage & { result: BareLimitResult }> = [];
  const empty: RunOnce[] = [];
  const tenth: RunOnce[] = [];
  const ops = c.customers * c.events;
  const tenthEvents = Math.max(1, Math.round(c.events / 10));
  for (let rep = 1; rep <= reps; rep++) {
    log(`${c.name}: repetition ${rep} of ${reps}...`);
    // Interleaved: the limit, then the run, then (marginal) the run with no operations.
    bare.push(await bareOnce(c, dir));
    runs.push(await runOnce(c, c.events, dir, rep, durable));
    if (c.marginal) empty.push(await runOnce(c, 0, dir, rep, durable));
    if (c.growth) tenth.push(await runOnce(c, tenthEvents, dir, rep, durable));
  }
  const pick = <T>(xs: T[], f: (x: T) => number) => r2(median(xs.map(f)));
  const wallMs = pick(runs, (r) => r.wallMs);
  const bareWallMs = pick(bare, (b) => b.wallMs);
  const cpuMs = pick(runs, (r) => r.cpuMs);
  const out: CaseReport = {
    name: c.name, kind: c.kind ?? "run", branches: c.branches, customers: c.customers, events: c.events, reps, durable: durable && !c.inMemory,
    wallMs, cpuMs, opsPerSec: pick(runs, (r) => r.summary.opsPerSec),
    bareWallMs, bareCpuMs: pick(bare, (b) => b.cpuMs), timesBare: r2(wallMs / bareWallMs),
    cpuMsPerOp: ops ? r2(cpuMs / ops) : 0,
    latencyP50Ms: pick(runs, (r) => r.summary.latency.p50Ms), latencyP99Ms: pick(runs, (r) => r.summary.latency.p99Ms),
    startupMs: pick(runs, (r) => r.summary.startupMs), peakRssMb: pick(runs, (r) => r.peakRssMb), requestBytes: pick(runs, (r) => r.summary.requestBytes),
    converged: [...runs, ...empty, ...tenth].every((r) => r.converged && r.exitCode === 0),
    violations: [...runs, ...empty, ...tenth].reduce((n, r) => n + r.violations, 0),
    checkWallMs: pick(runs, (r) => r.checkWallMs), checkCpuMs: pick(runs, (r) => r.checkCpuMs),
  };
  if (c.growth) {
    const opsAtTenth = c.customers * tenthEvents;
    const peakRssMbAtTenth = pick(tenth, (r) => r.peakRssMb);
    out.growth = { opsAtTenth, peakRssMbAtTenth, peakRssMb: out.peakRssMb, kbPerOp: r2(((out.peakRssMb - peakRssMbAtTenth) * 1024) / Math.max(1, ops - opsAtTenth)) };
  }
  if (c.marginal && ops) out.marginalCpuMsPerOp = r2(median(runs.map((r, i) => (r.cpuMs - (empty[i]?.cpuMs ?? 0)) / ops)));
  return out;
}

export async function runBench(opts: { cases: readonly BenchCase[]; reps: number; durable: boolean; log: (line: string) => void }): Promise<BenchReport> {
  const dir = mkdtempSync(join(tmpdir(), "bank-sim-bench-"));
  try {
    const cases: CaseReport[] = [];
    for (const c of opts.cases.filter((k) => k.kind !== "check")) cases.push(await benchCase(c, opts.reps, opts.durable, dir, opts.log));
    const checks: CheckBenchResult[] = [];
    for (const c of opts.cases.filter((k) => k.kind === "check")) {
      const history = { branches: c.branches, sessions: c.customers, operations: c.customers * c.events, seed: 1 };
      checks.push(await runCheckBench({ name: c.name, history }, dir, opts.reps, opts.log));
    }
    return { durable: opts.durable, machine: { cpus: availableParallelism(), node: process.version }, cases, checks };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const line = (cells: string[]) => `| ${cells.join(" | ")} |`;

function table(head: string[], rows: string[][]): string[] {
  return [line(head), line(head.map(() => "---")), ...rows.map(line)];
}

const ok = (c: CaseReport) => (c.converged && c.violations === 0 ? "clean" : `NO (${c.violations} violations)`);

export function formatBenchTable(r: BenchReport): string {
  const runs = r.cases.filter((c) => c.kind !== "startup");
  const starts = r.cases.filter((c) => c.kind === "startup");
  const out: string[] = [`${r.machine.cpus} cores, Node ${r.machine.node}; branches ${r.durable ? "durable (log + fdatasync)" : "in memory (--no-durable)"} unless the case says mem; medians`, ""];
  if (runs.length > 0) {
    out.push(...table(
      ["case", "mode", "wall s", "bare-call limit s", "× limit", "ops/s", "CPU-ms/op", "CPU-ms/op beyond start-up", "lat p50/p99 ms", "start ms", "RSS MB", "req B", "history"],
      runs.map((c) => [
        c.name, c.kind === "sequential" ? `sequential${c.durable ? "" : ", mem"}` : "concurrent", (c.wallMs / 1000).toFixed(2), (c.bareWallMs / 1000).toFixed(2), c.timesBare.toFixed(2),
        c.opsPerSec.toFixed(0), c.cpuMsPerOp.toFixed(2), c.marginalCpuMsPerOp === undefined ? "" : c.marginalCpuMsPerOp.toFixed(2),
        `${c.latencyP50Ms}/${c.latencyP99Ms}`, c.startupMs.toFixed(0), c.peakRssMb.toFixed(0), c.requestBytes.toFixed(0), ok(c),
      ]),
    ), "");
  }
  if (starts.length > 0) {
    out.push(...table(
      ["case", "servers", "bank-sim CPU s", "floor CPU s", "× floor", "bank-sim wall s", "floor wall s"],
      starts.map((c) => [c.name, String(c.branches), (c.cpuMs / 1000).toFixed(2), (c.bareCpuMs / 1000).toFixed(2), (c.cpuMs / c.bareCpuMs).toFixed(2), (c.wallMs / 1000).toFixed(2), (c.bareWallMs / 1000).toFixed(2)]),
    ), "");
  }
  const grown = runs.filter((c) => c.growth !== undefined);
  if (grown.length > 0) {
    out.push(...table(
      ["case", "ops at 10%", "peak RSS MB at 10%", "ops", "peak RSS MB", "RSS growth KB/op", "check of its history wall s / CPU s"],
      grown.map((c) => [
        c.name, String(c.growth?.opsAtTenth), c.growth?.peakRssMbAtTenth.toFixed(0) ?? "", String(c.customers * c.events), c.peakRssMb.toFixed(0),
        c.growth?.kbPerOp.toFixed(2) ?? "", `${(c.checkWallMs / 1000).toFixed(1)} / ${(c.checkCpuMs / 1000).toFixed(1)}`,
      ]),
    ), "");
  }
  if (r.checks.length > 0) out.push(formatCheckBenchTable(r.checks));
  return out.join("\n");
}
