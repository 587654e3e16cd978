// A host runs one or more branches (today a worker thread; later a process of
// its own) and carries their replication traffic. Links are per host pair, not
// per branch pair: a write crosses to each other host once and is fanned out
// there to the co-hosted replicas, so open links grow with hosts (W·(W−1)),
// not with branches (N·(N−1)), and a write costs W−1 messages at most.

import * as grpc from "@grpc/grpc-js";
import type { Branch } from "../core/branch.js";
import { makeDelayFn } from "../core/delay.js";
import { seededRandom } from "../core/random.js";
import { partitioned, type FaultPlan } from "../core/fault-plan.js";
import type { Write } from "../core/ledger.js";
import type { HostConfig, HostInfo, LinkStats } from "./worker-protocol.js";
import { ReplicationLink } from "./replication-link.js";
import { guardRequests, UndecodableMessage, WRITE_BATCH } from "../wire/wire-guard.js";
import { writeFromWire } from "../wire/write-codec.js";
import { banksim } from "../../generated/bank.js";
import { bindServer, MAX_REPLICATION_MESSAGE_BYTES, SERVER_OPTIONS, shutdown } from "../wire/bind.js";

const pb = banksim.v1;


/** How long a write from `origin` takes to reach replica `dest` (0 = at once). */
export type DelayFn = (origin: number, dest: number) => number;

export class Host {
  readonly hostId: number;
  private readonly branches = new Map<number, Branch>();
  private readonly gone = new Map<number, { promise: Promise<void>; resolve: () => void }>();
  private readonly links = new Map<number, ReplicationLink>();
  private server: grpc.Server | undefined;
  private address = "";
  private topologySet = false;
  /** Every branch of the cluster (from the topology): writes of any other origin are dropped. */
  private readonly clusterBranches = new Set<number>();
  private readonly delay: DelayFn;
  private readonly faults: FaultPlan;
  private readonly random: () => number;
  /** Wall-clock start of the customers' run, from which fault schedules count; undefined until told. */
  private epochWallMs: number | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly faultCounts = { lost: 0, duplicated: 0, reordered: 0, partitioned: 0 };
  private readonly log: (line: string) => void;

  /**
   * `config`: the host's delay rules and the faults to inject on its incoming
   * replication traffic, both seeded from `delaySeed` (the faults' draws also
   * from the host id, so hosts do not draw alike).
   */
  constructor(hostId: number, log: (line: string) => void, config: Pick<HostConfig, "delaySpec" | "delaySeed" | "faults">) {
    this.hostId = hostId;
    this.log = log;
    this.delay = makeDelayFn(config.delaySpec, config.delaySeed);
    this.faults = config.faults;
    this.random = seededRandom((config.delaySeed ^ (hostId * 0x9e3779b1)) >>> 0);
  }

  /**
   * Starts the host's replication server on `bindHost`, port `port` (0: any).
   * A host that replaces a crashed one takes over its port, so the other
   * hosts' links, which keep reconnecting to that address, find it again.
   */
  async start(bindHost: string, port = 0): Promise<string> {
    if (this.server) return this.address;
    const server = new grpc.Server({ ...SERVER_OPTIONS, "grpc.max_receive_message_length": MAX_REPLICATION_MESSAGE_BYTES });
    server.addService(guardRequests(pb.UnimplementedReplicationService.definition, { Replicate: WRITE_BATCH }), {
      Replicate: (call: grpc.ServerDuplexStream<banksim.v1.WriteBatch | UndecodableMessage, banksim.v1.Ack>) => this.onStream(call),
    });
    const bound = await bindServer(server, bindHost, port);
    this.server = server;
    this.address = `${bindHost}:${bound}`;
    return this.address;
  }

  addBranch(branch: Branch): void {
    this.branches.set(branch.id, branch);
    let resolve: () => void = () => undefined;
    const promise = new Promise<void>((r) => (resolve = r));
    this.gone.set(branch.id, { promise, resolve });
  }

  /** Removes a branch (stopped or crashed); deliveries still waiting on it stop waiting. */
  removeBranch(id: number): number {
    this.branches.delete(id);
    this.gone.get(id)?.resolve();
    this.gone.delete(id);
    return this.branches.size;
  }

  /** A branch's receive, or nothing if the branch goes away first (a crashed branch never answers). */
  private receiveAt(branch: Branch, writes: readonly Write[]): Promise<void> {
    const gone = this.gone.get(branch.id)?.promise;
    const received = branch.receive(writes);
    return gone ? Promise.race([received, gone]) : received;
  }

  setEpoch(wallMs: number): void {
    this.epochWallMs ??= wallMs;
  }

  /** Connects to every other host. The first call wins; later ones are no-ops. */
  setTopology(hosts: readonly HostInfo[], linkOptions: { batchMax: number; inFlightMax: number; ackTimeoutMs: number }): void {
    if (this.topologySet) return;
    this.topologySet = true;
    for (const h of hosts) for (const b of h.branchIds) this.clusterBranches.add(b);
    for (const h of hosts) {
      // A host that took over a crashed one's port is that address: no link to itself.
      if (h.hostId === this.hostId || h.address === this.address) continue;
      this.links.set(h.hostId, new ReplicationLink({
        fromHost: this.hostId,
        address: h.address,
        ...linkOptions,
        backoffMsMin: 10,
        backoffMsMax: 1000,
        log: this.log,
      }));
    }
  }

  /** A branch here accepted `write` (or recovered it after a crash): deliver it to every other replica. */
  broadcast(write: Write): void {
    this.deliverLocal([write]).catch(() => undefined);
    for (const link of this.links.values()) link.send(write);
  }

  private onStream(call: grpc.ServerDuplexStream<banksim.v1.WriteBatch | UndecodableMessage, banksim.v1.Ack>): void {
    let refused = false;
    call.on("data", (batch: banksim.v1.WriteBatch | UndecodableMessage) => {
      if (refused) return;
      if (batch instanceof UndecodableMessage) {
        // Bytes no honest peer sends: end this stream (the host and its other streams carry on).
        refused = true;
        this.log(`host ${this.hostId}: refused a replication stream: ${batch.problem}`);
        call.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: batch.problem });
        return;
      }
      const writes: Write[] = [];
      let dropped = 0;
      let firstProblem = "";
      for (const m of batch.writes) {
        const w = writeFromWire(m);
        const problem = typeof w === "string" ? w : this.foreignWrite(w);
        if (problem === undefined) writes.push(w as Write);
        else if (dropped++ === 0) firstProblem = problem;
      }
      // One line per batch, not per write: a hostile batch may hold millions.
      if (dropped > 0) this.log(`host ${this.hostId}: dropped ${dropped} of ${batch.writes.length} writes from host ${batch.fromHost} as malformed (first: ${firstProblem})`);
      // Injected faults (--faults): a lost batch is never acknowledged, so its
      // sender resends it; a duplicate is delivered twice; a reordered one waits.
      const f = this.faults;
      if (f.loss > 0 && this.random() < f.loss) {
        this.faultCounts.lost++;
        return;
      }
      const copies = f.dup > 0 && this.random() < f.dup ? 2 : 1;
      const holdMs = f.reorder > 0 && this.random() < f.reorder ? 1 + this.random() * 49 : 0;
      if (copies > 1) this.faultCounts.duplicated++;
      if (holdMs > 0) this.faultCounts.reordered++;
      const deliver = () => Promise.all(Array.from({ length: copies }, () => this.deliverLocal(writes)));
      const delivered = holdMs > 0 ? this.after(holdMs).then(deliver) : deliver();
      // Acknowledge only once every replica here has taken the writes (applied,
      // or buffered until their dependencies arrive); a replica that then
      // crashes fetches what it lost from the writes' origins.
      delivered.then(
        () => call.write(new pb.Ack({ batchSeq: batch.batchSeq })),
        (err: Error) => this.log(`host ${this.hostId}: batch ${batch.batchSeq} from host ${batch.fromHost} not acknowledged: ${err.message}`),
      );
    });
    call.on("end", () => call.end());
    call.on("error", () => undefined); // the sender reconnects and resends
  }

  /**
   * Why `w` cannot be a write of this cluster, once the topology is known: its
   * origin and every branch its deps name must be cluster branches (a dep on
   * any other would leave it pending forever). Before the topology arrives no
   * write flows, so nothing is checked (or dropped) then. The sending host is
   * not checked against the origin: a branch restarted elsewhere may have its
   * writes resent by another host.
   */
  private foreignWrite(w: Write): string | undefined {
    if (!this.topologySet) return undefined;
    const which = `write ${w.id.branch}.${w.id.seq}`;
    if (!this.clusterBranches.has(w.id.branch)) return `${which}: origin ${w.id.branch} is not a branch of this cluster`;
    for (const b of w.deps.keys()) {
      if (!this.clusterBranches.has(b)) return `${which}: deps name branch ${b}, which is not in this cluster`;
    }
    return undefined;
  }

  /**
   * Hands writes to each co-hosted replica other than their origin, after the
   * link's delay and once no partition separates them. Resolves when every
   * replica here has them durably (a replica that is down gets them later,
   * from their origin, when it catches up).
   */
  private deliverLocal(writes: readonly Write[]): Promise<void> {
    const done: Promise<void>[] = [];
    for (const branch of this.branches.values()) {
      const now: Write[] = [];
      for (const w of writes) {
        if (w.id.branch === branch.id) continue;
        const ms = this.delay(w.id.branch, branch.id);
        if (ms <= 0 && this.partitionLeftMs(w.id.branch, branch.id) === undefined) now.push(w);
        else done.push(this.after(ms).then(() => this.deliverWhenConnected(w, branch.id)));
      }
      if (now.length > 0) done.push(this.receiveAt(branch, now));
    }
    return Promise.all(done).then(() => undefined);
  }

  private async deliverWhenConnected(w: Write, dest: number): Promise<void> {
    if (this.partitionLeftMs(w.id.branch, dest) !== undefined) this.faultCounts.partitioned++;
    for (let left = this.partitionLeftMs(w.id.branch, dest); left !== undefined; left = this.partitionLeftMs(w.id.branch, dest)) {
      await this.after(left + 1);
    }
    const branch = this.branches.get(dest);
    if (branch) await this.receiveAt(branch, [w]);
  }

  private partitionLeftMs(origin: number, dest: number): number | undefined {
    if (this.epochWallMs === undefined || this.faults.partitions.length === 0) return undefined;
    return partitioned(this.faults, origin, dest, Date.now() - this.epochWallMs);
  }

  /** A timer the host cancels when it stops. */
  private after(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  linkStats(): LinkStats {
    let messages = 0, writes = 0, reconnects = 0, backlog = 0, resent = 0;
    for (const l of this.links.values()) {
      messages += l.messagesSent;
      writes += l.writesSent;
      reconnects += l.reconnects;
      backlog += l.backlog;
      resent += l.resent;
    }
    return { links: this.links.size, messages, writes, reconnects, backlog, resent, ...this.faultCounts };
  }

  /** Drops everything at once (the worker is being crashed). */
  kill(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const l of this.links.values()) l.close();
    this.links.clear();
    this.server?.forceShutdown();
    this.server = undefined;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const l of this.links.values()) l.close();
    this.links.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await shutdown(server);
  }
}
