// Replication between simulated branches, as lib/replication-link.ts does it
// over gRPC: per peer, writes queue in order, go out in batches (at most
// `batchMax` writes, at most `inFlightMax` batches unacknowledged), and each
// batch is resent until the peer acknowledges it, with exponential backoff.
// The network may lose, duplicate or reorder batches and acks; the receiving
// Ledger applies by write id in sequence order, so that changes nothing.

import type { Branch } from "../core/branch.js";
import type { Write } from "../core/ledger.js";
import { nodeOfBranch, type SimNetwork } from "./sim-network.js";
import type { VirtualClock } from "./virtual-clock.js";

export interface ReplicationOptions {
  batchMax: number;
  inFlightMax: number;
  /** First resend after this long without an ack; doubles per resend of a batch up to `resendMsMax`. */
  resendMsMin: number;
  resendMsMax: number;
}

export const DEFAULT_REPLICATION: ReplicationOptions = { batchMax: 8, inFlightMax: 4, resendMsMin: 60, resendMsMax: 1_000 };

interface InFlight {
  writes: Write[];
  timer: unknown;
  resendMs: number;
}

/** One direction, one peer: sender state only (the receiver needs none). */
class SimLink {
  private queue: Write[] = [];
  private readonly inFlight = new Map<number, InFlight>();
  private batchSeq = 0;
  private pumpScheduled = false;
  private readonly from: number;
  private readonly to: number;
  private readonly r: SimReplication;

  constructor(from: number, to: number, r: SimReplication) {
    this.from = from;
    this.to = to;
    this.r = r;
  }

  get backlog(): number {
    let n = this.queue.length;
    for (const b of this.inFlight.values()) n += b.writes.length;
    return n;
  }

  send(write: Write): void {
    this.queue.push(write);
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // Writes accepted at the same virtual instant share a batch.
    this.r.clock.setTimeout(() => {
      this.pumpScheduled = false;
      this.pump();
    }, 0);
  }

  ack(seq: number): void {
    const b = this.inFlight.get(seq);
    if (b === undefined) return; // a duplicate ack
    this.r.clock.clearTimeout(b.timer);
    this.inFlight.delete(seq);
    this.pump();
  }

  private pump(): void {
    const { batchMax, inFlightMax } = this.r.options;
    while (this.queue.length > 0 && this.inFlight.size < inFlightMax) {
      const seq = ++this.batchSeq;
      const b: InFlight = { writes: this.queue.splice(0, batchMax), timer: undefined, resendMs: this.r.options.resendMsMin };
      this.inFlight.set(seq, b);
      this.transmit(seq, b);
    }
  }

  private transmit(seq: number, b: InFlight): void {
    this.r.stats.batches++;
    this.r.network.send(nodeOfBranch(this.from), nodeOfBranch(this.to), () => this.r.deliver(this.from, this.to, seq, b.writes));
    b.timer = this.r.clock.setTimeout(() => {
      this.r.stats.resends++;
      b.resendMs = Math.min(b.resendMs * 2, this.r.options.resendMsMax);
      this.transmit(seq, b);
    }, b.resendMs);
  }
}

export class SimReplication {
  readonly clock: VirtualClock;
  readonly network: SimNetwork;
  readonly options: ReplicationOptions;
  readonly stats = { batches: 0, resends: 0 };
  private readonly branches = new Map<number, Branch>();
  private readonly links = new Map<string, SimLink>();

  constructor(clock: VirtualClock, network: SimNetwork, options: ReplicationOptions) {
    this.clock = clock;
    this.network = network;
    this.options = options;
  }

  addBranch(branch: Branch): void {
    this.branches.set(branch.id, branch);
  }

  /** The Branch hook: `write` was accepted at `from`; send it to every other branch. */
  propagate(from: number, write: Write): void {
    for (const to of this.branches.keys()) {
      if (to !== from) this.link(from, to).send(write);
    }
  }

  /** Writes queued or unacknowledged, over all links. */
  get backlog(): number {
    let n = 0;
    for (const l of this.links.values()) n += l.backlog;
    return n;
  }

  /** A batch arrived at `to`: apply it, then acknowledge it (the ack may be lost too). */
  deliver(from: number, to: number, seq: number, writes: readonly Write[]): void {
    this.branches.get(to)?.receive(writes);
    this.network.send(nodeOfBranch(to), nodeOfBranch(from), () => this.link(from, to).ack(seq));
  }

  private link(from: number, to: number): SimLink {
    const key = `${from}>${to}`;
    let l = this.links.get(key);
    if (l === undefined) this.links.set(key, (l = new SimLink(from, to, this)));
    return l;
  }
}
