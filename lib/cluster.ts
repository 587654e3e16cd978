// The main thread's handle on a running cluster: a piscina pool of worker
// threads, one pending task per branch, a MessagePort per branch for its logs
// and events. `startCluster` resolves once every branch listens and every host
// knows the others; `stop` ends every branch by message, waits for each port
// to close (so no log line is lost) and destroys the pool. Any failure on the
// way up stops what did start before it rethrows.

import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { Piscina } from "piscina";
import type { BranchState } from "./branch.js";
import type { HostInfo } from "./host.js";
import type { VersionVector } from "./version-vector.js";
import type { BranchTask, LinkStats, ToMain, ToWorker } from "./worker-protocol.js";

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
  /** Called for every message a branch sends (logs, applied writes, ...). */
  onMessage: (msg: ToMain) => void;
}

export function defaultWorkers(branches: number): number {
  return Math.max(1, Math.min(branches, availableParallelism(), 4));
}

interface BranchHandle {
  id: number;
  control: MessagePort;
  task: Promise<unknown>;
  closed: Promise<void>;
  stopped?: LinkStats;
}

export class Cluster {
  readonly addresses = new Map<number, string>();
  readonly hosts: HostInfo[] = [];
  private readonly pool: Piscina;
  private readonly handles = new Map<number, BranchHandle>();
  private stopping: Promise<LinkStats> | undefined;
  private nextRequest = 1;
  private readonly waiting = new Map<number, { resolve: (s: BranchState) => void; reject: (e: Error) => void }>();

  private constructor(pool: Piscina) {
    this.pool = pool;
  }

  static async start(opts: ClusterOptions): Promise<Cluster> {
    const workers = Math.max(1, Math.min(opts.workers, opts.branchIds.length));
    const perWorker = Math.ceil(opts.branchIds.length / workers);
    const pool = new Piscina({
      filename: fileURLToPath(new URL("./branch-worker.js", import.meta.url)),
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: Infinity,
      atomics: "disabled",
      concurrentTasksPerWorker: perWorker,
      maxQueue: Infinity,
    });
    const cluster = new Cluster(pool);
    try {
      await cluster.launch(opts);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  private async launch(opts: ClusterOptions): Promise<void> {
    const ready = new Map<number, Extract<ToMain, { type: "ready" }>>();
    let failStart: (err: Error) => void = () => undefined;
    let allReady: () => void = () => undefined;
    const started = new Promise<void>((resolve, reject) => {
      allReady = resolve;
      failStart = reject;
    });
    const topologySet = new Set<number>();
    let allTopology: () => void = () => undefined;
    const topologyDone = new Promise<void>((resolve) => (allTopology = resolve));

    for (const id of opts.branchIds) {
      const { port1, port2 } = new MessageChannel();
      const closed = new Promise<void>((resolve) => port1.once("close", () => resolve()));
      const handle: BranchHandle = { id, control: port1, task: Promise.resolve(), closed };
      port1.on("message", (msg: ToMain) => {
        if (msg.type === "ready") {
          ready.set(id, msg);
          this.addresses.set(id, msg.address);
          if (ready.size === opts.branchIds.length) allReady();
        } else if (msg.type === "topology-set") {
          topologySet.add(id);
          if (topologySet.size === opts.branchIds.length) allTopology();
        } else if (msg.type === "stopped") {
          handle.stopped = msg.stats;
        } else if (msg.type === "state") {
          const w = this.waiting.get(msg.requestId);
          this.waiting.delete(msg.requestId);
          if (msg.state) w?.resolve({ ...msg.state, applied: new Map(msg.state.applied) });
          else w?.reject(new Error(`branch ${msg.branchId}: ${msg.error ?? "no state"}`));
        }
        opts.onMessage(msg);
      });
      const task: BranchTask = {
        branchId: id,
        branchIds: opts.branchIds,
        initialBalanceCents: opts.initialBalanceCents,
        gateTimeoutMs: opts.gateTimeoutMs,
        bindHost: opts.bindHost,
        port: opts.basePort > 0 ? opts.basePort + id : 0,
        batchMax: opts.batchMax,
        inFlightMax: opts.inFlightMax,
        delaySpec: opts.delaySpec,
        delaySeed: opts.delaySeed,
        control: port2,
      };
      handle.task = this.pool.run(task, { transferList: [port2] as never });
      // A branch whose task ends before "stop" failed to start or crashed.
      handle.task.then(
        () => { if (!this.stopping) failStart(new Error(`branch ${id} ended before it was told to stop`)); },
        (err: Error) => failStart(new Error(`branch ${id}: ${err.message}`)),
      );
      this.handles.set(id, handle);
    }

    await withTimeout(started, opts.startTimeoutMs, `only ${ready.size} of ${opts.branchIds.length} branches were ready`);
    const byHost = new Map<number, HostInfo>();
    for (const r of ready.values()) {
      const h = byHost.get(r.hostId) ?? { hostId: r.hostId, address: r.hostAddress, branchIds: [] };
      h.branchIds.push(r.branchId);
      byHost.set(r.hostId, h);
    }
    this.hosts.push(...byHost.values());
    const msg: ToWorker = { type: "topology", hosts: this.hosts };
    for (const h of this.handles.values()) h.control.postMessage(msg);
    await withTimeout(Promise.race([topologyDone, started.then(() => topologyDone)]), opts.startTimeoutMs, "hosts did not take the topology");
  }

  /**
   * Resolves with every branch's state once each has applied every write in
   * `need` (an empty vector asks for the state now). Goes over the control
   * ports, not gRPC: at 1,000 branches, opening a channel to each branch
   * costs seconds. A branch that cannot get there by the deadline rejects.
   */
  awaitApplied(need: VersionVector, timeoutMs: number): Promise<BranchState[]> {
    const pairs = [...need];
    return Promise.all([...this.handles.values()].map((h) => new Promise<BranchState>((resolve, reject) => {
      const requestId = this.nextRequest++;
      this.waiting.set(requestId, { resolve, reject });
      const msg: ToWorker = { type: "await", requestId, need: pairs, timeoutMs };
      h.control.postMessage(msg);
    })));
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
      await Promise.allSettled([...this.handles.values()].map((h) => h.task));
      // A task that ended with its port open (it crashed) gets its port closed here.
      for (const h of this.handles.values()) h.control.close();
      await Promise.all([...this.handles.values()].map((h) => h.closed));
      for (const w of this.waiting.values()) w.reject(new Error("the cluster stopped"));
      this.waiting.clear();
      await this.pool.destroy();
      const total: LinkStats = { links: 0, messages: 0, writes: 0, reconnects: 0, backlog: 0 };
      const seenHost = new Set<number>();
      for (const h of this.handles.values()) {
        const s = h.stopped;
        if (!s) continue;
        const hostId = this.hosts.find((x) => x.branchIds.includes(h.id))?.hostId ?? -h.id;
        // Every branch of a host reports the same host counters; count each host once.
        if (seenHost.has(hostId)) continue;
        seenHost.add(hostId);
        total.links += s.links;
        total.messages += s.messages;
        total.writes += s.writes;
        total.reconnects += s.reconnects;
        total.backlog += s.backlog;
      }
      return total;
    })();
    return this.stopping;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`cluster start timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
