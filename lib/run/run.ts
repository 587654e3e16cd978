// One run of a scenario on a real cluster, as a list of steps: prepare the
// out dir, start the cluster (or, with --cluster, reach a served one that
// holds no writes yet), drive the customers while the planned crashes
// happen, settle (quiescence, then the convergence check), stop, and write
// results.json and output.json. Each step's logic is a module of its own
// (out-dir, drive, crash-plan, settle, summary, run-recorder); this one holds
// what the steps share, and stops the cluster on every path.

import type { BranchState } from "../core/branch.js";
import { Cluster, type ClusterOptions } from "../cluster/cluster.js";
import { BranchClients } from "../driver/branch-clients.js";
import type { ServedCluster } from "../driver/served-cluster.js";
import { formatWriteId } from "../core/version-vector.js";
import type { LinkStats, ToMain } from "../hosting/worker-protocol.js";
import { courseOutputOf, formatJsonCompact } from "../scenario/output.js";
import { allEventsPart, branchPart } from "../scenario/p2-output.js";
import { p2EventsOfHistory } from "./p2-events.js";
import type { EventOutcome, Scenario } from "../scenario/scenario.js";
import { CourseAnswers } from "./course-answers.js";
import type { NotableOutcomes } from "./notable.js";
import { ResultsFile } from "./results-file.js";
import { clusterCrashTarget, startCrashes, type CrashTarget } from "./crash-plan.js";
import { CustomerTally, driveCustomers } from "./drive.js";
import { Interruption } from "./interruption.js";
import { claimOutDir, outPaths, writeOutputs } from "./out-dir.js";
import { newSecret } from "../wire/auth.js";
import { crashPlanConflict } from "../core/fault-plan.js";
import type { StorageError } from "../storage/storage-error.js";

/** What was asked cannot be done here: a fault plan this placement cannot carry out, a port or address that cannot be had. */
class PlanError extends Error {
  override name = "PlanError";
}
import { eventEntry, resultsHead, type RunSummary } from "./results.js";
import type { RunConfig } from "./run-config.js";
import { RunRecorder } from "./run-recorder.js";
import { customerSessions } from "./sessions.js";
import { settle, type Settlement } from "./settle.js";
import { incompleteOperationsError, summarize, type PhaseTimes } from "./summary.js";

export interface RunReport {
  ok: boolean;
  /** Why the run failed, when it did. */
  error?: string;
  /** The failure is a usage error: the run could not do what was asked (a crash plan this placement cannot carry out). */
  usage: boolean;
  /** The operations the run's account names (the first few of each kind, with counts). */
  notable: NotableOutcomes;
  finals: BranchState[];
  converged: boolean;
  summary: RunSummary;
  outDir: string;
}

export interface RunIo {
  log: (line: string) => void;
  /** Ctrl-C: the run stops driving and waiting, and stops the cluster. */
  signal?: AbortSignal;
  /** Told how far each step has come (the CLI draws it on a terminal). */
  progress?: RunProgress;
  /** Told of each operation as it completes (the run itself keeps none: they go to results.json as they come). */
  onOutcome?: (o: EventOutcome) => void;
}

/** What a run tells of its progress: a phase of `total` units, then each unit done. */
export interface RunProgress {
  phase(label: string, total: number, unit: string): void;
  advance(by?: number): void;
}

const NO_PROGRESS: RunProgress = { phase: () => undefined, advance: () => undefined };

/** `served`: drive that already-running cluster (bank-sim serve) instead of starting one. */
export async function runScenario(scenario: Scenario, cfg: RunConfig, io: RunIo, served?: ServedCluster): Promise<RunReport> {
  const startedMs = performance.now();
  const outDir = claimOutDir(cfg.outDir);
  let run: ScenarioRun | undefined;
  try {
    run = new ScenarioRun(scenario, cfg, io, startedMs, served);
    try {
      const live = await run.start();
      await run.drive(live);
      await run.settle(live.cluster);
    } catch (err) {
      run.fail(err as Error);
    } finally {
      await run.stop();
    }
    return await run.finish();
  } finally {
    run?.discardSpool();
    outDir.release();
  }
}

/** What the steps need of a cluster: one of worker threads (Cluster), or a served one (ServedCluster). */
type RunCluster = Pick<Cluster, "awaitApplied" | "epoch" | "workerOf">;

interface Live {
  cluster: RunCluster;
  clients: BranchClients;
}

const NO_LINK_STATS: LinkStats = { links: 0, messages: 0, writes: 0, reconnects: 0, backlog: 0, resent: 0, lost: 0, duplicated: 0, reordered: 0, partitioned: 0 };

/** A served cluster's processes are crashed from outside (kill -9), never by the run. */
const noCrash = (): Promise<never> => Promise.reject(new Error("a served cluster's hosts are not crashed by the run"));
const NO_CRASHES: CrashTarget = { crash: noCrash, crashWorker: noCrash, restart: noCrash };

/** What the steps of one run share, and the steps. */
class ScenarioRun {
  private readonly scenario: Scenario;
  private readonly cfg: RunConfig;
  private readonly startedMs: number;
  /** The operations the scenario's customers will make. */
  private readonly planned: number;
  private readonly recorder: RunRecorder;
  private readonly interruption: Interruption;
  private readonly tally: CustomerTally;
  /** results.json's events, written as they complete. */
  private readonly results: ResultsFile;
  /** What output.json needs of each event. */
  private readonly answers: CourseAnswers;
  private readonly progress: RunProgress;
  private readonly times: PhaseTimes = { startupMs: 0, customersMs: 0, settleMs: 0, stopMs: 0 };
  /** Set as soon as each exists, so stop() undoes whatever started. */
  private cluster: Cluster | undefined;
  private readonly served: ServedCluster | undefined;
  private clients: BranchClients | undefined;
  private settlement: Settlement = { finals: [], converged: false };
  private links: LinkStats = NO_LINK_STATS;
  private error: string | undefined;
  /** The error is the user's: a plan this run cannot carry out (exit 2). */
  private usage = false;

  constructor(scenario: Scenario, cfg: RunConfig, io: RunIo, startedMs: number, served?: ServedCluster) {
    this.served = served;
    this.scenario = scenario;
    this.cfg = cfg;
    this.startedMs = startedMs;
    this.planned = scenario.customers.reduce((n, r) => n + r.events.length, 0);
    this.interruption = new Interruption(io.signal);
    const progress = (this.progress = io.progress ?? NO_PROGRESS);
    const onStorageError = (err: StorageError) => this.interruption.stop(new Error(`cannot write ${err.message}; the run stops`));
    this.results = new ResultsFile(cfg.outDir, onStorageError);
    this.answers = new CourseAnswers(scenario);
    this.tally = new CustomerTally((o) => {
      this.results.add(eventEntry(o));
      this.answers.record(o);
      io.onOutcome?.(o);
      progress.advance();
    }, this.planned);
    this.recorder = new RunRecorder(scenario, cfg, outPaths(cfg.outDir), cfg.verbose ? io.log : undefined, onStorageError);
  }

  /** Starts the cluster and connects to every branch the scenario targets, all at once rather than on the customers' critical path. */
  async start(): Promise<Live> {
    if (this.served) return this.startServed(this.served);
    this.progress.phase("starting branches", this.scenario.branches.length, "branches ready");
    const onMessage = (msg: ToMain) => {
      if (msg.type === "ready") this.progress.advance();
      if (msg.type === "failed") this.interruption.stop(new Error(`branch ${msg.branchId} stopped serving, so the run stops: its log failed: ${msg.reason}`));
      this.recorder.onMessage(msg);
    };
    let cluster: Cluster;
    try {
      cluster = this.cluster = await Cluster.start(clusterOptions(this.scenario, this.cfg, onMessage));
    } catch (err) {
      // A port or an address the user chose (--base-port, --host) that cannot be had is theirs to change.
      const message = (err as Error).message;
      if (/cannot listen on /.test(message)) throw new PlanError(`--${this.cfg.basePort > 0 ? "base-port" : "host"}: ${message}`);
      throw err;
    }
    const clients = (this.clients = new BranchClients(cluster.addresses, cluster.secret));
    await clients.connect(new Set(this.scenario.customers.flatMap((r) => r.events.map((e) => e.branch))), this.cfg.startTimeoutMs);
    this.times.startupMs = performance.now() - this.startedMs;
    return { cluster, clients };
  }

  /**
   * A served cluster is already up: it must hold no writes yet (a history
   * judges a cluster from its start), then the customers connect to it.
   */
  private async startServed(served: ServedCluster): Promise<Live> {
    const states = await served.awaitApplied(new Map(), this.cfg.startTimeoutMs);
    const busy = states.filter((s) => s.issued > 0 || s.applied.size > 0);
    if (busy.length > 0) {
      throw new PlanError(`--cluster: the served cluster already holds writes (branch ${busy.map((s) => `${s.branch}: ${s.issued} issued`).join(", ")}); ` +
        "a run's history is judged from the cluster's start: restart its hosts with empty stores");
    }
    const clients = (this.clients = new BranchClients(served.addresses, served.secret, served.tls));
    await clients.connect(new Set(this.scenario.customers.flatMap((r) => r.events.map((e) => e.branch))), this.cfg.startTimeoutMs);
    this.times.startupMs = performance.now() - this.startedMs;
    return { cluster: served, clients };
  }

  /** Customers start now (fault schedules count from here): drives them while the planned crashes happen. */
  async drive({ cluster, clients }: Live): Promise<void> {
    // Only now is the placement of branches on workers known: refuse a crash plan it cannot carry out.
    const conflict = crashPlanConflict(this.cfg.faults, (b) => cluster.workerOf(b));
    if (conflict) throw new PlanError(conflict);
    this.progress.phase("customers", this.planned, "operations");
    const t0 = performance.now();
    const epochWallMs = Date.now();
    cluster.epoch(epochWallMs);
    const crashes = startCrashes(
      this.cluster ? this.cfg.faults.crashes : [],
      this.cluster ? clusterCrashTarget(this.cluster, clients, epochWallMs) : NO_CRASHES,
      { sleep: (ms) => new Promise((r) => setTimeout(r, ms)), elapsedMs: () => performance.now() - t0 },
      (line) => this.recorder.fault(line),
    );
    try {
      await driveCustomers(this.scenario, this.cfg, {
        session: customerSessions(this.cfg, clients, this.recorder.history, this.tally.sizes),
        barrier: (acked) => cluster.awaitApplied(acked, this.cfg.barrierTimeoutMs),
        interruption: this.interruption,
        tally: this.tally,
      });
    } finally {
      crashes.stop();
    }
    this.times.customersMs = performance.now() - t0;
    const crashError = await this.interruption.race(crashes.settled);
    if (crashError) throw new Error(`fault injection failed: ${crashError.message}`);
  }

  /** Waits until every branch has every write, checks that the replicas agree, and records their final states. */
  async settle(cluster: RunCluster): Promise<void> {
    this.progress.phase("settling (every branch applies every write)", this.scenario.branches.length, "branches");
    const t1 = performance.now();
    this.settlement = await settle(cluster, this.cfg.barrierTimeoutMs, this.interruption);
    this.progress.advance(this.scenario.branches.length);
    if (this.settlement.error !== undefined) this.error = this.settlement.error;
    if (this.served) await this.recordServedApplies(this.served);
    this.recorder.recordFinals(this.settlement.finals);
    this.times.settleMs = performance.now() - t1;
  }

  /** A served branch's applies are not heard as they happen: read from each branch's applied log once it settled. */
  private async recordServedApplies(served: ServedCluster): Promise<void> {
    const logs = await this.interruption.race(served.appliedLogs(this.cfg.barrierTimeoutMs));
    for (const [branch, entries] of logs) {
      for (const e of entries) {
        this.recorder.recordApplied(branch, [{ id: formatWriteId(e.write.id), kind: e.write.kind, amountCents: e.write.amountCents, acceptedAtMs: e.write.acceptedAtMs }], e.wallMs, e.monoMs);
      }
    }
  }

  fail(err: Error): void {
    this.error = err.message;
    if (err instanceof PlanError) this.usage = true;
  }

  /** Closes the clients and stops the cluster, then closes the logs and the history (no branch message can come after). */
  async stop(): Promise<void> {
    this.clients?.close();
    this.served?.close();
    if (this.cluster) this.progress.phase("stopping the cluster", this.scenario.branches.length, "branches");
    const t2 = performance.now();
    if (this.cluster) this.links = await this.cluster.stop();
    this.times.stopMs = performance.now() - t2;
    await this.recorder.close();
    await this.results.close();
  }

  /** Removes results.json's spool of events (written into results.json by finish, or left over from a failure). */
  discardSpool(): void {
    this.results.discard();
  }

  /** The verdict, results.json and (for a run that succeeded) output.json, and for Project 2 input its other two parts. */
  async finish(): Promise<RunReport> {
    const { scenario, cfg } = this;
    const { finals, converged } = this.settlement;
    // A step's error comes first; without one, operations that did not complete may fail the run.
    let error = this.error;
    if (!error) error = incompleteOperationsError(this.tally, cfg.faults) ?? error;
    const ok = error === undefined;
    const summary = summarize({
      wallMs: performance.now() - this.startedMs, times: this.times, tally: this.tally, lag: this.recorder.lag, links: this.links,
      finals, faultEvents: this.recorder.faultEvents, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    });
    try {
      const results = this.results.parts(resultsHead({ scenario, cfg, finals, converged, ok, error, summary }));
      const p2 = ok && scenario.shape === "p2" ? await p2Parts(scenario, outPaths(cfg.outDir).history) : undefined;
      writeOutputs(cfg.outDir, results, ok ? formatJsonCompact(courseOutputOf(scenario, this.answers.outcomeOf)) : undefined, p2);
    } catch (err) {
      // The reason the run failed comes first; that its results could not be written, after.
      const cannot = `cannot write ${(err as Error).message}`;
      error = error === undefined ? cannot : `${error}; and ${cannot}`;
    }
    const report: RunReport = { ok: error === undefined, notable: this.tally.notable, finals, converged, summary, outDir: cfg.outDir, usage: this.usage };
    if (error !== undefined) report.error = error;
    return report;
  }
}

/** Project 2's branches' part and all-events part, from the run's history (its customers' part is output.json). */
async function p2Parts(scenario: Scenario, historyPath: string): Promise<{ branches: string; all: string }> {
  const events = await p2EventsOfHistory(scenario, historyPath);
  return { branches: formatJsonCompact(branchPart(events, scenario.branches)), all: formatJsonCompact(allEventsPart(events)) };
}

/** The cluster a run asks for: the scenario's branches, the run's settings, its store under the out dir when durable. */
export function clusterOptions(scenario: Scenario, cfg: RunConfig, onMessage: (msg: ToMain) => void): ClusterOptions {
  return {
    branchIds: scenario.branches,
    initialBalanceCents: scenario.initialBalanceCents,
    workers: cfg.workers,
    bindHost: cfg.bindHost,
    basePort: cfg.basePort,
    gateTimeoutMs: cfg.gateTimeoutMs,
    batchMax: cfg.batchMax,
    inFlightMax: cfg.inFlightMax,
    delaySpec: cfg.delaySpec,
    delaySeed: cfg.seed,
    startTimeoutMs: cfg.startTimeoutMs,
    ackTimeoutMs: cfg.ackTimeoutMs,
    storeDir: cfg.durable ? outPaths(cfg.outDir).store : "",
    faults: cfg.faults,
    // A fresh secret per run: only this run's customers and hosts can call its branches.
    secret: newSecret(),
    onMessage,
  };
}
