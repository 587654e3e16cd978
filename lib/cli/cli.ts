// bank-sim's command line: `run` a scenario on a real cluster, `gen` a random
// scenario, `check` a recorded history. `main(argv)` returns the exit code;
// the one process.exit is at the bottom of bin/bank-sim. Exit codes: 0 ok,
// 1 the run or the check failed, 2 bad input or usage (for check: a malformed
// history), 3 check only: the history is incomplete (the run was cut short)
// and what it holds has no violations, 130 interrupted.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { GRID, LONG_CASES, QUICK_GRID, type BenchCase } from "../bench/bench-cases.js";
import { Command, CommanderError, Option } from "commander";
import { formatReport, reportJson } from "../checker/report.js";
import { HistoryError } from "../checker/checker.js";
import { checkHistoryFile } from "../checker/check-file.js";
import { ScenarioError } from "../scenario/fixture-error.js";
import { HistoryFileError } from "../history/reader.js";
import { parseScenario, validateBranchCount } from "../scenario/fixture.js";
import { DEFAULT_MIX, generateScenario, parseMix } from "../scenario/gen.js";
import { MAX_SCENARIO_BYTES } from "../core/limits.js";
import { formatMoneyText } from "../core/money.js";
import { parseMoney } from "../scenario/amount.js";
import { formatJsonCompact } from "../scenario/output.js";
import { parseJsonText } from "../scenario/fixture-json.js";
import { gradeP2 } from "../scenario/p2-grade.js";
import { DEFAULTS, resolveRunConfig, UsageError, type RawRunFlags } from "../run/run-config.js";
import { runScenario } from "../run/run.js";
import { OutDirError } from "../run/out-dir.js";
import { StorageError } from "../storage/storage-error.js";
import { readScenarioText } from "./read-scenario.js";
import { progressOn, type Progress } from "./progress.js";
import { plural, runStory } from "./run-story.js";
import type { CheckReport } from "../checker/checker.js";
import { processIo, type Io } from "./stdio.js";
import { addClusterCommand, addServeCommand, servedCluster } from "./served-commands.js";
import { ClusterFileError, loadClusterFile, type ClusterSpec } from "../cluster/cluster-file.js";
import { ServeUsageError } from "../serve/serve.js";
import { StoreLockedError } from "../serve/serve-lock.js";
import type { Scenario } from "../scenario/scenario.js";
import { pathToFileURL } from "node:url";

/** The version in package.json (two levels above dist/lib/cli/). */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

const HELP_AFTER = `
Examples:
  bank-sim run examples/mw.json                        a course scenario; outputs in out/
  bank-sim run examples/anomalies/ryw.json --guarantees none --delay 1-2:400ms
                                                       see Read Your Writes broken
  bank-sim gen --branches 10 --customers 10 --events 100 | bank-sim run - --concurrent
  bank-sim check out                                   judge a run from its history alone
  bank-sim report out                                  write out/report.html: the run as a diagram, anomalies marked
  bank-sim run p2_input.json && bank-sim grade-p2 out/output.all.json
                                                       Project 2: Lamport clocks, graded by the course's rules

Exit codes:
  0  success          1  the run or the check failed (or stdout could not be written)
  2  bad input or usage (names the file and the place)
  3  check: the history is incomplete (the run was cut short)
  130  interrupted`;

export { exitWhenFlushed } from "./stdio.js";

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function intArg(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new UsageError(`${name}: expected a whole number, found ${JSON.stringify(value)}`);
    return n;
  };
}

type SetCode = (code: number) => void;
type RunFlags = RawRunFlags & { branches?: number; quiet?: boolean; report?: boolean; cluster?: string; insecure?: boolean };
type GenFlags = { branches: number; customers: number; events: number; seed: number; mix: string; balance: string };
type BenchFlags = { quick?: boolean; case?: string; reps: number; json: string; durable: boolean };
type CheckFlags = { json?: boolean; limit: number; quiet?: boolean };
type ReportFlags = Record<string, never>;

/** After a run, the checker reads the history for the summary only up to this many operations (beyond, `bank-sim check` does it). */
const STORY_CHECK_MAX_OPS = 100_000;

/** Progress on stderr: only on a terminal, never with --quiet, nor with -v (whose lines would tear the bar). */
function progressFor(io: Io, opts: { quiet?: boolean; verbose?: boolean }): Progress {
  return progressOn(io.progressStream ?? (process.stderr as NodeJS.WriteStream), io.progressStream !== undefined && opts.quiet !== true && opts.verbose !== true);
}
type GradeFlags = { json?: boolean; strict?: boolean };

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let code = 0;
  const setCode: SetCode = (c) => {
    code = c;
  };
  const program = new Command("bank-sim")
    .description("A replicated bank on real gRPC servers in worker threads: run course scenarios, see what each session guarantee buys, check recorded histories.")
    .exitOverride()
    // Commander's own errors ("error: unknown option ...") get the same "bank-sim: " prefix as ours.
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (text, write) => write(text.replace(/^error: /, "bank-sim: ")) })
    .showHelpAfterError("(run with --help for usage)")
    .version(packageVersion(), "-V, --version", "print bank-sim's version")
    .addHelpText("after", HELP_AFTER);
  addRunCommand(program, io, setCode);
  addGenCommand(program, io);
  addBenchCommand(program, io, setCode);
  addCheckCommand(program, io, setCode);
  addServeCommand(program, io, setCode);
  addClusterCommand(program, io, setCode);
  addGradeCommand(program, io, setCode);
  addReportCommand(program, io);
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    return exitCodeFor(err, io);
  }
  return code;
}

function addRunCommand(program: Command, io: Io, setCode: SetCode): void {
  program.command("run")
    .description("Run a scenario file on a cluster of branches and write output.json, results.json, history.jsonl and branch logs.")
    .argument("<scenario>", "scenario JSON file (course format); - reads it from standard input")
    .option("-b, --branches <n>", "run on branches 1..N, each with the file's starting balance", intArg("--branches"))
    .option("-o, --out <dir>", "output directory", DEFAULTS.outDir)
    .option("-g, --guarantees <list>", "session guarantees the branches enforce: all, none, or a list of mw,ryw,mr,wfr", DEFAULTS.guarantees)
    .option("--concurrent", "run all customers at once (default: one after another, with a quiescence barrier between them)")
    .option("--overdraft-guard <mode>", "none: a withdraw is decided where it is sent (concurrent customers can overdraw); home: every withdraw is decided by the lowest-numbered branch", "none")
    .option("--faults <plan>", "inject faults: loss=0.05, dup=0.05, reorder=0.2 (replication batches), partition=1.2|3@300ms:800ms, crash=2@400ms:600ms (crash, then restart from its log), crash-worker=2@400ms:600ms (terminate its worker thread); comma-separated, seeded by --seed")
    .option("--no-durable", "keep branch state in memory only (no log under <out>/store, no crash recovery)")
    .option("--delay <spec>", "inject propagation delay: 150ms, 20..200ms (seeded random), 2-1:500ms (only from branch 2 to replica 1); comma-separated rules")
    .option("--seed <n>", "seed for random delays, fault choices and the customers' retry jitter", String(DEFAULTS.seed))
    .option("-w, --workers <n>", "worker threads hosting the branches (default: min(branches, cores, 4))")
    .option("--base-port <p>", "branch i listens on port P+i (default: any free port)")
    .option("--host <addr>", "address the branches listen on", DEFAULTS.bindHost)
    .option("--gate-timeout <ms>", "how long a branch holds a request at the session gate before refusing it", String(DEFAULTS.gateTimeoutMs))
    .option("--strict", "treat warnings in the scenario (duplicate event ids) as errors")
    .option("-v, --verbose", "also print every branch's log lines, prefixed with the branch")
    .option("-q, --quiet", "print only the one-line summary: no progress, no account of what happened")
    .option("--report", "also write <out>/report.html, the run's space-time diagram with the checker's findings (as `bank-sim report <out>`)")
    .option("--cluster <file>", "drive an already-running served cluster (bank-sim serve) instead of starting one; its guarantees are the default")
    .option("--insecure", "with --cluster: plaintext gRPC (loopback only)")
    .action(async (file: string, opts: RunFlags, cmd: Command) => {
      if (opts.cluster !== undefined && cmd.getOptionValueSource("guarantees") === "default") delete opts.guarantees;
      setCode(await runCommand(file, opts, io, cmd));
    });
}

function addGenCommand(program: Command, io: Io): void {
  program.command("gen")
    .description("Print a valid random scenario (random target branches) to stdout.")
    .requiredOption("--branches <n>", "branches", intArg("--branches"))
    .requiredOption("--customers <n>", "customers", intArg("--customers"))
    .requiredOption("--events <n>", "events per customer", intArg("--events"))
    .option("--seed <n>", "random seed", intArg("--seed"), 1)
    .addOption(new Option("--mix <weights>", "relative weights, e.g. deposit=4,withdraw=3,query=3").default(`deposit=${DEFAULT_MIX.deposit},withdraw=${DEFAULT_MIX.withdraw},query=${DEFAULT_MIX.query}`))
    .option("--balance <amount>", "every branch's starting balance", "400")
    .action((opts: GenFlags) => genCommand(opts, io));
}

function addBenchCommand(program: Command, io: Io, setCode: SetCode): void {
  program.command("bench")
    .description("Run the benchmark grid (generated workloads, --guarantees all, concurrent or one customer after another), each run in its own process and checked, interleaved with the bare-call limit (the same servers, workers, calls and calls in flight doing nothing); print a table and write JSON.")
    .option("--quick", "tiny cases, one repetition: proves the benchmark runs (no timing meaning)")
    .option("--case <names>", `run these cases (comma-separated, in that order): ${[...GRID, ...LONG_CASES].map((c) => c.name).join(", ")}; or netns-4h (a served cluster of 4 hosts in network namespaces, 1 ms netem delay; needs root); or seed (against the Python seed project: BANK_SIM_SEED_DIR=<its clone>); or fanout (one host's CPU per replica per write, 10 to 500 replicas)`)
    .option("--reps <n>", "repetitions per case (medians are reported)", intArg("--reps"), 3)
    .option("--json <file>", "where to write the JSON report", "out/bench.json")
    .option("--no-durable", "run the branches in memory only (to measure what durability costs)")
    .action(async (opts: BenchFlags) => {
      setCode(await benchCommand(opts, io));
    });
}

function addCheckCommand(program: Command, io: Io, setCode: SetCode): void {
  program.command("check")
    .description("Check a recorded history (an out directory or a history.jsonl) for session-guarantee violations, convergence and exactly-once application, using nothing but the history.")
    .argument("<history>", "out directory of a run, or its history.jsonl")
    .option("--json", "print the report as JSON")
    .option("--limit <n>", "entries shown per rule in the text report", intArg("--limit"), 20)
    .option("-q, --quiet", "no progress on stderr while a big history is read")
    .addHelpText("after", `
Exit codes: 0 no violations; 1 violations (of guarantees that were on, or of
invariants that always hold); 2 a malformed history or bad usage; 3 the
history is incomplete (the run was cut short) and what it holds has no
violations. Anomalies of guarantees that were off never fail the check.`)
    .action(async (path: string, opts: CheckFlags) => {
      setCode(await checkCommand(path, opts, io));
    });
}

function addGradeCommand(program: Command, io: Io, setCode: SetCode): void {
  program.command("grade-p2")
    .description("Check one of Project 2's three output parts (customers' events, branches' events, or all events; bank-sim's or anyone's) against the course's Lamport clock rules, counting the events that meet them.")
    .argument("<file>", "a Project 2 output part, e.g. out/output.json, out/output.branches.json or out/output.all.json")
    .option("--json", "print {part, correct, total, errors, lamport} as JSON")
    .option("--strict", "also fail on Lamport's rules the course's graders do not count (a receipt not above its send)")
    .addHelpText("after", `
The count is the course grader's; Lamport's rules beyond it are listed apart.
Exit codes: 0 every event meets the rules (with --strict, Lamport's too);
1 some do not; 2 a file that is not one of the three parts, or bad usage.`)
    .action(async (file: string, opts: GradeFlags) => {
      setCode(await gradeCommand(file, opts, io));
    });
}

async function gradeCommand(file: string, opts: GradeFlags, io: Io): Promise<number> {
  const source = file === "-" ? "<stdin>" : file;
  const grade = gradeP2(parseJsonText(await readScenarioText(file, MAX_SCENARIO_BYTES), source), source);
  if (opts.json) io.out(JSON.stringify(grade, null, 2) + "\n");
  else {
    for (const e of grade.errors.slice(0, 50)) io.out(`  ${e}\n`);
    if (grade.errors.length > 50) io.out(`  ... and ${grade.errors.length - 50} more\n`);
    const part = { customers: "customers' events", branches: "branches' events", all: "all events" }[grade.part];
    io.out(`${source}: ${part}: ${grade.correct} of ${grade.total} events meet the course's rules\n`);
    if (grade.lamport.length > 0) {
      io.out(`Lamport's rules beyond the course's count: ${grade.lamport.length} event${grade.lamport.length === 1 ? "" : "s"} break them\n`);
      for (const e of grade.lamport.slice(0, 50)) io.out(`  ${e}\n`);
      if (grade.lamport.length > 50) io.out(`  ... and ${grade.lamport.length - 50} more\n`);
    }
  }
  return grade.correct === grade.total && (!opts.strict || grade.lamport.length === 0) ? 0 : 1;
}

function addReportCommand(program: Command, io: Io): void {
  program.command("report")
    .description("Write <out dir>/report.html: one self-contained page (no network) with the run's space-time diagram, the checker's findings on it, and plots of latency, gate wait, propagation lag and throughput.")
    .argument("<out dir>", "out directory of a run (or its history.jsonl)")
    .action(async (path: string, _opts: ReportFlags) => {
      await reportCommand(path, io);
    });
}

async function reportCommand(path: string, io: Io): Promise<void> {
  // Loaded only when asked for: every other command starts without the report's modules.
  const { writeReport } = await import("../report/write-report.js");
  const { openInBrowser } = await import("./open-page.js");
  const r = await writeReport(path);
  const c = r.model.counts;
  const url = pathToFileURL(r.path).href;
  const opened = openInBrowser(url);
  io.out(`bank-sim: wrote ${r.path} (${(r.bytes / 1024).toFixed(0)} KiB; ${plural(r.model.ops.length, "operation")}, ${plural(c.violations, "violation")}, ${plural(c.anomalies, "anomaly", "anomalies")}, ${plural(c.findings, "finding")}); ${opened ? "opening" : "open"} ${url}\n`);
}

function exitCodeFor(err: unknown, io: Io): number {
  if (err instanceof Exit) return err.code;
  if (err instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof ClusterFileError || err instanceof ServeUsageError || err instanceof StoreLockedError ||
    err instanceof ScenarioError || err instanceof UsageError || err instanceof HistoryFileError || err instanceof HistoryError || err instanceof OutDirError) {
    io.err(`bank-sim: ${err.message}\n(run with --help for usage)\n`);
    return 2;
  }
  if (err instanceof StorageError) {
    io.err(`bank-sim: cannot write ${err.message}\n`);
    return 1;
  }
  const e = err as Error;
  io.err(`bank-sim: ${e.stack ?? e.message}\n`);
  return 1;
}

/** What a run on a served cluster cannot take, and what it must agree with (the branches, the starting balance). */
function checkServedRun(spec: ClusterSpec, scenario: Scenario, opts: RunFlags, cmd: Command): void {
  const inProcess = ["faults", "delay", "workers", "basePort", "host", "gateTimeout", "durable"].filter((k) => cmd.getOptionValueSource(k) === "cli");
  if (inProcess.length > 0) {
    const flag = inProcess[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new UsageError(`--cluster: --${flag === "durable" ? "no-durable" : flag} configures an in-process cluster; a served cluster is configured by its file (faults: kill its processes, tc netem on its links)`);
  }
  const want = [...spec.branches.keys()].sort((a, b) => a - b).join(",");
  const have = [...scenario.branches].sort((a, b) => a - b).join(",");
  if (want !== have) throw new UsageError(`--cluster: the scenario's branches (${have}) must be the cluster's (${want}); --branches ${spec.branches.size} runs it on all of them`);
  if (scenario.initialBalanceCents !== spec.initialBalanceCents) {
    throw new UsageError(`--cluster: the scenario starts every branch with ${formatMoneyText(scenario.initialBalanceCents)}, the cluster with ${formatMoneyText(spec.initialBalanceCents)}`);
  }
}

async function runCommand(file: string, opts: RunFlags, io: Io, cmd?: Command): Promise<number> {
  const text = await readScenarioText(file, MAX_SCENARIO_BYTES);
  const spec = opts.cluster !== undefined ? loadClusterFile(opts.cluster) : undefined;
  if (opts.insecure && !spec) throw new UsageError("--insecure: only with --cluster");
  if (spec && opts.guarantees === undefined) opts.guarantees = spec.guarantees.join(",") || "none";
  const options: { branches?: number; strict?: boolean } = { strict: opts.strict ?? false };
  if (opts.branches !== undefined) options.branches = opts.branches;
  const scenario = parseScenario(text, file === "-" ? "<stdin>" : file, options);
  for (const w of scenario.warnings) io.err(`bank-sim: warning: ${w}\n`);
  const cfg = resolveRunConfig(opts, scenario.branches);
  if (spec && cmd) checkServedRun(spec, scenario, opts, cmd);
  const served = spec ? servedCluster(spec, opts.insecure ?? false, io) : undefined;
  if (spec) {
    cfg.gateTimeoutMs = spec.gateTimeoutMs;
    // Hosts of a served cluster are killed and restarted from outside: customers ride that out as they do planned crashes.
    cfg.attemptsMax = 12;
  }

  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) {
      io.err(`bank-sim: ${sig} again: exiting now\n`);
      process.exit(130);
    }
    io.err(`bank-sim: ${sig}: stopping the cluster (press again to force)\n`);
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const progress = progressFor(io, opts);
  try {
    const report = await runScenario(scenario, cfg, { log: (l) => io.err(l + "\n"), signal: abort.signal, progress }, served);
    progress.stop();
    const s = report.summary;
    const balances = [...new Set(report.finals.map((f) => f.balanceCents))].map(formatMoneyText).join(" / ");
    if (abort.signal.aborted) {
      io.err(`bank-sim: interrupted; cluster stopped; partial results in ${cfg.outDir}/results.json\n`);
      return 130;
    }
    if (!report.ok && report.usage) {
      io.err(`bank-sim: ${report.error}\n(run with --help for usage)\n`);
      return 2;
    }
    if (!report.ok) {
      const written = !report.error?.includes(`cannot write ${cfg.outDir}/results.json`);
      io.err(`bank-sim: run failed: ${report.error}\n${written ? `(see ${cfg.outDir}/results.json and ${cfg.outDir}/branches/)\n` : ""}`);
      if (opts.quiet !== true) io.err(runStory(report, undefined, cfg.guarantees, cfg.outDir).join("\n") + "\n");
      return 1;
    }
    io.out(
      `bank-sim: ${scenario.source}: ${s.operations} operations on ${scenario.branches.length} branch${scenario.branches.length === 1 ? "" : "es"} ` +
        `(${cfg.concurrent ? "concurrent" : "sequential"}, guarantees ${cfg.guarantees.join(",") || "none"}) ` +
        `in ${(s.wallMs / 1000).toFixed(2)} s; converged, balance ${balances} everywhere; ` +
        `wrote ${cfg.outDir}/output.json${scenario.shape === "p2" ? " (customers' events), output.branches.json and output.all.json" : ""}\n`,
    );
    if (opts.quiet !== true) io.out((await storyOfRun(report, cfg.guarantees, cfg.outDir, progress)).join("\n") + "\n");
    if (opts.report) await reportCommand(cfg.outDir, io);
    return 0;
  } finally {
    progress.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** The learner's account of a run that succeeded, with what the checker finds in its history (small histories only). */
async function storyOfRun(report: Parameters<typeof runStory>[0], guarantees: readonly string[], outDir: string, progress: Progress): Promise<string[]> {
  let check: CheckReport | undefined;
  let skipped: string | undefined;
  if (report.summary.operations > STORY_CHECK_MAX_OPS) {
    skipped = `the history is too big to check here (${report.summary.operations} operations): bank-sim check ${outDir} judges it`;
  } else {
    try {
      check = await checkHistoryFile(join(outDir, "history.jsonl"), progress, true);
    } catch (err) {
      skipped = `the checker could not read the history: ${(err as Error).message}`;
    } finally {
      progress.stop();
    }
  }
  return runStory(report, check, guarantees, outDir, skipped);
}

function genCommand(opts: GenFlags, io: Io): void {
  // Same rules as amounts in scenario files; text that is not a number is refused first (Number("") is 0).
  const balanceCents = parseMoney(/^\s*[\d.]+\s*$/.test(opts.balance) ? Number(opts.balance) : opts.balance, "--balance");
  validateBranchCount(opts.branches);
  let scenario: unknown[];
  try {
    scenario = generateScenario({
      branches: opts.branches, customers: opts.customers, events: opts.events, seed: opts.seed,
      mix: parseMix(opts.mix), balanceCents,
    });
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  const text = formatJsonCompact(scenario);
  // What gen writes, run must be able to read.
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_SCENARIO_BYTES) {
    throw new UsageError(`gen: the scenario would be ${bytes} bytes, more than run reads (${MAX_SCENARIO_BYTES}); ask for fewer customers or events`);
  }
  io.out(text);
}

/** bench's exit code: 1 when a case did not converge or had violations. */
async function benchCommand(opts: BenchFlags, io: Io): Promise<number> {
  // The served-cluster case needs root and network namespaces: it runs only when asked for by name.
  if (opts.reps < 1) throw new UsageError(`--reps: expected at least 1, found ${opts.reps}`);
  const names = opts.case === undefined ? undefined : opts.case.split(",").map((n) => n.trim()).filter((n) => n !== "");
  const alone = names?.find((n) => n === "netns-4h" || n === "seed" || n === "fanout");
  if (alone !== undefined && names!.length > 1) throw new UsageError(`--case: ${alone} runs on its own, not with other cases`);
  const log = (l: string) => io.err(`bench: ${l}\n`);
  // The JSON report beside the printed table; exit 1 unless every run was clean.
  const report = (json: unknown, table: string, clean: boolean): number => {
    mkdirSync(dirname(opts.json), { recursive: true });
    writeFileSync(opts.json, JSON.stringify(json, null, 2) + "\n");
    io.out(table);
    io.out(`(JSON in ${opts.json})\n`);
    return clean ? 0 : 1;
  };
  if (opts.case === "netns-4h") {
    const { formatNetnsTable, runNetnsBench } = await import("../bench/netns-bench.js");
    const r = await runNetnsBench(log);
    return report(r, formatNetnsTable(r), r.rows.every((x) => x.converged && x.violations === 0));
  }
  if (opts.case === "seed") {
    const { formatSeedTable, runSeedBench } = await import("../bench/seed-bench.js");
    const r = await runSeedBench(opts.reps, log);
    return report(r, formatSeedTable(r), r.sides.every((x) => (x.violations ?? 0) === 0));
  }
  if (opts.case === "fanout") {
    const { formatFanoutTable, runFanoutBench } = await import("../bench/fanout-bench.js");
    const r = await runFanoutBench(opts.reps, log);
    return report(r, formatFanoutTable(r), true);
  }
  let cases: readonly BenchCase[] = opts.quick ? QUICK_GRID : GRID;
  if (names !== undefined) {
    const all = [...GRID, ...LONG_CASES, ...QUICK_GRID];
    cases = names.map((n) => {
      const c = all.find((k) => k.name === n);
      if (c === undefined) throw new UsageError(`--case: expected one of ${all.map((k) => k.name).join(", ")} (or several, comma-separated), netns-4h, seed or fanout, found ${JSON.stringify(n)}`);
      return c;
    });
    if (cases.length === 0) throw new UsageError("--case: expected a case name, found nothing");
  }
  const { formatBenchTable, runBench } = await import("../bench/bench.js");
  const r = await runBench({ cases, reps: opts.quick ? 1 : opts.reps, durable: opts.durable, log });
  return report(r, formatBenchTable(r), r.cases.every((c) => c.converged && c.violations === 0));
}

/** check's exit codes: 0 ok, 1 violations, 3 incomplete without violations (2, a malformed history, is thrown). */
const CHECK_EXIT = { ok: 0, failed: 1, incomplete: 3 } as const;

async function checkCommand(path: string, opts: CheckFlags, io: Io): Promise<number> {
  const progress = progressFor(io, opts);
  let report: CheckReport;
  try {
    report = await checkHistoryFile(path, progress);
  } finally {
    progress.stop();
  }
  io.out(opts.json ? JSON.stringify(reportJson(report), null, 2) + "\n" : formatReport(report, { limitPerRule: opts.limit }));
  return CHECK_EXIT[report.verdict];
}
