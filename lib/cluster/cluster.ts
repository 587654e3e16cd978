// The main thread's handle on a running cluster: a piscina pool of worker
// threads, one pending task per branch, a control port per branch for the
// main thread's messages to it (its close says the branch is gone), and one
// report port per worker thread for everything its branches say, in the order
// they say it (worker-protocol.ts). `Cluster.start` resolves once every branch
// listens and every host knows the others; `stop` ends every branch by
// message, destroys the pool and reads every report port to its close (so no
// log line is lost). Any failure on the way up stops what did start before it
// rethrows.

import { fileURLToPath } from "node:url";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { Piscina } from "piscina";
import type { BranchState } from "../core/branch.js";
import { NO_FAULTS, type FaultPlan } from "../core/fault-plan.js";
import type { VersionVector } from "../core/version-vector.js";
import type { BranchTask, HostConfig, HostInfo, LinkStats, StateJson, ToMain, ToWorker } from "../hosting/worker-protocol.js";
import { packVector, unpackVector } from "../hosting/vector-frame.js";
import type { TlsMaterial } from "../wire/tls.js";

export interface ClusterOptions {
  branchIds: number[];
  initialBalanceCents: number;
  workers: number;
  bindHost: string;
  /** 0: every branch binds port 0; P: branch i binds P+i. */
  basePort: number;
  gateTimeoutMs: number;
  batchMax: number;
  inFlightMax: number;
  delaySpec: string;
  delaySeed: number;
  startTimeoutMs: number;
  /** Optional: how long a replication batch may go unacknowledged (default 5 s). */
  ackTimeoutMs?: number;
  /** Optional: where branches keep their logs ("" or absent: in memory only). */
  storeDir?: string;
  /** Optional: faults to inject on replication traffic. */
  faults?: FaultPlan;
  /** Every call to the cluster's servers must carry it (wire/auth.ts); the run makes a fresh one (newSecret). */
  secret: string;
  /** Called for every message from the branches (their threads' reports: log lines, applied writes, states, ...), in the order each thread sent them. */
  onMessage: (msg: ToMain) => void;
  /** A served host (bank-sim serve) sets the rest: its pool is one host of a larger cluster. */
  served?: ServedHostOptions;
}

/** One host of a served cluster, as its cluster file places it. */
export interface ServedHostOptions {
  hostId: number;
  /** The branches this host runs (ClusterOptions.branchIds is every branch of the cluster). */
  branchIds: number[];
  /** The port its replication server binds. */
  hostPort: number;
  /** The port each of its branches binds. */
  branchPorts: ReadonlyMap<number, number>;
  /** Every host of the cluster (this one included), as the others dial it. */
  topology: HostInfo[];
  /** Every other branch's customer address, for catching up. */
  peers: ReadonlyMap<number, string>;
  /** Mutual TLS on every port and link; absent: plaintext (--insecure). */
  tls?: TlsMaterial;
}


interface BranchHandle {
  id: number;
  control: MessagePort;
  task: Promise<unknown>;
  closed: Promise<void>;
  stopped?: LinkStats;
  /** Set while the branch is down (crashed, not yet restarted). */
  down?: boolean;
  /** From its "ready": the worker (host) it runs on and that host's replication address. */
  hostId?: number;
  hostAddress?: string;
  /** What its "ready", "topology-set" and "crashed" reports resolve. */
  onReady: (r: Ready) => void;
  onTopology: () => void;
  onCrashed?: () => void;
  /** Closes when the report port its "ready" came on does (its thread ended). */
  reportsClosed?: Promise<void>;
}

type Ready = Extract<ToMain, { type: "ready" }>;

export class Cluster {
  readonly addresses = new Map<number, string>();
  /** What its customers and tools must send with every call. */
  readonly secret: string;
  readonly hosts: HostInfo[] = [];
  private readonly pool: Piscina;
  private readonly opts: ClusterOptions;
  private readonly handles = new Map<number, BranchHandle>();
  /** Handles of crashed incarnations, kept so that stop() waits for them too. */
  private readonly retired: BranchHandle[] = [];
  private stopping: Promise<LinkStats> | undefined;
  private nextRequest = 1;
  private readonly waiting = new Map<number, { handle: BranchHandle; resolve: (s: StateJson) => void; reject: (e: Error) => void }>();
  private failStart: (err: Error) => void = () => undefined;
  /** For each crashed branch, resolves when it is back. */
  private readonly backUp = new Map<number, { promise: Promise<void>; resolve: () => void }>();
  private readonly restartFailed = new Map<number, string>();
  /** Every report port handed to a task, each until it closes (a thread keeps the first it gets; the others close at once). */
  private readonly reportPorts: Array<{ port: MessagePort; closed: Promise<void> }> = [];

  /** The worker (host) a branch runs on now, or undefined if it is not running. */
  workerOf(branch: number): number | undefined {
    const h = this.handles.get(branch);
    return h && !h.down ? h.hostId : undefined;
  }

  private constructor(pool: Piscina, opts: ClusterOptions) {
    this.pool = pool;
    this.opts = opts;
    this.secret = opts.secret;
  }

  static async start(opts: ClusterOptions): Promise<Cluster> {
    const hosted = hostedHere(opts);
    const workers = Math.max(1, Math.min(opts.workers, hosted.length));
    // One spare slot per worker, for a branch restarted after a crash.
    const perWorker = Math.ceil(hosted.length / workers) + 1;
    const pool = new Piscina({
      filename: fileURLToPath(new URL("../hosting/branch-worker.js", import.meta.url)),
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: Infinity,
      atomics: "disabled",
      concurrentTasksPerWorker: perWorker,
      maxQueue: Infinity,
      // Every worker (and one piscina starts again after a crash) gets the host configuration once.
      workerData: hostConfig(opts),
    });
    const cluster = new Cluster(pool, opts);
    try {
      await cluster.launch();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Starts the task hosting one branch; resolves with its "ready" message. */
  private spawn(id: number, onTopology: () => void, hostPort = this.opts.served?.hostPort ?? 0): Promise<Ready> {
    const opts = this.opts;
    const served = opts.served;
    const { port1, port2 } = new MessageChannel();
    const closed = new Promise<void>((resolve) => port1.once("close", () => resolve()));
    let onReady: (r: Ready) => void = () => undefined;
    const ready = new Promise<Ready>((resolve) => (onReady = resolve));
    const handle: BranchHandle = { id, control: port1, task: Promise.resolve(), closed, onReady, onTopology };
    // Nothing comes on it (branches report on their thread's report port): only its close, when the branch is gone.
    const reports = this.reportPort();
    // Requests to a branch whose port closed will never be answered: fail them
    // (a branch we crashed on purpose is asked again once it is back).
    void closed.then(() => {
      for (const [requestId, w] of this.waiting) {
        if (w.handle !== handle) continue;
        this.waiting.delete(requestId);
        w.reject(new Error(`branch ${id} is gone`));
      }
    });
    const task: BranchTask = served ? {
      // A served host always recovers from its store and catches up from its peers (on a first start both find nothing).
      branchId: id, port: served.branchPorts.get(id) ?? 0, fixedPort: true, peers: [...served.peers], restart: true, hostPort, control: port2, reports,
    } : {
      branchId: id,
      port: opts.basePort > 0 ? opts.basePort + id : 0,
      peers: [...this.addresses].filter(([b]) => b !== id),
      restart: this.handles.get(id)?.down === true,
      hostPort,
      control: port2,
      reports,
    };
    handle.task = this.pool.run(task, { transferList: [port2, reports] as never });
    // A branch whose task ends before "stop" (and not by a crash we caused) failed.
    handle.task.then(
      () => { if (!this.stopping && !handle.down) this.failStart(new Error(`branch ${id} ended before it was told to stop`)); },
      (err: Error) => this.failStart(new Error(`branch ${id}: ${err.message}`)),
    );
    this.handles.set(id, handle);
    return ready;
  }

  /**
   * A report port for a task (worker-protocol.ts): the worker's end, which the
   * thread keeps if it is its first; reports name their branches, so every
   * port is read alike.
   */
  private reportPort(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    const closed = new Promise<void>((resolve) => port1.once("close", () => resolve()));
    this.reportPorts.push({ port: port1, closed });
    port1.on("message", (msg: ToMain) => this.onReport(msg, closed));
    return port2;
  }

  /** Every message of every branch, in the order its thread sent them. */
  private onReport(msg: ToMain, portClosed?: Promise<void>): void {
    const handle = msg.type === "reports" ? undefined : this.handles.get(msg.branchId);
    if (msg.type === "ready" && handle) {
      this.addresses.set(msg.branchId, msg.address);
      handle.hostId = msg.hostId;
      handle.hostAddress = msg.hostAddress;
      if (portClosed) handle.reportsClosed = portClosed;
      handle.onReady(msg);
    } else if (msg.type === "crashed") {
      handle?.onCrashed?.();
    } else if (msg.type === "topology-set") {
      handle?.onTopology();
    } else if (msg.type === "stopped" && handle) {
      handle.stopped = msg.stats;
    } else if (msg.type === "state") {
      const w = this.waiting.get(msg.requestId);
      this.waiting.delete(msg.requestId);
      if (msg.state) w?.resolve(msg.state);
      else w?.reject(new Error(`branch ${msg.branchId}: ${msg.error ?? "no state"}`));
    }
    this.opts.onMessage(msg);
  }

  private async launch(): Promise<void> {
    const opts = this.opts;
    const started = new Promise<never>((_, reject) => (this.failStart = reject));
    started.catch(() => undefined);
    let topologyCount = 0;
    let allTopology: () => void = () => undefined;
    const topologyDone = new Promise<void>((resolve) => (allTopology = resolve));
    const onTopology = () => {
      if (++topologyCount === hosted.length) allTopology();
    };
    const hosted = hostedHere(opts);
    const readies = hosted.map((id) => this.spawn(id, onTopology));
    let count = 0;
    for (const r of readies) void r.then(() => count++);
    const all = await withTimeout(Promise.race([Promise.all(readies), started]), opts.startTimeoutMs, () => `only ${count} of ${hosted.length} branches were ready`);
    const byHost = new Map<number, HostInfo>();
    for (const r of all) {
      const h = byHost.get(r.hostId) ?? { hostId: r.hostId, address: r.hostAddress, branchIds: [] };
      h.branchIds.push(r.branchId);
      byHost.set(r.hostId, h);
    }
    this.hosts.push(...(opts.served?.topology ?? byHost.values()));
    const msg: ToWorker = { type: "topology", hosts: this.hosts };
    for (const h of this.handles.values()) h.control.postMessage(msg);
    await withTimeout(Promise.race([topologyDone, started]), opts.startTimeoutMs, () => "hosts did not take the topology");
  }

  /** Tells every branch that customers start now (fault schedules count from here). */
  epoch(wallMs: number): void {
    const msg: ToWorker = { type: "epoch", wallMs };
    for (const h of this.handles.values()) if (!h.down) h.control.postMessage(msg);
  }

  /** Crashes one branch: it dies at once, losing whatever it had not made durable. */
  async crash(id: number): Promise<void> {
    const h = this.handles.get(id);
    if (!h || h.down) throw new Error(`branch ${id} is not running`);
    h.down = true;
    let resolve: () => void = () => undefined;
    this.backUp.set(id, { promise: new Promise<void>((r) => (resolve = r)), resolve });
    // Everything it reported before it died is read before it can come back.
    const crashed = new Promise<void>((resolve) => (h.onCrashed = resolve));
    const msg: ToWorker = { type: "crash" };
    h.control.postMessage(msg);
    await h.task.catch(() => undefined);
    await within(crashed, PORT_CLOSE_GRACE_MS);
    h.control.close();
    await h.closed;
    this.retired.push(h);
  }

  /**
   * Terminates the worker thread that hosts branch `id`, killing every branch
   * on it mid-flight (torn log tails included). Resolves with the branches
   * that died and the port of the host that died with them.
   */
  async crashWorker(id: number): Promise<{ branches: number[]; hostPort: number }> {
    const h = this.handles.get(id);
    if (!h || h.down || h.hostId === undefined) throw new Error(`branch ${id} is not running`);
    const victims = [...this.handles.values()].filter((x) => !x.down && x.hostId === h.hostId);
    for (const v of victims) {
      v.down = true;
      let resolve: () => void = () => undefined;
      this.backUp.set(v.id, { promise: new Promise<void>((r) => (resolve = r)), resolve });
    }
    // Not piscina's abort: a task that can be aborted gets a worker to itself.
    const msg: ToWorker = { type: "crash-worker" };
    h.control.postMessage(msg);
    await Promise.allSettled(victims.map((v) => v.task));
    // The thread is gone: what it reported is read once its report port closes.
    await within(Promise.all(victims.map((v) => v.reportsClosed)), PORT_CLOSE_GRACE_MS);
    for (const v of victims) v.control.close();
    await Promise.all(victims.map((v) => v.closed));
    this.retired.push(...victims);
    return { branches: victims.map((v) => v.id), hostPort: Number(h.hostAddress?.split(":").pop() ?? 0) };
  }

  /**
   * Restarts a crashed branch from its log; resolves with its new address.
   * `hostPort`: if the branch lands on a fresh worker, its host takes this port.
   */
  async restart(id: number, epochWallMs: number, hostPort = 0): Promise<string> {
    const old = this.handles.get(id);
    if (!old?.down) throw new Error(`branch ${id} has not crashed`);
    let topologySet: () => void = () => undefined;
    const topology = new Promise<void>((resolve) => (topologySet = resolve));
    try {
      const ready = await withTimeout(this.spawn(id, topologySet, hostPort), this.opts.startTimeoutMs, () => `branch ${id} did not restart`);
      const h = this.handles.get(id)!;
      const topo: ToWorker = { type: "topology", hosts: this.hosts };
      h.control.postMessage(topo);
      const epoch: ToWorker = { type: "epoch", wallMs: epochWallMs };
      h.control.postMessage(epoch);
      await withTimeout(topology, this.opts.startTimeoutMs, () => `branch ${id} did not take the topology`);
      return ready.address;
    } catch (err) {
      this.restartFailed.set(id, (err as Error).message);
      throw err;
    } finally {
      // Whoever waits for the branch to be back learns either way.
      this.backUp.get(id)?.resolve();
      this.backUp.delete(id);
    }
  }

  /**
   * Resolves with every branch's state once each has applied every write in
   * `need` (an empty vector asks for the state now). Goes over the ports
   * (asked on each branch's control port, answered on its thread's report
   * port), not gRPC: at 1,000 branches, opening a channel to each branch
   * costs seconds. A branch that cannot get there by the deadline rejects.
   */
  awaitApplied(need: VersionVector, timeoutMs: number): Promise<BranchState[]> {
    const frame = packVector(need);
    // The branches that applied exactly `need` (all of them, once a run has settled) share one copy of it.
    const asked = new Map(need);
    const askOnce = (id: number) => new Promise<BranchState>((resolve, reject) => {
      const failed = this.restartFailed.get(id);
      if (failed !== undefined) {
        reject(new Error(`branch ${id} did not come back after its crash: ${failed}`));
        return;
      }
      const requestId = this.nextRequest++;
      // The branch answers within timeoutMs; this is for a branch that cannot answer at all.
      const timer = setTimeout(() => {
        this.waiting.delete(requestId);
        reject(new Error(`branch ${id} did not answer within ${timeoutMs + 5_000} ms`));
      }, timeoutMs + 5_000);
      const handle = this.handles.get(id)!;
      this.waiting.set(requestId, {
        handle,
        resolve: (st) => (clearTimeout(timer), resolve({ ...st, applied: st.applied === undefined ? asked : unpackVector(st.applied) })),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      const msg: ToWorker = { type: "await", requestId, need: frame, timeoutMs };
      handle.control.postMessage(msg);
    });
    // A branch we crashed is asked once it is back (again, if it crashed while asked).
    const ask = async (id: number): Promise<BranchState> => {
      for (;;) {
        const back = this.backUp.get(id);
        if (back) await back.promise;
        try {
          return await askOnce(id);
        } catch (err) {
          if (!this.backUp.has(id) && !this.handles.get(id)?.down) throw err;
        }
      }
    };
    return Promise.all([...this.handles.keys()].map(ask));
  }

  /** Stops every branch and the pool; safe to call more than once. Returns link counters summed over hosts. */
  stop(): Promise<LinkStats> {
    this.stopping ??= (async () => {
      const stop: ToWorker = { type: "stop" };
      for (const h of this.handles.values()) {
        try {
          h.control.postMessage(stop);
        } catch {
          // port already closed: the branch is gone
        }
      }
      const every = [...this.handles.values(), ...this.retired];
      await Promise.allSettled(every.map((h) => h.task));
      // A branch that stopped closes its end of its control port once it is
      // done (its "stopped", with its link counters, went on the report port
      // before). Wait for those ports to close, within a bound; then close the
      // ports of tasks that ended with theirs open.
      await within(Promise.all(every.map((h) => h.closed)), PORT_CLOSE_GRACE_MS);
      for (const h of every) h.control.close();
      await Promise.all(every.map((h) => h.closed));
      for (const w of this.waiting.values()) w.reject(new Error("the cluster stopped"));
      this.waiting.clear();
      await this.pool.destroy();
      // The threads are gone, and with them the report ports' far ends: what they posted last is read before the close.
      await within(Promise.all(this.reportPorts.map((r) => r.closed)), PORT_CLOSE_GRACE_MS);
      for (const r of this.reportPorts) r.port.close();
      await Promise.all(this.reportPorts.map((r) => r.closed));
      const total: LinkStats = { links: 0, messages: 0, writes: 0, reconnects: 0, backlog: 0, resent: 0, lost: 0, duplicated: 0, reordered: 0, partitioned: 0 };
      const seenHost = new Set<number>();
      for (const h of this.handles.values()) {
        const s = h.stopped;
        if (!s) continue;
        const hostId = this.hosts.find((x) => x.branchIds.includes(h.id))?.hostId ?? -h.id;
        // Every branch of a host reports the same host counters; count each host once.
        if (seenHost.has(hostId)) continue;
        seenHost.add(hostId);
        for (const k of Object.keys(total) as Array<keyof LinkStats>) total[k] += s[k];
      }
      return total;
    })();
    return this.stopping;
  }
}

/** The branches this pool runs: all of them, or a served host's own. */
function hostedHere(opts: ClusterOptions): number[] {
  return opts.served?.branchIds ?? opts.branchIds;
}

/** What every host of the cluster is configured with (the defaults of the optional options filled in). */
function hostConfig(opts: ClusterOptions): HostConfig {
  return {
    branchIds: opts.branchIds,
    initialBalanceCents: opts.initialBalanceCents,
    gateTimeoutMs: opts.gateTimeoutMs,
    bindHost: opts.bindHost,
    batchMax: opts.batchMax,
    inFlightMax: opts.inFlightMax,
    delaySpec: opts.delaySpec,
    delaySeed: opts.delaySeed,
    ackTimeoutMs: opts.ackTimeoutMs ?? 5_000,
    storeDir: opts.storeDir ?? "",
    faults: opts.faults ?? NO_FAULTS,
    secret: opts.secret,
    ...(opts.served ? { hostId: opts.served.hostId } : {}),
    ...(opts.served?.tls ? { tls: opts.served.tls } : {}),
  };
}

/** How long stop() waits for a stopped branch to close its port before closing it. */
const PORT_CLOSE_GRACE_MS = 2_000;

/** Resolves when `p` settles or after `ms`, whichever comes first. */
function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([p.then(() => undefined, () => undefined), elapsed]).finally(() => clearTimeout(timer));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`cluster start timed out after ${ms} ms: ${what()}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
