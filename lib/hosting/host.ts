// A host runs one or more branches (today a worker thread; later a process of
// its own) and carries their replication traffic. Links are per host pair, not
// per branch pair: a write crosses to each other host once and is fanned out
// there to the co-hosted replicas, so open links grow with hosts (W·(W−1)),
// not with branches (N·(N−1)), and a write costs W−1 messages at most.

import * as grpc from "@grpc/grpc-js";
import type { Branch } from "../core/branch.js";
import { FaultInjector } from "./fault-injector.js";
import { requireSecret } from "../wire/auth.js";
import type { Write } from "../core/ledger.js";
import type { HostConfig, HostInfo, LinkStats } from "./worker-protocol.js";
import { MAX_LINK_BACKLOG, MAX_REPLICATION_MESSAGE_BYTES } from "../core/limits.js";
import { GATHER_MS, ReplicationLink } from "./replication-link.js";
import { guardRequests, UndecodableMessage, WRITE_BATCH } from "../wire/wire-guard.js";
import { decodeWriteBatch, type WriteBatchFields } from "../wire/batch-codec.js";
import { writeFromWire } from "../wire/write-codec.js";
import { banksim } from "../../generated/bank.js";
import { bindServer, SERVER_OPTIONS, shutdown } from "../wire/bind.js";

const pb = banksim.v1;


export class Host {
  readonly hostId: number;
  private readonly branches = new Map<number, Branch>();
  /** Per branch, the deliveries waiting on its receive: each stops waiting if the branch goes away (one entry per delivery under way, removed when it ends). */
  private readonly waiting = new Map<number, Set<() => void>>();
  private readonly links = new Map<number, ReplicationLink>();
  /** Peers whose link refused a write (LinkOverflow): logged once each. */
  private readonly overflowed = new Set<number>();
  private server: grpc.Server | undefined;
  private address = "";
  private topologySet = false;
  /** Every branch of the cluster (from the topology): writes of any other origin are dropped. */
  private readonly clusterBranches = new Set<number>();
  /** The transport shim for --faults and --delay. */
  private readonly faults: FaultInjector;
  private readonly log: (line: string) => void;
  /** Writes of branches here, gathered for GATHER_MS before they reach the co-hosted replicas. */
  private local: Write[] = [];
  /** Per origin, a write every replica here has applied, with all before it (see `withoutApplied`). */
  private readonly floor = new Map<number, number>();

  /**
   * `config`: the host's delay rules and the faults to inject on its incoming
   * replication traffic, both seeded from `delaySeed` (the faults' draws also
   * from the host id, so hosts do not draw alike).
   */
  private readonly secret: string;
  private readonly tls: HostConfig["tls"];

  constructor(hostId: number, log: (line: string) => void, config: Pick<HostConfig, "delaySpec" | "delaySeed" | "faults" | "secret" | "tls">) {
    this.hostId = hostId;
    this.log = log;
    this.secret = config.secret;
    this.tls = config.tls;
    this.faults = new FaultInjector(config.faults, config.delaySpec, config.delaySeed, hostId);
  }

  /**
   * Starts the host's replication server on `bindHost`, port `port` (0: any).
   * A host that replaces a crashed one takes over its port, so the other
   * hosts' links, which keep reconnecting to that address, find it again.
   */
  async start(bindHost: string, port = 0): Promise<string> {
    if (this.server) return this.address;
    const server = new grpc.Server({ ...SERVER_OPTIONS, "grpc.max_receive_message_length": MAX_REPLICATION_MESSAGE_BYTES, interceptors: [requireSecret(this.secret)] });
    // Batches are read by the direct codec (batch-codec.ts), the guard wording its refusals.
    server.addService(guardRequests(pb.UnimplementedReplicationService.definition, { Replicate: WRITE_BATCH }, { Replicate: decodeWriteBatch }), {
      Replicate: (call: grpc.ServerDuplexStream<WriteBatchFields | UndecodableMessage, banksim.v1.Ack>) => this.onStream(call),
    });
    const bound = await bindServer(server, bindHost, port, this.tls);
    this.server = server;
    this.address = `${bindHost}:${bound}`;
    return this.address;
  }

  addBranch(branch: Branch): void {
    this.branches.set(branch.id, branch);
    this.waiting.set(branch.id, new Set());
    // A replica that joins (a restart) may lack what the others have: the floor starts again from nothing.
    this.floor.clear();
  }

  /** Removes a branch (stopped or crashed); deliveries still waiting on it stop waiting. */
  removeBranch(id: number): number {
    this.branches.delete(id);
    for (const stop of this.waiting.get(id) ?? []) stop();
    this.waiting.delete(id);
    return this.branches.size;
  }

  /**
   * A branch's receive, or nothing if the branch goes away first (a crashed
   * branch never answers). Not a race against one promise that lives as long
   * as the branch: each race would leave a reaction on it, one per delivery
   * for the branch's whole life (memory that grew with every operation).
   */
  private receiveAt(branch: Branch, writes: readonly Write[]): Promise<void> {
    const waiting = this.waiting.get(branch.id);
    const received = branch.receive(writes);
    if (!waiting) return received;
    return new Promise<void>((resolve, reject) => {
      const stop = () => resolve();
      waiting.add(stop);
      received.then(
        () => (waiting.delete(stop), resolve()),
        (err: unknown) => (waiting.delete(stop), reject(err)),
      );
    });
  }

  /** Deliveries under way at a branch (each ends when the branch has received, or is gone). */
  deliveriesAt(id: number): number {
    return this.waiting.get(id)?.size ?? 0;
  }

  setEpoch(wallMs: number): void {
    this.faults.setEpoch(wallMs);
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
        batchMax: linkOptions.batchMax,
        inFlightMax: linkOptions.inFlightMax,
        backlogMax: MAX_LINK_BACKLOG,
        resendMsMin: linkOptions.ackTimeoutMs,
        resendMsMax: 4 * linkOptions.ackTimeoutMs,
        reconnectMsMin: 10,
        reconnectMsMax: 1000,
        secret: this.secret,
        ...(this.tls ? { tls: this.tls } : {}),
        log: this.log,
      }));
    }
  }

  /**
   * A branch here accepted `write` (or recovered it after a crash): deliver it
   * to every other replica. The co-hosted ones get it GATHER_MS later, with
   * the other writes of that window (as each link sends them): the customer's
   * reply goes out first, not after the fan-out (hundreds of replicas on a big
   * host).
   */
  broadcast(write: Write): void {
    this.local.push(write);
    if (this.local.length === 1) {
      setTimeout(() => {
        const writes = this.local;
        this.local = [];
        this.deliverLocal(writes).catch(() => undefined);
      }, GATHER_MS);
    }
    for (const [peer, link] of this.links) {
      try {
        link.send(write);
      } catch (err) {
        // A peer that stopped answering: its replicas catch up from the writes' origins when it is back.
        if (!this.overflowed.has(peer)) this.log(`host ${this.hostId}: link to host ${peer}: ${(err as Error).message}`);
        this.overflowed.add(peer);
      }
    }
  }

  private onStream(call: grpc.ServerDuplexStream<WriteBatchFields | UndecodableMessage, banksim.v1.Ack>): void {
    let refused = false;
    call.on("data", (batch: WriteBatchFields | UndecodableMessage) => {
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
      // Through the fault shim (--faults): a lost batch is never acknowledged, so its sender resends it.
      const delivered = this.faults.batch(() => this.deliverLocal(writes));
      // Acknowledge only once every replica here has taken the writes (applied,
      // or buffered until their dependencies arrive); a replica that then
      // crashes fetches what it lost from the writes' origins.
      delivered.then(
        (arrived) => arrived && call.write(new pb.Ack({ batchSeq: batch.batchSeq })),
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
   * Hands writes to each co-hosted replica other than their origin, once the
   * fault shim lets them through (a link's delay, a partition). Resolves when
   * every replica here has them durably (a replica that is down gets them
   * later, from their origin, when it catches up).
   */
  private deliverLocal(writes: readonly Write[]): Promise<void> {
    let later: Promise<void>[] | undefined;
    let refused: Error | undefined;
    // Handed over now, in this turn, so every replica is one the floor counted. A write held by the fault shim is delivered whole: by then a replica may have restarted.
    const stripped = this.branches.size > 1 ? writes.map((w) => this.withoutApplied(w)) : writes;
    for (const branch of this.branches.values()) {
      const now: Write[] = [];
      for (let i = 0; i < writes.length; i++) {
        const w = writes[i]!;
        if (w.id.branch === branch.id) continue;
        const held = this.faults.hold(w.id.branch, branch.id);
        if (held === undefined) now.push(stripped[i]!);
        else (later ??= []).push(held.then(() => this.deliverTo(branch.id, w)));
      }
      // Taken at once (a received write waits for no disk): no promise per replica.
      if (now.length > 0) refused = branch.take(now) ?? refused;
    }
    if (later === undefined) return refused === undefined ? Promise.resolve() : Promise.reject(refused);
    return Promise.all(later).then(() => {
      if (refused !== undefined) throw refused;
    });
  }

  /**
   * `w` without the dependencies every replica here has already applied,
   * checked once for the host instead of once per replica: a write under
   * Writes Follow Reads carries its session's read set, which at 1,000
   * branches names hundreds of writes, almost all long applied everywhere.
   * `floor` only ever names writes that every replica here has applied
   * (replicas apply in order and never unapply; one that joins clears it).
   */
  private withoutApplied(w: Write): Write {
    let kept: Map<number, number> | undefined;
    for (const [origin, seq] of w.deps) {
      if ((this.floor.get(origin) ?? 0) >= seq || this.appliedEverywhere(origin, seq)) {
        kept ??= new Map(w.deps);
        kept.delete(origin);
      }
    }
    return kept === undefined ? w : { ...w, deps: kept };
  }

  /** Whether every replica here has applied `origin`.`seq`; if so, raises the floor to the lowest of them. */
  private appliedEverywhere(origin: number, seq: number): boolean {
    let lowest = Infinity;
    for (const b of this.branches.values()) {
      const at = b.appliedSeq(origin);
      if (at < seq) return false;
      if (at < lowest) lowest = at;
    }
    this.floor.set(origin, lowest);
    return true;
  }

  private async deliverTo(dest: number, w: Write): Promise<void> {
    const branch = this.branches.get(dest);
    if (branch) await this.receiveAt(branch, [w]);
  }

  linkStats(): LinkStats {
    let messages = 0, writes = 0, reconnects = 0, backlog = 0, resent = 0;
    for (const l of this.links.values()) {
      messages += l.stats.messages;
      writes += l.stats.writes;
      reconnects += l.stats.reconnects;
      backlog += l.backlog;
      resent += l.stats.resent;
    }
    return { links: this.links.size, messages, writes, reconnects, backlog, resent, ...this.faults.counts };
  }

  /** Drops everything at once (the worker is being crashed). */
  kill(): void {
    this.faults.stop();
    for (const l of this.links.values()) l.close();
    this.links.clear();
    this.server?.forceShutdown();
    this.server = undefined;
  }

  async stop(): Promise<void> {
    this.faults.stop();
    for (const l of this.links.values()) l.close();
    this.links.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await shutdown(server);
  }
}
