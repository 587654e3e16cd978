// One run of a scenario on a real cluster: start the branches, drive the
// customers (one after another with a quiescence barrier between them, or all
// at once with --concurrent), wait until every branch has applied every write,
// verify that the replicas converged, and write output.json, results.json,
// history.jsonl and the branch logs. The cluster is stopped on every path.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BranchState } from "../core/branch.js";
import { BranchLogs } from "./branch-logs.js";
import { Cluster } from "../cluster/cluster.js";
import { BranchClients } from "../driver/branch-clients.js";
import { RequestSizes, Session } from "../driver/customer.js";
import { seededRandom, streamSeed } from "../core/random.js";
import { guaranteesToBits } from "../core/gate.js";
import { ApplyRecorder } from "./apply-recorder.js";
import { HistoryWriter } from "../history/writer.js";
import { LatencyStats, PropagationLag } from "./latency-stats.js";
import { courseOutput, formatJsonCompact } from "../scenario/output.js";
import { buildResults, type RunSummary } from "./results.js";
import type { RunConfig } from "./run-config.js";
import type { CustomerRun, EventOutcome, Scenario } from "../scenario/scenario.js";
import { addWrite, equal, parseWriteId, type VersionVector } from "../core/version-vector.js";
import { toJson } from "../history/vector-json.js";
import type { LinkStats, ToMain } from "../hosting/worker-protocol.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RunReport {
  ok: boolean;
  /** Why the run failed, when it did. */
  error?: string;
  outcomes: EventOutcome[];
  finals: BranchState[];
  converged: boolean;
  summary: RunSummary;
  outDir: string;
}

const ARTIFACTS = ["output.json", "results.json", "history.jsonl", "branches", "store"];

export async function runScenario(
  scenario: Scenario,
  cfg: RunConfig,
  io: { log: (line: string) => void; signal?: AbortSignal },
): Promise<RunReport> {
  const started = performance.now();
  mkdirSync(cfg.outDir, { recursive: true });
  for (const a of ARTIFACTS) rmSync(join(cfg.outDir, a), { recursive: true, force: true });

  const history = new HistoryWriter(join(cfg.outDir, "history.jsonl"));
  history.write({
    type: "meta", version: 1, source: scenario.source, branches: scenario.branches,
    initialBalanceCents: scenario.initialBalanceCents, guarantees: cfg.guarantees, concurrent: cfg.concurrent,
    wallMs: Date.now(), monoMs: performance.timeOrigin + performance.now(),
  });
  const logs = new BranchLogs(join(cfg.outDir, "branches"), cfg.verbose ? io.log : undefined);
  const lag = new PropagationLag(scenario.branches.length);
  const applies = new ApplyRecorder(history, lag, cfg.faults.crashes.length > 0);
  const faultLog: string[] = [];
  const onMessage = (msg: ToMain) => {
    if (msg.type === "events") {
      for (const [wallMs, line] of msg.logs) logs.line(msg.branchId, wallMs, line);
      applies.add(msg.branchId, msg.applied, msg.wallMs, msg.monoMs);
    } else if (msg.type === "recovered") {
      faultLog.push(`branch ${msg.branchId} recovered ${msg.applied.length} writes and ${msg.outcomes} outcomes from its log` +
        (msg.cutBytes > 0 ? `, cutting ${msg.cutBytes} bytes (${msg.cutReason ?? ""})` : ""));
      applies.add(msg.branchId, msg.applied, Date.now(), performance.timeOrigin + performance.now());
    }
  };

  const outcomes: EventOutcome[] = [];
  const latency = new LatencyStats();
  const sizes = new RequestSizes();
  const gateWait = new LatencyStats();
  let finals: BranchState[] = [];
  let converged = false;
  let error: string | undefined;
  let cluster: Cluster | undefined;
  let clients: BranchClients | undefined;
  let startupMs = 0;
  let customersMs = 0;
  let settleMs = 0;
  let stopMs = 0;
  let links: LinkStats = { links: 0, messages: 0, writes: 0, reconnects: 0, backlog: 0, resent: 0, lost: 0, duplicated: 0, reordered: 0, partitioned: 0 };
  try {
    cluster = await Cluster.start({
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
      storeDir: cfg.durable ? join(cfg.outDir, "store") : "",
      faults: cfg.faults,
      onMessage,
    });
    const c = new BranchClients(cluster.addresses);
    clients = c;
    // Connect to every branch the scenario targets now, in parallel, rather
    // than one connection at a time on the customers' critical path.
    await c.connect(new Set(scenario.customers.flatMap((r) => r.events.map((e) => e.branch))), cfg.startTimeoutMs);
    startupMs = performance.now() - started;
    const acked: VersionVector = new Map();
    const home = Math.min(...scenario.branches);
    const sessions = new Map<number, Session>();
    const bits = guaranteesToBits(cfg.guarantees);
    const retry = { attemptsMax: cfg.attemptsMax, backoffMsMin: cfg.backoffMsMin, backoffMsMax: cfg.backoffMsMax, callTimeoutMs: cfg.gateTimeoutMs + 5_000 };
    const sessionOf = (id: number) => {
      let s = sessions.get(id);
      if (!s) sessions.set(id, (s = new Session(`c${id}`, bits, c, retry, history, seededRandom(streamSeed(cfg.seed, id)), sizes)));
      return s;
    };
    const runCustomer = async (run: CustomerRun) => {
      const session = sessionOf(run.customerId);
      for (const [eventIndex, event] of run.events.entries()) {
        if (io.signal?.aborted) throw new Error("interrupted");
        // With the guard, one branch decides every withdraw, so no two branches
        // approve debits against the same funds without seeing each other.
        const target = cfg.overdraftGuard === "home" && event.interface === "withdraw" ? home : event.branch;
        const o = await session.perform(event.interface, event.amountCents, target);
        if (o.writeId) addWrite(acked, parseWriteId(o.writeId));
        latency.record(o.latencyMs);
        gateWait.record(o.gateWaitMs);
        outcomes.push({ customerId: run.customerId, objectIndex: run.objectIndex, eventIndex, event, ...o, ...(target === event.branch ? {} : { servedBy: target }) });
      }
    };
    const running = cluster;
    // Ctrl-C must not wait for a barrier (which may wait on long delays).
    const interrupted = new Promise<never>((_, reject) => {
      if (io.signal?.aborted) reject(new Error("interrupted"));
      io.signal?.addEventListener("abort", () => reject(new Error("interrupted")), { once: true });
    });
    interrupted.catch(() => undefined);
    const unlessInterrupted = <T>(p: Promise<T>) => Promise.race([p, interrupted]);
    const barrier = () => unlessInterrupted(running.awaitApplied(acked, cfg.barrierTimeoutMs));

    const t0 = performance.now();
    const epochWallMs = Date.now();
    running.epoch(epochWallMs);
    let stopFaults = false;
    const crashes = Promise.all(cfg.faults.crashes.map(async (f) => {
      await sleep(f.atMs);
      if (stopFaults) return;
      let down = [f.branch];
      let hostPort = 0;
      if (f.scope === "worker") {
        ({ branches: down, hostPort } = await running.crashWorker(f.branch));
        faultLog.push(`terminated the worker of branch ${f.branch} (branches ${down.join(", ")}) at ${Math.round(performance.now() - t0)} ms`);
      } else {
        await running.crash(f.branch);
        faultLog.push(`crashed branch ${f.branch} at ${Math.round(performance.now() - t0)} ms`);
      }
      await sleep(f.restartAfterMs);
      for (const b of down) {
        const address = await running.restart(b, epochWallMs, hostPort);
        c.setAddress(b, address);
        faultLog.push(`restarted branch ${b} at ${Math.round(performance.now() - t0)} ms on ${address}`);
      }
    }));
    // Observed at once, so a failed crash or restart is never an unhandled rejection.
    const crashesSettled = crashes.then(() => undefined, (err: Error) => err);
    try {
      if (cfg.concurrent) {
        const bySession = new Map<number, CustomerRun[]>();
        for (const run of scenario.customers) bySession.set(run.customerId, [...(bySession.get(run.customerId) ?? []), run]);
        // Every session finishes (or fails) before the run goes on: none keeps writing history after it closes.
        const results = await unlessInterrupted(Promise.allSettled([...bySession.values()].map(async (runs) => {
          for (const run of runs) await runCustomer(run);
        })));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) throw failed.reason;
      } else {
        for (const run of scenario.customers) {
          await unlessInterrupted(runCustomer(run));
          await barrier();
        }
      }
    } finally {
      stopFaults = true;
    }
    customersMs = performance.now() - t0;
    const crashError = await unlessInterrupted(crashesSettled);
    if (crashError) throw new Error(`fault injection failed: ${crashError.message}`);
    const t1 = performance.now();

    // Quiescence: every branch applies every write any branch issued
    // (acknowledged or not), then all replicas must agree.
    const before = await unlessInterrupted(cluster.awaitApplied(new Map(), cfg.barrierTimeoutMs));
    const issued: VersionVector = new Map(before.filter((s) => s.issued > 0).map((s) => [s.branch, s.issued]));
    finals = await unlessInterrupted(cluster.awaitApplied(issued, cfg.barrierTimeoutMs));
    const first = finals[0];
    const disagree = finals.filter((s) => !first || s.balanceCents !== first.balanceCents || !equal(s.applied, first.applied));
    converged = disagree.length === 0;
    if (!converged) {
      error = `replicas did not converge: ${finals.map((s) => `branch ${s.branch} balance ${s.balanceCents}c applied ${JSON.stringify(toJson(s.applied))}`).join("; ")}`;
    }
    applies.flush();
    for (const s of finals) history.write({ type: "final", branch: s.branch, balanceCents: s.balanceCents, applied: toJson(s.applied) });
    settleMs = performance.now() - t1;
  } catch (err) {
    error = (err as Error).message;
  } finally {
    clients?.close();
    const t2 = performance.now();
    if (cluster) links = await cluster.stop();
    stopMs = performance.now() - t2;
    await logs.close();
    applies.flush();
    await history.close();
  }

  const failedOps = outcomes.filter((o) => o.status !== "ok");
  // Under injected faults an operation may end failed or unknown by design (it
  // is recorded as such); without faults, that is a failure of the run.
  const faultsPlanned = cfg.faults.crashes.length + cfg.faults.partitions.length > 0 || cfg.faults.loss > 0;
  if (!error && failedOps.length > 0 && !faultsPlanned) {
    error = `${failedOps.length} operation(s) did not complete; first: ${failedOps[0]?.error ?? ""}`;
  }
  const ok = error === undefined;
  const summary: RunSummary = {
    wallMs: performance.now() - started,
    startupMs,
    customersMs,
    settleMs,
    stopMs,
    operations: outcomes.length,
    opsPerSec: customersMs > 0 ? (outcomes.length / customersMs) * 1000 : 0,
    latency: latency.summary(),
    gateWait: gateWait.summary(),
    propagationLag: lag.stats.summary(),
    links,
    writes: finals.reduce((n, f) => n + f.issued, 0),
    requestBytes: Math.round(sizes.mean),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    faults: {
      events: faultLog,
      retries: outcomes.reduce((n, o) => n + o.attempts - 1, 0),
      unknownOutcomes: outcomes.filter((o) => o.status === "unknown").length,
      failedOperations: outcomes.filter((o) => o.status === "failed").length,
    },
  };
  writeFileSync(join(cfg.outDir, "results.json"), JSON.stringify(buildResults({ scenario, cfg, outcomes, finals, converged, ok, error, summary }), null, 2) + "\n");
  if (ok) writeFileSync(join(cfg.outDir, "output.json"), formatJsonCompact(courseOutput(scenario, outcomes)));
  const report: RunReport = { ok, outcomes, finals, converged, summary, outDir: cfg.outDir };
  if (error !== undefined) report.error = error;
  return report;
}

