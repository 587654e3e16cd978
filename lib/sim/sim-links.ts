// Replication in the simulator: the core's LinkSender (lib/core/link.ts), the
// same state machine the gRPC hosts run, carried over the simulated network.
// Each simulated branch is its own host, so there is one link per ordered
// pair of branches. This file is only the world around the machine:
// - a stream is a numbered connection; opening one is a round trip that a
//   partition or a lost message can fail (the link then backs off and retries);
// - a partition breaks the streams it cuts, as a real TCP stream dies, so the
//   reconnect-and-resend path runs under every seed that partitions;
// - batches and acks are network messages; an ack from an old stream is
//   dropped, as a broken gRPC stream drops it;
// - one virtual timer per link, for the machine's next deadline.

import type { Branch } from "../core/branch.js";
import type { Write } from "../core/ledger.js";
import { LinkSender, type LinkAction, type LinkConfig } from "../core/link.js";
import { nodeOfBranch, type SimNetwork } from "./sim-network.js";
import type { VirtualClock } from "./virtual-clock.js";

export interface SimLinkConfig extends LinkConfig {
  /** A stream that has not opened after this long has failed. */
  connectTimeoutMs: number;
}

export const DEFAULT_LINK_CONFIG: SimLinkConfig = {
  batchMax: 8,
  inFlightMax: 4,
  backlogMax: 100_000,
  resendMsMin: 60,
  resendMsMax: 1_000,
  reconnectMsMin: 10,
  reconnectMsMax: 500,
  connectTimeoutMs: 200,
};

export interface ReplicationStats {
  batches: number;
  resends: number;
  reconnects: number;
}

class SimLink {
  readonly sender: LinkSender;
  /** The current stream's number; 0 while none is open or opening. */
  private stream = 0;
  private timer: unknown;
  private connectTimer: unknown;
  private pumpScheduled = false;

  constructor(
    private readonly from: number,
    private readonly to: number,
    private readonly world: SimLinks,
  ) {
    this.sender = new LinkSender(world.config);
  }

  send(write: Write): void {
    this.sender.enqueue(write);
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // Writes accepted at the same virtual instant share a batch.
    this.world.clock.setTimeout(() => {
      this.pumpScheduled = false;
      this.run(this.sender.pump(this.world.clock.now()));
    }, 0);
  }

  /** A partition cut this link: its stream dies. */
  cut(): void {
    if (this.stream === 0 && !this.sender.isConnected) return;
    this.breakStream();
  }

  private run(actions: readonly LinkAction[]): void {
    for (const a of actions) {
      if (a.type === "connect") this.connect();
      else this.transmit(a.batchSeq, a.writes);
    }
    this.arm();
  }

  private connect(): void {
    const { clock, network } = this.world;
    const stream = this.world.nextStreamId();
    this.stream = stream;
    const here = nodeOfBranch(this.from);
    const there = nodeOfBranch(this.to);
    this.connectTimer = clock.setTimeout(() => {
      if (this.stream === stream && !this.sender.isConnected) this.breakStream();
    }, this.world.config.connectTimeoutMs);
    network.send(here, there, () => network.send(there, here, () => {
      if (this.stream !== stream || this.sender.isConnected) return;
      clock.clearTimeout(this.connectTimer);
      this.run(this.sender.connected(clock.now()));
    }));
  }

  private breakStream(): void {
    this.stream = 0;
    this.world.clock.clearTimeout(this.connectTimer);
    this.sender.broken(this.world.clock.now());
    this.arm();
  }

  private transmit(batchSeq: number, writes: readonly Write[]): void {
    const { network, clock } = this.world;
    const stream = this.stream;
    const here = nodeOfBranch(this.from);
    const there = nodeOfBranch(this.to);
    network.send(here, there, () => {
      const replica = this.world.branches.get(this.to);
      if (replica === undefined) return;
      // Acknowledged once the replica has taken the writes, as a real host acknowledges.
      void replica.receive(writes).then(() => network.send(there, here, () => {
        if (this.stream === stream) this.run(this.sender.acked(batchSeq, clock.now()));
      }));
    });
  }

  private arm(): void {
    const { clock } = this.world;
    clock.clearTimeout(this.timer);
    const at = this.sender.nextDeadline();
    if (at === undefined) return;
    // Virtual time is kept in whole microseconds: the timer may fire up to
    // half a microsecond before `at`, which must still count as the deadline.
    this.timer = clock.setTimeout(() => this.run(this.sender.tick(Math.max(clock.now(), at))), Math.max(0, at - clock.now()));
  }
}

export class SimLinks {
  readonly branches = new Map<number, Branch>();
  private readonly links = new Map<string, SimLink>();
  private streams = 0;

  constructor(
    readonly clock: VirtualClock,
    readonly network: SimNetwork,
    readonly config: SimLinkConfig,
  ) {
    network.onPartition(() => {
      for (const [key, link] of this.links) {
        const [from, to] = key.split(">").map(Number) as [number, number];
        if (!network.canReach(nodeOfBranch(from), nodeOfBranch(to))) link.cut();
      }
    });
  }

  addBranch(branch: Branch): void {
    this.branches.set(branch.id, branch);
  }

  /** The Branch hook: `write` was accepted at `from`; send it to every other branch. */
  propagate(from: number, write: Write): void {
    for (const to of this.branches.keys()) if (to !== from) this.link(from, to).send(write);
  }

  /** Writes queued or unacknowledged, over all links. */
  get backlog(): number {
    let n = 0;
    for (const l of this.links.values()) n += l.sender.backlog;
    return n;
  }

  get stats(): ReplicationStats {
    const s: ReplicationStats = { batches: 0, resends: 0, reconnects: 0 };
    for (const l of this.links.values()) {
      s.batches += l.sender.stats.messages;
      s.resends += l.sender.stats.resent;
      s.reconnects += l.sender.stats.reconnects;
    }
    return s;
  }

  nextStreamId(): number {
    return ++this.streams;
  }

  private link(from: number, to: number): SimLink {
    const key = `${from}>${to}`;
    let l = this.links.get(key);
    if (l === undefined) this.links.set(key, (l = new SimLink(from, to, this)));
    return l;
  }
}
