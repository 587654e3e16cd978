// The benchmark case `seed`: bank-sim against the seed, the Python CSE 531
// Project 3 that this project's scenario files first came from
// (CliffordCheefoon/C.Cheefoon-ASU-CSE_531-Project_3: a grpcio server process
// per branch, customers one after another, each write propagated to every
// branch, a 2 s sleep at start-up), on the seed's own workload: 10 branches,
// 10 customers × 100 events, customer i at branch i. The seed runs
// unmodified (its `main.main(file)` in a fresh copy of the clone, since it
// writes its output and logs inside its own folder), from a clone the user
// names with BANK_SIM_SEED_DIR; nothing of it is shipped here. Each
// repetition runs the seed, then bank-sim durable, then bank-sim in memory
// (interleaved), each a cold process timed from spawn to exit; bank-sim's
// histories go through the checker. The report is the seed's wall time over
// bank-sim's.

import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkHistoryFile } from "../checker/check-file.js";
import type { RunSummary } from "../run/results.js";
import { DEFAULT_MIX, generateScenario } from "../scenario/gen.js";
import { cleanUpOnSignal, median, timed } from "./timed.js";

const BIN = process.env["BANK_SIM_BENCH_BIN"] || fileURLToPath(new URL("../../../bin/bank-sim", import.meta.url));
const SEED_REPO = "https://github.com/CliffordCheefoon/C.Cheefoon-ASU-CSE_531-Project_3";
const WORKLOAD = { branches: 10, customers: 10, events: 100 };
/** The seed takes seconds on its workload; past this (BANK_SIM_SEED_TIMEOUT_MS, default 2 minutes) it is stuck, not slow. */
const SEED_TIMEOUT_MS = Number(process.env["BANK_SIM_SEED_TIMEOUT_MS"]) || 120_000;
/** Where the seed's branch servers listen (its PORT_OFFSET, 50000, plus each branch id). */
const SEED_PORTS = `50001-${50000 + WORKLOAD.branches}`;

export interface SeedSide {
  side: string;
  /** Every repetition's wall time, spawn to exit, ms. */
  wallMs: number[];
  medianWallMs: number;
  /** bank-sim's median CPU, all threads; null for the seed (its branch servers are killed, not reaped, so their CPU cannot be counted). */
  medianCpuMs: number | null;
  latencyP50Ms: number | null;
  violations: number | null;
}

export interface SeedReport {
  case: "seed";
  seedDir: string;
  python: string;
  workload: typeof WORKLOAD;
  sides: SeedSide[];
  /** The seed's median wall time over bank-sim's (durable, then in memory). */
  seedOverDurable: number;
  seedOverMemory: number;
}

/** The clone and the Python to run it with, or why the case cannot run. */
function seedSetup(): { dir: string; python: string } {
  const dir = process.env["BANK_SIM_SEED_DIR"];
  if (!dir) throw new Error(`seed: set BANK_SIM_SEED_DIR to a clone of ${SEED_REPO} (git clone ${SEED_REPO})`);
  if (!existsSync(join(dir, "main.py")) || !existsSync(join(dir, "branch.py"))) throw new Error(`seed: ${dir}: no main.py and branch.py there; expected a clone of ${SEED_REPO}`);
  const python = process.env["BANK_SIM_SEED_PYTHON"] || (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
  return { dir, python };
}

/** The seed's workload as a P3 file with `dest`: customer i at branch i (the seed's parser needs `dest`). */
function workloadFile(dir: string, seed: number): string {
  const doc = generateScenario({ ...WORKLOAD, seed, mix: DEFAULT_MIX, shape: "recv" }) as Array<{ id: number; type: string; events?: Array<Record<string, unknown>> }>;
  for (const o of doc) for (const e of o.events ?? []) e["dest"] = o.id;
  const file = join(dir, `seed-workload-${seed}.json`);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

/** Runs the seed once on `file` in a fresh copy of the clone; resolves with its wall time. Its process group is killed if it outlives its run. */
function runSeedOnce(setup: { dir: string; python: string }, file: string, dir: string, running: Set<number>): Promise<number> {
  const copy = mkdtempSync(join(dir, "seed-copy-"));
  cpSync(setup.dir, copy, { recursive: true, filter: (src) => !src.endsWith("/.git") });
  const started = performance.now();
  const child = spawn(setup.python, ["-c", "import sys, main; main.main(sys.argv[1])", file], { cwd: copy, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  if (child.pid !== undefined) running.add(child.pid);
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
  return new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    // A seed whose branch server could not bind its port waits for it for ever: end it, and say so.
    const timer = setTimeout(() => {
      killGroup(child.pid);
      reject(new Error(`seed: the seed did not finish within ${SEED_TIMEOUT_MS / 1000} s (it takes seconds): its branch servers listen on ports ${SEED_PORTS}, and one that cannot bind leaves it waiting; check that those ports are free`));
    }, SEED_TIMEOUT_MS);
    // On exit, not on close: a branch server it left running would hold its stderr open.
    child.on("exit", (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      // Its branch servers are its children: none may outlive the run.
      killGroup(child.pid);
      if (child.pid !== undefined) running.delete(child.pid);
      const output = join(copy, "tests", "output", "output.json");
      if (code !== 0 || !existsSync(output)) reject(new Error(`seed: the seed exited ${code} without its output (${setup.python} with grpcio, protobuf and jsonpickle needed: apt-get install python3-grpcio python3-protobuf python3-jsonpickle)\n${stderr}`));
      else resolve(wallMs);
    });
  }).finally(() => rmSync(copy, { recursive: true, force: true }));
}

/** One bank-sim run on the seed's workload: its usage, latency p50 and its history's violations. */
interface BankSimRun { wallMs: number; cpuMs: number; p50: number | null; violations: number }

async function runBankSimOnce(file: string, dir: string, memory: boolean): Promise<BankSimRun> {
  const out = join(dir, `bank-sim-out-${memory ? "mem" : "durable"}`);
  try {
    const u = await timed([BIN, "run", file, "--guarantees", "all", "--quiet", "--out", out, ...(memory ? ["--no-durable"] : [])], join(dir, "usage.json"));
    if (u.code !== 0) throw new Error(`seed: bank-sim exited ${u.code}\n${u.stderr}`);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as { summary: RunSummary };
    const report = await checkHistoryFile(out);
    return { wallMs: u.wallMs, cpuMs: u.cpuMs, p50: results.summary.latency.p50Ms, violations: report.counts.violations };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const r2 = (x: number) => Math.round(x * 100) / 100;
/** A ratio to three significant digits: a quick stand-in against a slow run stays above 0. */
const ratio = (a: number, b: number) => Number((a / b).toPrecision(3));

/** Kills the process group a detached child leads (the seed and its branch servers). */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

export async function runSeedBench(reps: number, log: (line: string) => void): Promise<SeedReport> {
  const setup = seedSetup();
  const dir = mkdtempSync(join(tmpdir(), "bank-sim-seed-"));
  // The seed runs in a process group of its own, which Ctrl-C at the terminal does not reach: take it down here.
  const running = new Set<number>();
  const cleanup = () => {
    for (const pid of running) killGroup(pid);
    rmSync(dir, { recursive: true, force: true });
  };
  const release = cleanUpOnSignal(cleanup);
  try {
    const seed: number[] = [];
    const bank: { durable: BankSimRun[]; memory: BankSimRun[] } = { durable: [], memory: [] };
    for (let rep = 1; rep <= reps; rep++) {
      log(`seed: repetition ${rep} of ${reps}...`);
      const file = workloadFile(dir, rep);
      seed.push(await runSeedOnce(setup, file, dir, running));
      bank.durable.push(await runBankSimOnce(file, dir, false));
      bank.memory.push(await runBankSimOnce(file, dir, true));
    }
    const side = (name: string, runs: readonly BankSimRun[]): SeedSide => ({
      side: name, wallMs: runs.map((r) => r2(r.wallMs)), medianWallMs: r2(median(runs.map((r) => r.wallMs))), medianCpuMs: r2(median(runs.map((r) => r.cpuMs))),
      latencyP50Ms: r2(median(runs.map((r) => r.p50 ?? 0))), violations: runs.reduce((n, r) => n + r.violations, 0),
    });
    const seedSide: SeedSide = { side: "seed (Python, unmodified)", wallMs: seed.map(r2), medianWallMs: r2(median(seed)), medianCpuMs: null, latencyP50Ms: null, violations: null };
    const durable = side("bank-sim, durable", bank.durable);
    const memory = side("bank-sim, --no-durable", bank.memory);
    return {
      case: "seed", seedDir: setup.dir, python: setup.python, workload: WORKLOAD, sides: [seedSide, durable, memory],
      seedOverDurable: ratio(seedSide.medianWallMs, durable.medianWallMs), seedOverMemory: ratio(seedSide.medianWallMs, memory.medianWallMs),
    };
  } finally {
    release();
    cleanup();
  }
}

export function formatSeedTable(r: SeedReport): string {
  const w = r.workload;
  const lines = [
    `seed: ${w.branches} branches, ${w.customers} customers × ${w.events} events one after another, customer i at branch i; bank-sim with --guarantees all; medians`,
    "| side | wall s (each) | wall s | CPU s | latency p50 ms | violations |", "|---|---|---|---|---|---|",
  ];
  for (const s of r.sides) {
    const cpu = s.medianCpuMs === null ? "-" : (s.medianCpuMs / 1000).toFixed(2);
    lines.push(`| ${s.side} | ${s.wallMs.map((x) => (x / 1000).toFixed(2)).join(", ")} | ${(s.medianWallMs / 1000).toFixed(2)} | ${cpu} | ${s.latencyP50Ms ?? "-"} | ${s.violations ?? "-"} |`);
  }
  lines.push("", `the seed takes ${r.seedOverDurable}x bank-sim's wall time (durable), ${r.seedOverMemory}x (in memory)`);
  return lines.join("\n") + "\n";
}
