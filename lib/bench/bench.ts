// `bank-sim bench`: a fixed grid of generated workloads, each run as its own
// process (cold, like a user runs it) so wall time is end to end and CPU time
// and peak RSS are the run's own (rss-probe.ts); every run's history goes
// through the checker. Beside each run, in the same repetition (interleaved),
// the bare-call limit (bare-limit.ts): the same servers, workers, stubs, calls
// and calls in flight with nothing behind them; bank-sim's wall time is
// reported as a multiple of it. Cases of kind "startup" compare a run with no
// operations with the limit's start-up (the floor); kind "check" runs no
// cluster: it times `bank-sim check` on a synthetic history (check-bench.ts).
// The JSON report (schemas/bench-report.schema.json) keeps every repetition,
// when the benchmark ran and on what machine, beside the medians.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkHistoryFile } from "../checker/check-file.js";
import { generateScenario, DEFAULT_MIX } from "../scenario/gen.js";
import type { RunSummary } from "../run/results.js";
import type { BareLimitResult } from "./bare-limit.js";
import { formatCheckBenchTable, runCheckBench, type CheckBenchResult } from "./check-bench.js";
import { thisMachine, type Machine } from "./machine.js";
import { cleanUpOnSignal, median, timed, type Usage } from "./timed.js";
import type { BenchCase } from "./bench-cases.js";
import { scalingRows } from "./scaling.js";

/** The bench JSON's format version (schemas/bench-report.schema.json). */
export const BENCH_VERSION = 1;

interface RunOnce extends Usage {
  exitCode: number | null;
  summary: RunSummary;
  converged: boolean;
  violations: number;
  /** Checking the run's history (`bank-sim check`'s work, in this process): wall and CPU. */
  checkWallMs: number;
  checkCpuMs: number;
  anomalies: number;
}

/** The bank-sim measured: this one, or another build's bin/bank-sim (BANK_SIM_BENCH_BIN), to compare two builds side by side. */
const BIN = process.env["BANK_SIM_BENCH_BIN"] || fileURLToPath(new URL("../../../bin/bank-sim", import.meta.url));
const BARE = fileURLToPath(new URL("./bare-limit.js", import.meta.url));

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
    const u = await timed([BIN, "run", file, ...mode, "--guarantees", "all", "--quiet", "--out", out, ...memory], join(dir, "usage.json"));
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
      wallMs: u.wallMs, cpuMs: u.cpuMs, peakRssMb: u.peakRssMb, exitCode: u.code, summary: results.summary, converged: results.converged,
      violations: report.counts.violations, anomalies: report.counts.anomalies, checkWallMs: performance.now() - checkStart, checkCpuMs: (cpu.user + cpu.system) / 1000,
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

/** Medians over a case's repetitions; names as in results.json's summary. A figure no repetition had is null. */
export interface CaseMedians {
  wallMs: number; cpuMs: number; opsPerSec: number;
  /** The bare-call limit's process, same calls, and bank-sim's wall time as a multiple of it. */
  bareWallMs: number; bareCpuMs: number; timesBare: number | null;
  /** The bare calls' own latency p50 (beside bank-sim's operations' latency). */
  bareLatencyP50Ms: number | null;
  /** CPU per operation, whole process (null with no operations); and beyond a run with no operations (marginal cases, else null). */
  cpuMsPerOp: number | null; marginalCpuMsPerOp: number | null;
  latency: { p50Ms: number | null; p99Ms: number | null; maxMs: number | null };
  propagationLag: { p50Ms: number | null; p99Ms: number | null };
  gateWait: { p99Ms: number | null; meanMs: number | null };
  startupMs: number; peakRssMb: number; requestBytes: number;
  /** Checking the run's history (`bank-sim check`'s work, in the bench's process). */
  checkWallMs: number; checkCpuMs: number;
  /** Growth cases: peak RSS of the same case with a tenth of the events, and the RSS each operation beyond those added; else null. */
  growth: {
    opsAtTenth: number; peakRssMbAtTenth: number; kbPerOp: number;
    /** Resident memory the run read at a quarter and at all of its operations, and what each operation between added (null when it read none). */
    rssMbAtQuarter: number | null; rssMbAtEnd: number | null; kbPerOpPastWarmUp: number | null;
  } | null;
}

/** One repetition as it ran: the run, and the bare-call limit beside it. */
export interface CaseRun {
  rep: number; exitCode: number | null; wallMs: number; cpuMs: number; peakRssMb: number;
  bareWallMs: number; bareCpuMs: number; bareLatencyP50Ms: number | null; emptyCpuMs: number | null;
  /** Peak RSS of the run with a tenth of the events beside it (growth cases), else null. */
  tenthPeakRssMb: number | null;
  checkWallMs: number; checkCpuMs: number;
  converged: boolean; violations: number; anomalies: number; summary: RunSummary;
}

export interface CaseReport {
  name: string; kind: string; branches: number; customers: number; events: number; reps: number; durable: boolean;
  median: CaseMedians;
  converged: boolean; violations: number;
  runs: CaseRun[];
}

export interface BenchReport {
  version: typeof BENCH_VERSION;
  /** When the benchmark started and finished (ISO 8601, UTC). */
  startedAt: string;
  finishedAt: string;
  durable: boolean;
  machine: Machine;
  cases: CaseReport[];
  checks: CheckBenchResult[];
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** The median of the figures the repetitions have, rounded to 0.01; null when none has it. */
function pick<T>(xs: readonly T[], f: (x: T) => number | null): number | null {
  const ys = xs.map(f).filter((y): y is number => y !== null && Number.isFinite(y));
  return ys.length === 0 ? null : r2(median(ys));
}

function medians(c: BenchCase, runs: readonly CaseRun[]): CaseMedians {
  const ops = c.customers * c.events;
  const wallMs = pick(runs, (r) => r.wallMs) ?? 0;
  const cpuMs = pick(runs, (r) => r.cpuMs) ?? 0;
  const bareWallMs = pick(runs, (r) => r.bareWallMs) ?? 0;
  const l = (f: (s: RunSummary) => number | null) => pick(runs, (r) => f(r.summary));
  return {
    wallMs, cpuMs, opsPerSec: l((s) => s.opsPerSec) ?? 0,
    bareWallMs, bareCpuMs: pick(runs, (r) => r.bareCpuMs) ?? 0, timesBare: bareWallMs > 0 ? r2(wallMs / bareWallMs) : null,
    bareLatencyP50Ms: pick(runs, (r) => r.bareLatencyP50Ms),
    cpuMsPerOp: ops ? r2(cpuMs / ops) : null,
    marginalCpuMsPerOp: c.marginal && ops ? pick(runs, (r) => (r.emptyCpuMs === null ? null : (r.cpuMs - r.emptyCpuMs) / ops)) : null,
    latency: { p50Ms: l((s) => s.latency.p50Ms), p99Ms: l((s) => s.latency.p99Ms), maxMs: l((s) => s.latency.maxMs) },
    propagationLag: { p50Ms: l((s) => s.propagationLag.p50Ms), p99Ms: l((s) => s.propagationLag.p99Ms) },
    gateWait: { p99Ms: l((s) => s.gateWait.p99Ms), meanMs: l((s) => s.gateWait.meanMs) },
    startupMs: l((s) => s.startupMs) ?? 0, peakRssMb: pick(runs, (r) => r.peakRssMb) ?? 0, requestBytes: l((s) => s.requestBytes) ?? 0,
    checkWallMs: pick(runs, (r) => r.checkWallMs) ?? 0, checkCpuMs: pick(runs, (r) => r.checkCpuMs) ?? 0,
    growth: growthOf(c, runs),
  };
}

/**
 * What the operations added to memory (medians), for a growth case: to peak
 * RSS beyond a tenth of them (a separate, shorter run), and to the resident
 * memory the run itself read from a quarter of its operations to the last
 * (results.json's rssMbByQuarter; null from a build that does not read it).
 */
function growthOf(c: BenchCase, runs: readonly CaseRun[]): CaseMedians["growth"] {
  if (!c.growth) return null;
  const ops = c.customers * c.events;
  const opsAtTenth = c.customers * tenthOf(c.events);
  const peakRssMbAtTenth = pick(runs, (r) => r.tenthPeakRssMb) ?? 0;
  const kbPerOp = pick(runs, (r) => (r.tenthPeakRssMb === null || ops <= opsAtTenth ? null : ((r.peakRssMb - r.tenthPeakRssMb) * 1024) / (ops - opsAtTenth))) ?? 0;
  const quarters = (r: CaseRun) => (r.summary.rssMbByQuarter?.length === 4 ? r.summary.rssMbByQuarter : null);
  const rssMbAtQuarter = pick(runs, (r) => quarters(r)?.[0] ?? null);
  const rssMbAtEnd = pick(runs, (r) => quarters(r)?.[3] ?? null);
  const kbPerOpPastWarmUp = pick(runs, (r) => {
    const q = quarters(r);
    return q === null ? null : ((q[3]! - q[0]!) * 1024) / (ops * 0.75);
  });
  return { opsAtTenth, peakRssMbAtTenth, kbPerOp, rssMbAtQuarter, rssMbAtEnd, kbPerOpPastWarmUp };
}

const tenthOf = (events: number) => Math.max(1, Math.round(events / 10));

async function benchCase(c: BenchCase, reps: number, durable: boolean, dir: string, log: (line: string) => void): Promise<CaseReport> {
  const runs: CaseRun[] = [];
  for (let rep = 1; rep <= reps; rep++) {
    log(`${c.name}: repetition ${rep} of ${reps}...`);
    // Interleaved: the limit, then the run, then (marginal) the run with no operations, then (growth) the run with a tenth of the events.
    const bare = await bareOnce(c, dir);
    const run = await runOnce(c, c.events, dir, rep, durable);
    const empty = c.marginal ? await runOnce(c, 0, dir, rep, durable) : null;
    const tenth = c.growth ? await runOnce(c, tenthOf(c.events), dir, rep, durable) : null;
    runs.push({
      rep, exitCode: run.exitCode, wallMs: r2(run.wallMs), cpuMs: r2(run.cpuMs), peakRssMb: r2(run.peakRssMb),
      bareWallMs: r2(bare.wallMs), bareCpuMs: r2(bare.cpuMs), bareLatencyP50Ms: bare.result.latency.p50Ms, emptyCpuMs: empty ? r2(empty.cpuMs) : null,
      tenthPeakRssMb: tenth ? r2(tenth.peakRssMb) : null, checkWallMs: r2(run.checkWallMs), checkCpuMs: r2(run.checkCpuMs),
      converged: run.converged && run.exitCode === 0 && [empty, tenth].every((x) => x === null || (x.converged && x.exitCode === 0)),
      violations: run.violations + (empty?.violations ?? 0) + (tenth?.violations ?? 0), anomalies: run.anomalies, summary: run.summary,
    });
  }
  return {
    name: c.name, kind: c.kind ?? "run", branches: c.branches, customers: c.customers, events: c.events, reps, durable: durable && !c.inMemory,
    median: medians(c, runs),
    converged: runs.every((r) => r.converged),
    violations: runs.reduce((n, r) => n + r.violations, 0),
    runs,
  };
}

export async function runBench(opts: { cases: readonly BenchCase[]; reps: number; durable: boolean; log: (line: string) => void }): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const machine = thisMachine();
  const dir = mkdtempSync(join(tmpdir(), "bank-sim-bench-"));
  const release = cleanUpOnSignal(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const cases: CaseReport[] = [];
    for (const c of opts.cases.filter((k) => k.kind !== "check")) cases.push(await benchCase(c, opts.reps, opts.durable, dir, opts.log));
    const checks: CheckBenchResult[] = [];
    for (const c of opts.cases.filter((k) => k.kind === "check")) {
      const history = { branches: c.branches, sessions: c.customers, operations: c.customers * c.events, seed: 1 };
      checks.push(await runCheckBench({ name: c.name, history }, dir, opts.reps, opts.log));
    }
    return { version: BENCH_VERSION, startedAt, finishedAt: new Date().toISOString(), durable: opts.durable, machine, cases, checks };
  } finally {
    release();
    rmSync(dir, { recursive: true, force: true });
  }
}

const line = (cells: string[]) => `| ${cells.join(" | ")} |`;

function table(head: string[], rows: string[][]): string[] {
  return [line(head), line(head.map(() => "---")), ...rows.map(line)];
}

const f2 = (x: number | null) => (x === null ? "-" : x.toFixed(2));
const f0 = (x: number | null | undefined) => (x === null || x === undefined ? "-" : x.toFixed(0));
const ok = (c: CaseReport) => (c.converged && c.violations === 0 ? "clean" : `NO (${c.violations} violations)`);

export function formatBenchTable(r: BenchReport): string {
  const runs = r.cases.filter((c) => c.kind !== "startup");
  const starts = r.cases.filter((c) => c.kind === "startup");
  const out: string[] = [`${r.machine.cpus} cores, Node ${r.machine.node}; branches ${r.durable ? "durable (log + fdatasync)" : "in memory (--no-durable)"} unless the case says mem; medians`, ""];
  if (runs.length > 0) {
    out.push(...table(
      ["case", "mode", "wall s", "bare-call limit s", "× limit", "ops/s", "CPU-ms/op", "CPU-ms/op beyond start-up", "lat p50/p99 ms", "bare p50 ms", "start ms", "RSS MB", "req B", "history"],
      runs.map(({ median: m, ...c }) => [
        c.name, c.kind === "sequential" ? `sequential${c.durable ? "" : ", mem"}` : "concurrent", (m.wallMs / 1000).toFixed(2), (m.bareWallMs / 1000).toFixed(2), f2(m.timesBare),
        m.opsPerSec.toFixed(0), f2(m.cpuMsPerOp), m.marginalCpuMsPerOp === null ? "" : f2(m.marginalCpuMsPerOp),
        `${m.latency.p50Ms ?? "-"}/${m.latency.p99Ms ?? "-"}`, f2(m.bareLatencyP50Ms), m.startupMs.toFixed(0), m.peakRssMb.toFixed(0), m.requestBytes.toFixed(0), ok({ median: m, ...c }),
      ]),
    ), "");
  }
  const scaling = scalingRows(runs);
  if (scaling.length > 0) {
    out.push(...table(
      ["case", "CPU-ms/op beyond start-up", "against", "its CPU-ms/op", "× per operation"],
      scaling.map((s) => [s.name, f2(s.cpuMsPerOp), `${s.base.name} (${s.base.branches} branches)`, f2(s.base.cpuMsPerOp), f2(s.ratio)]),
    ), "");
  }
  if (starts.length > 0) {
    out.push(...table(
      ["case", "servers", "bank-sim CPU s", "floor CPU s", "× floor", "bank-sim wall s", "floor wall s"],
      starts.map(({ name, branches, median: m }) => [name, String(branches), (m.cpuMs / 1000).toFixed(2), (m.bareCpuMs / 1000).toFixed(2), (m.cpuMs / m.bareCpuMs).toFixed(2), (m.wallMs / 1000).toFixed(2), (m.bareWallMs / 1000).toFixed(2)]),
    ), "");
  }
  const grown = runs.filter((c) => c.median.growth !== null);
  if (grown.length > 0) {
    out.push(...table(
      ["case", "ops at 10%", "peak RSS MB at 10%", "ops", "peak RSS MB", "RSS growth KB/op", "RSS MB at 25% → 100% of ops, in the run", "KB/op past 25%", "check of its history wall s / CPU s"],
      grown.map(({ name, customers, events, median: m }) => [
        name, String(m.growth?.opsAtTenth), m.growth?.peakRssMbAtTenth.toFixed(0) ?? "", String(customers * events), m.peakRssMb.toFixed(0),
        m.growth?.kbPerOp.toFixed(2) ?? "", `${f0(m.growth?.rssMbAtQuarter)} → ${f0(m.growth?.rssMbAtEnd)}`, f2(m.growth?.kbPerOpPastWarmUp ?? null),
        `${(m.checkWallMs / 1000).toFixed(1)} / ${(m.checkCpuMs / 1000).toFixed(1)}`,
      ]),
    ), "");
  }
  if (r.checks.length > 0) out.push(formatCheckBenchTable(r.checks));
  return out.join("\n");
}
