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
// - one virtual timer per link, for the machine's next deadline;
// - a branch that crashes takes its outbound links with it (they lived in its
//   memory), and the streams into it break; a stream belongs to the
//   incarnation it reached, and a stream to a branch that is down is refused.

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

/** The branches as the links see them: which incarnation runs where, and handing it writes. */
export interface Replicas {
  /** The incarnation running at branch `id` (numbered from 1); 0 while it is down. */
  incarnation(id: number): number;
  /** Hands writes to incarnation `incarnation` of branch `id`; resolves true once it took them, false if it is gone. */
  receive(id: number, incarnation: number, writes: readonly Write[]): Promise<boolean>;
}

class SimLink {
  readonly sender: LinkSender;
  /** The current stream's number; 0 while none is open or opening. */
  private stream = 0;
  /** The replica's incarnation the current stream reached. */
  private reached = 0;
  /** Its branch crashed: the link is gone, and nothing it had scheduled may act. */
  private dead = false;
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

  /** A partition cut this link, or its replica crashed: its stream dies. */
  cut(): void {
    if (this.stream === 0 && !this.sender.isConnected) return;
    this.breakStream();
  }

  /** The branch it belonged to crashed. */
  kill(): void {
    this.dead = true;
    this.stream = 0;
    this.world.clock.clearTimeout(this.timer);
    this.world.clock.clearTimeout(this.connectTimer);
  }

  private run(actions: readonly LinkAction[]): void {
    if (this.dead) return;
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
    network.send(here, there, () => {
      // Nobody listening: the connection is refused.
      const reached = this.world.replicas.incarnation(this.to);
      network.send(there, here, () => {
        if (this.dead || this.stream !== stream || this.sender.isConnected) return;
        if (reached === 0) return this.breakStream();
        clock.clearTimeout(this.connectTimer);
        this.reached = reached;
        this.run(this.sender.connected(clock.now()));
      });
    });
  }

  private breakStream(): void {
    if (this.dead) return;
    this.stream = 0;
    this.world.clock.clearTimeout(this.connectTimer);
    this.sender.broken(this.world.clock.now());
    this.arm();
  }

  private transmit(batchSeq: number, writes: readonly Write[]): void {
    const { network, clock } = this.world;
    const stream = this.stream;
    const reached = this.reached;
    const here = nodeOfBranch(this.from);
    const there = nodeOfBranch(this.to);
    network.send(here, there, () => {
      // Acknowledged once the replica has taken the writes, as a real host acknowledges.
      void this.world.replicas.receive(this.to, reached, writes).then((took) => {
        if (!took) return;
        network.send(there, here, () => {
          if (!this.dead && this.stream === stream) this.run(this.sender.acked(batchSeq, clock.now()));
        });
      });
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
  private readonly links = new Map<string, SimLink>();
  private streams = 0;
  /** Counters of links that died with their branch. */
  private readonly retired: ReplicationStats = { batches: 0, resends: 0, reconnects: 0 };

  constructor(
    readonly clock: VirtualClock,
    readonly network: SimNetwork,
    readonly config: SimLinkConfig,
    private readonly branchIds: readonly number[],
    readonly replicas: Replicas,
  ) {
    network.onPartition(() => {
      for (const [key, link] of this.links) {
        const [from, to] = key.split(">").map(Number) as [number, number];
        if (!network.canReach(nodeOfBranch(from), nodeOfBranch(to))) link.cut();
      }
    });
  }

  /** The Branch hook: `write` was accepted at `from`; send it to every other branch. */
  propagate(from: number, write: Write): void {
    for (const to of this.branchIds) if (to !== from) this.link(from, to).send(write);
  }

  /** Branch `id` crashed: the links it sent on are gone, and the streams into it break. */
  crashed(id: number): void {
    for (const [key, link] of this.links) {
      const [from, to] = key.split(">").map(Number) as [number, number];
      if (to === id) link.cut();
      if (from !== id) continue;
      link.kill();
      this.retired.batches += link.sender.stats.messages;
      this.retired.resends += link.sender.stats.resent;
      this.retired.reconnects += link.sender.stats.reconnects;
      this.links.delete(key);
    }
  }

  /** Writes queued or unacknowledged, over all links. */
  get backlog(): number {
    let n = 0;
    for (const l of this.links.values()) n += l.sender.backlog;
    return n;
  }

  get stats(): ReplicationStats {
    const s: ReplicationStats = { ...this.retired };
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
