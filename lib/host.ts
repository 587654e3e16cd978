// A host runs one or more branches (today a worker thread; later a process of
// its own) and carries their replication traffic. Links are per host pair, not
// per branch pair: a write crosses to each other host once and is fanned out
// there to the co-hosted replicas, so open links grow with hosts (W·(W−1)),
// not with branches (N·(N−1)), and a write costs W−1 messages at most.

import * as grpc from "@grpc/grpc-js";
import type { Branch } from "./branch.js";
import type { Write } from "./ledger.js";
import { ReplicationLink } from "./replication-link.js";
import { guardRequests, UndecodableMessage, WRITE_BATCH } from "./wire-guard.js";
import { writeFromWire } from "./write-codec.js";
import { banksim } from "../generated/bank.js";
import { bindServer, MAX_REPLICATION_MESSAGE_BYTES, SERVER_OPTIONS } from "./bind.js";

const pb = banksim.v1;

export interface HostInfo {
  hostId: number;
  address: string;
  branchIds: number[];
}

/** How long a write from `origin` takes to reach replica `dest` (0 = at once). */
export type DelayFn = (origin: number, dest: number) => number;

export class Host {
  readonly hostId: number;
  private readonly branches = new Map<number, Branch>();
  private readonly links = new Map<number, ReplicationLink>();
  private server: grpc.Server | undefined;
  private address = "";
  private topologySet = false;
  /** Every branch of the cluster (from the topology): writes of any other origin are dropped. */
  private readonly clusterBranches = new Set<number>();
  private delay: DelayFn = () => 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly log: (line: string) => void;

  constructor(hostId: number, log: (line: string) => void) {
    this.hostId = hostId;
    this.log = log;
  }

  /** Starts the host's replication server on `bindHost`, port 0. */
  async start(bindHost: string): Promise<string> {
    if (this.server) return this.address;
    const server = new grpc.Server({ ...SERVER_OPTIONS, "grpc.max_receive_message_length": MAX_REPLICATION_MESSAGE_BYTES });
    server.addService(guardRequests(pb.UnimplementedReplicationService.definition, { Replicate: WRITE_BATCH }), {
      Replicate: (call: grpc.ServerDuplexStream<banksim.v1.WriteBatch | UndecodableMessage, banksim.v1.Ack>) => this.onStream(call),
    });
    const port = await bindServer(server, bindHost, 0);
    this.server = server;
    this.address = `${bindHost}:${port}`;
    return this.address;
  }

  addBranch(branch: Branch): void {
    this.branches.set(branch.id, branch);
  }

  removeBranch(id: number): number {
    this.branches.delete(id);
    return this.branches.size;
  }

  setDelay(fn: DelayFn): void {
    this.delay = fn;
  }

  /** Connects to every other host. The first call wins; later ones are no-ops. */
  setTopology(hosts: readonly HostInfo[], linkOptions: { batchMax: number; inFlightMax: number }): void {
    if (this.topologySet) return;
    this.topologySet = true;
    for (const h of hosts) for (const b of h.branchIds) this.clusterBranches.add(b);
    for (const h of hosts) {
      if (h.hostId === this.hostId) continue;
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

  /** A branch here accepted `write`: deliver it to every other replica. */
  broadcast(write: Write): void {
    this.deliverLocal([write]);
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
      this.deliverLocal(writes);
      call.write(new pb.Ack({ batchSeq: batch.batchSeq }));
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

  /** Hands writes to each co-hosted replica other than their origin, after the link's delay. */
  private deliverLocal(writes: readonly Write[]): void {
    for (const branch of this.branches.values()) {
      const now: Write[] = [];
      for (const w of writes) {
        if (w.id.branch === branch.id) continue;
        const ms = this.delay(w.id.branch, branch.id);
        if (ms <= 0) now.push(w);
        else this.later(ms, () => this.branches.get(branch.id)?.receive([w]));
      }
      if (now.length > 0) branch.receive(now);
    }
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  linkStats(): { links: number; messages: number; writes: number; reconnects: number; backlog: number } {
    let messages = 0, writes = 0, reconnects = 0, backlog = 0;
    for (const l of this.links.values()) {
      messages += l.messagesSent;
      writes += l.writesSent;
      reconnects += l.reconnects;
      backlog += l.backlog;
    }
    return { links: this.links.size, messages, writes, reconnects, backlog };
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

/** Graceful shutdown, forced after a short grace period so nothing lingers. */
export function shutdown(server: grpc.Server, graceMs = 500): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
