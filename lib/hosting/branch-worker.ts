// The piscina task that hosts one branch in a worker thread. It builds the
// branch and its gRPC server on the worker's host, reports "ready" with the
// port it bound, takes the cluster topology, and stays pending until the main
// thread says "stop"; then it closes its server (and, with the last branch
// here, the host) and resolves. Branches stop by message, never by aborting
// the task, because an abort kills the whole worker and every branch in it.
// What the worker's branches share (the host, its configuration) lives in one
// WorkerHost per thread; what one branch holds lives in its HostedBranch.

import * as grpc from "@grpc/grpc-js";
import { threadId, workerData } from "node:worker_threads";
import { Branch, type CustomerOp, type Durable, type OpReply, type Recovered } from "../core/branch.js";
import type { Write } from "../core/ledger.js";
import { bindServer, shutdown } from "../wire/bind.js";
import { createBranchServer } from "./branch-server.js";
import { bitsToGuarantees, guaranteesToBits, parseGuarantees } from "../core/gate.js";
import { BranchStore } from "../storage/branch-store.js";
import { formatWriteId } from "../core/version-vector.js";
import { AppliedJournal } from "./applied-journal.js";
import { catchUp } from "./catch-up.js";
import { hostConfigFrom, WorkerHost, type HostLease } from "./worker-host.js";
import type { BranchReporter } from "./host-reports.js";
import type { BranchTask, HostConfig, StateJson, ToMain, ToWorker } from "./worker-protocol.js";
import { packVector, sameVector, unpackVector } from "./vector-frame.js";

// TEST-ONLY hook, for the mutation check in test/run/guarantees.test.ts: when
// the environment variable BANK_SIM_TEST_BREAK_GATE names guarantees ("mr",
// "ryw,mr", ...), every branch in this worker clears their bits from each
// customer request before its gate sees it, so it neither waits for them nor
// attaches their dependencies, while the run still records them as on. It
// exists only so a test can break the gate on purpose and show that the
// history checker catches it; never set it otherwise. Read once, when the
// worker loads this module (a worker thread copies process.env when created).
const BROKEN_GATE_BITS = guaranteesToBits(parseGuarantees(process.env["BANK_SIM_TEST_BREAK_GATE"] ?? "none"));

/** A branch whose gate ignores BROKEN_GATE_BITS (test-only, see above). */
class BrokenGateBranch extends Branch {
  override serve(op: CustomerOp): Promise<OpReply> {
    return super.serve({ ...op, guarantees: op.guarantees & ~BROKEN_GATE_BITS });
  }
}

/** This thread's hosting state, configured once from the pool's workerData. */
const hostConfig = hostConfigFrom(workerData);
const worker = new WorkerHost(hostConfig, hostConfig.hostId ?? threadId);
// grpc-js prints its own errors on stderr, where they would interleave with
// the CLI's messages: send them to a branch log instead.
grpc.setLogger({ error: (...args: unknown[]) => worker.grpcError(args) });

export default async function hostBranch(task: BranchTask): Promise<{ branchId: number; crashed: boolean }> {
  const hosted = await HostedBranch.open(task, worker);
  const ending = await hosted.serveUntilTold();
  if (ending === "crash") hosted.crash();
  else await hosted.stop();
  return { branchId: task.branchId, crashed: ending === "crash" };
}

type OpenedStore = ReturnType<typeof BranchStore.open>;

interface Parts {
  task: BranchTask;
  config: HostConfig;
  lease: HostLease;
  /** What this incarnation tells the main thread, its log lines too (through its thread's reports). */
  reporter: BranchReporter;
  opened: OpenedStore | undefined;
  branch: Branch;
  server: grpc.Server;
  address: string;
  /** Undoes the branch's registration for a worker crash. */
  forget: () => void;
}

/** One branch on this worker's host, from its start to its stop or crash. */
class HostedBranch {
  private readonly p: Parts;

  private constructor(parts: Parts) {
    this.p = parts;
  }

  /** Opens the branch's store, builds the branch and its server on the host, and binds it; on failure undoes all that. */
  static async open(task: BranchTask, worker: WorkerHost): Promise<HostedBranch> {
    const { branchId, control } = task;
    const config = worker.config;
    worker.reports.adopt(task.reports);
    const reports = worker.reports.forBranch(branchId);
    const log = (line: string) => reports.log(line);
    let joined: HostLease | undefined;
    let opened: OpenedStore | undefined;
    let forget = () => undefined as unknown;
    try {
      const lease = (joined = await worker.join(task.hostPort, log));
      opened = openStore(config, branchId, log);
      const store = opened?.store;
      const recovered: Recovered = opened?.recovered ?? { writes: [], outcomes: [] };
      // A served branch keeps what it applies for Bank.AppliedLog, beginning with what its log gave back.
      const journal = config.hostId !== undefined ? new AppliedJournal() : undefined;
      journal?.add(recovered.writes);
      const branch = new (BROKEN_GATE_BITS === 0 ? Branch : BrokenGateBranch)(
        { id: branchId, branchIds: config.branchIds, initialBalanceCents: config.initialBalanceCents, gateTimeoutMs: config.gateTimeoutMs, recovered },
        {
          propagate: (w) => lease.host.broadcast(w),
          applied: (ws, clocks, balanceAfter) => {
            reports.applied(ws, clocks, balanceAfter);
            journal?.add(ws);
          },
          buffered: (ws) => reports.held(ws),
          log,
          // Said at once, with the file and the cause: the main thread ends the run.
          failed: (reason) => reports.post({ type: "failed", branchId, reason }),
          ...(store ? { persist: (records: Durable[]) => store.persist(records), queue: (ws: readonly Write[]) => store.queue(ws) } : {}),
        },
      );
      // A failed unsynced append (a peer's write) fails the branch too: its log can no longer be trusted.
      store?.onFailure((err) => branch.fail(err.message));
      // Before the host can hand it anything: the history's restart mark must come before the new incarnation's events.
      if (task.restart) reports.post(recoveredMessage(task, opened));
      lease.host.addBranch(branch);
      if (BROKEN_GATE_BITS !== 0) log(`TEST HOOK BANK_SIM_TEST_BREAK_GATE: branch ${branchId}'s gate ignores ${bitsToGuarantees(BROKEN_GATE_BITS).join(",")}`);
      const server = createBranchServer(branch, log, config.secret, store ? (after) => store.ownWritesAfter(branchId, after) : undefined, journal);
      forget = worker.onWorkerCrash(() => {
        store?.crash();
        reports.drop();
        reports.close();
        server.forceShutdown();
      });
      const port = await bindServer(server, config.bindHost, task.restart && !task.fixedPort ? 0 : task.port, config.tls);
      const address = `${config.bindHost}:${port}`;
      log(`branch ${branchId} listening on ${address} (host ${lease.host.hostId}, replication on ${lease.address})`);
      return new HostedBranch({ task, config, lease, reporter: reports, opened, branch, server, address, forget });
    } catch (err) {
      forget();
      reports.close();
      await joined?.release(branchId);
      await opened?.store.close();
      control.close();
      throw err;
    }
  }

  /** Reports "ready" (after a restart, what the log gave back was reported at open), then serves control messages until "stop" or "crash". */
  serveUntilTold(): Promise<"stop" | "crash"> {
    const { task, lease, address } = this.p;
    return new Promise((resolve) => {
      task.control.on("message", (msg: ToWorker) => {
        if (msg.type === "stop" || msg.type === "crash") resolve(msg.type);
        else this.onControl(msg);
      });
      this.post({ type: "ready", branchId: task.branchId, address, hostId: lease.host.hostId, hostAddress: lease.address });
    });
  }

  /**
   * Dies as a process would: nothing more reaches the disk, the main thread or
   * a customer (what it gathered and had not posted is lost); the main thread
   * hears "crashed" after everything it did post. The host lives on for the
   * other branches.
   */
  crash(): void {
    const { task, lease, opened, branch, server, reporter } = this.p;
    this.p.forget();
    opened?.store.crash();
    reporter.drop();
    reporter.post({ type: "crashed", branchId: task.branchId });
    reporter.close();
    server.forceShutdown();
    branch.stop();
    lease.abandon(task.branchId);
    task.control.close();
  }

  /** Closes the server, leaves the host (off the host first, so no late delivery reaches a closed log), closes the store. */
  async stop(): Promise<void> {
    const { task, lease, opened, branch, server } = this.p;
    this.p.forget();
    const stats = lease.host.linkStats();
    branch.stop();
    await shutdown(server);
    await lease.release(task.branchId);
    await opened?.store.close();
    this.p.reporter.log(`branch ${task.branchId} stopped`);
    // After everything it logged and applied; then nothing more from it.
    this.post({ type: "stopped", branchId: task.branchId, stats });
    this.p.reporter.close();
    task.control.close();
  }

  private onControl(msg: Exclude<ToWorker, { type: "stop" | "crash" }>): void {
    const { task, config, lease, branch, reporter } = this.p;
    const branchId = task.branchId;
    if (msg.type === "topology") {
      lease.host.setTopology(msg.hosts, { batchMax: config.batchMax, inFlightMax: config.inFlightMax, ackTimeoutMs: config.ackTimeoutMs });
      this.post({ type: "topology-set", branchId });
      const recovered = this.p.opened?.recovered.writes ?? [];
      if (task.restart) void catchUp(branch, recovered, task.peers, { secret: config.secret, tls: config.tls }, (w) => lease.host.broadcast(w), (line) => reporter.log(line));
    } else if (msg.type === "epoch") {
      lease.host.setEpoch(msg.wallMs);
    } else if (msg.type === "await") {
      // On the report port: after every report of what the branch applied.
      branch.awaitApplied(unpackVector(msg.need), msg.timeoutMs).then(
        (st) => {
          const { applied, ...rest } = st;
          const state: StateJson = sameVector(applied, msg.need) ? rest : { ...rest, applied: packVector(applied) };
          this.post({ type: "state", branchId, requestId: msg.requestId, state });
        },
        (err: Error) => this.post({ type: "state", branchId, requestId: msg.requestId, error: err.message }),
      );
    } else if (msg.type === "crash-worker") {
      worker.crashWorker();
    }
  }

  /** On the thread's report port, after everything the branch logged and applied before it. */
  private post(msg: ToMain): void {
    this.p.reporter.post(msg);
  }
}

/** The branch's store, if runs are durable, with what it recovered logged. */
function openStore(config: HostConfig, branchId: number, log: (line: string) => void): OpenedStore | undefined {
  if (!config.storeDir) return undefined;
  const opened = BranchStore.open(config.storeDir, branchId);
  if (opened.recovered.writes.length > 0 || opened.cutBytes > 0) {
    log(`recovered ${opened.recovered.writes.length} writes and ${opened.recovered.outcomes.length} outcomes from ${opened.store.path}` +
      (opened.cutBytes > 0 ? `; cut ${opened.cutBytes} bytes off its end (${opened.cutReason})` : ""));
  }
  return opened;
}

/**
 * After a restart the main thread reconciles the history with what the log
 * gave back (writes applied just before the crash may never have been
 * reported), and marks the restart: the branch's Lamport clock resumed there.
 */
function recoveredMessage(task: BranchTask, opened: OpenedStore | undefined): ToMain {
  return {
    type: "recovered", branchId: task.branchId, outcomes: opened?.recovered.outcomes.length ?? 0, cutBytes: opened?.cutBytes ?? 0,
    applied: (opened?.recovered.writes ?? []).map((w) => ({ id: formatWriteId(w.id), kind: w.kind, amountCents: w.amountCents, acceptedAtMs: w.acceptedAtMs })),
    ...(opened?.cutReason ? { cutReason: opened.cutReason } : {}),
  };
}
