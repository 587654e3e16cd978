// The simulated network: every message between two nodes (branches "b1",
// customer sessions "s1") goes through `send`, which asks the fault shim that
// the real hosts use too (lib/core/fault-shim.ts) whether to drop it, deliver
// it twice or let it jump the queue, all drawn from the simulation's one
// seeded generator. Each directed link is a FIFO queue with a random delay
// per message. A partition splits the nodes into groups
// for a while: messages between groups are dropped, on sending and on
// arrival. The network never retransmits: senders do (sim-links.ts,
// sim-customer.ts), as the real replication links and customers do.

import { FaultShim, type MessageFaults } from "../core/fault-shim.js";
import type { VirtualClock } from "./virtual-clock.js";

export interface LinkFaults {
  delayMsMin: number;
  delayMsMax: number;
  /** Probability that a message is lost. */
  lossRate: number;
  /** Probability that a message is delivered a second time (after its own random delay). */
  duplicateRate: number;
  /** Probability that a message ignores the link's FIFO order (may overtake or be overtaken). */
  reorderRate: number;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  lost: number;
  cutByPartition: number;
  duplicated: number;
  reordered: number;
}

/** The network faults that struck, summed over many seeds (the soak's totals, the tests' "did it really happen"). */
export type NetworkTotals = Pick<NetworkStats, "lost" | "duplicated" | "reordered" | "cutByPartition">;

export const noNetworkTotals = (): NetworkTotals => ({ lost: 0, duplicated: 0, reordered: 0, cutByPartition: 0 });

/** Adds one seed's network faults into `into`. */
export function addNetworkTotals(into: NetworkTotals, n: NetworkStats): void {
  into.lost += n.lost;
  into.duplicated += n.duplicated;
  into.reordered += n.reordered;
  into.cutByPartition += n.cutByPartition;
}

/** Fault rates per kind of link: between branches (replication) and between a customer and a branch. */
export interface NetworkFaults {
  peer: LinkFaults;
  client: LinkFaults;
}

/** Delay only: what the network becomes for the final drain. */
export function calm(f: LinkFaults): LinkFaults {
  return { ...f, lossRate: 0, duplicateRate: 0, reorderRate: 0 };
}

/** A link's rates as the shim takes them: a reordered message is held up to two of the link's longest delays. */
function shimFaults(f: LinkFaults): MessageFaults {
  return { lossRate: f.lossRate, duplicateRate: f.duplicateRate, reorderRate: f.reorderRate, reorderMsMax: 2 * f.delayMsMax };
}

export const nodeOfBranch = (id: number): string => `b${id}`;
const isBranchNode = (node: string): boolean => node.startsWith("b");

export class SimNetwork {
  private readonly clock: VirtualClock;
  private readonly random: () => number;
  private faults: NetworkFaults;
  /** Loss, duplication and reordering: the shim the real hosts use too (lib/core/fault-shim.ts). */
  private readonly peerShim: FaultShim;
  private readonly clientShim: FaultShim;
  /** Per directed link "a>b": when its last FIFO message arrives. */
  private readonly tail = new Map<string, number>();
  /** Node → group while partitioned; empty when healed. */
  private groups = new Map<string, number>();
  private readonly partitionListeners: Array<() => void> = [];
  private readonly counts = { sent: 0, delivered: 0, cutByPartition: 0 };

  constructor(clock: VirtualClock, random: () => number, faults: NetworkFaults) {
    this.clock = clock;
    this.random = random;
    this.faults = faults;
    this.peerShim = new FaultShim(shimFaults(faults.peer), random);
    this.clientShim = new FaultShim(shimFaults(faults.client), random);
  }

  get stats(): NetworkStats {
    const lost = this.peerShim.counts.lost + this.clientShim.counts.lost;
    const duplicated = this.peerShim.counts.duplicated + this.clientShim.counts.duplicated;
    const reordered = this.peerShim.counts.reordered + this.clientShim.counts.reordered;
    return { ...this.counts, lost, duplicated, reordered };
  }

  /** Replaces the fault rates (the simulator calms the network before its final drain). */
  setFaults(faults: NetworkFaults): void {
    this.faults = faults;
    this.peerShim.setFaults(shimFaults(faults.peer));
    this.clientShim.setFaults(shimFaults(faults.client));
  }

  /** Splits the nodes: each inner list is a group; a node in no list can reach nobody. */
  partition(groups: readonly (readonly string[])[]): void {
    this.groups = new Map(groups.flatMap((g, i) => g.map((node) => [node, i] as const)));
    for (const fn of this.partitionListeners) fn();
  }

  /** Calls `fn` each time the network splits (streams across the cut die: sim-links.ts). */
  onPartition(fn: () => void): void {
    this.partitionListeners.push(fn);
  }

  heal(): void {
    this.groups = new Map();
  }

  get partitioned(): boolean {
    return this.groups.size > 0;
  }

  canReach(from: string, to: string): boolean {
    if (this.groups.size === 0) return true;
    const a = this.groups.get(from);
    return a !== undefined && a === this.groups.get(to);
  }

  /** Sends one message; `deliver` runs at the receiver if and when it arrives (possibly twice). */
  send(from: string, to: string, deliver: () => void): void {
    this.counts.sent++;
    if (!this.canReach(from, to)) {
      this.counts.cutByPartition++;
      return;
    }
    const branches = isBranchNode(from) && isBranchNode(to);
    const fate = (branches ? this.peerShim : this.clientShim).fate();
    const f = branches ? this.faults.peer : this.faults.client;
    for (let copy = 0; copy < fate.copies; copy++) this.schedule(f, fate.holdMs, from, to, deliver);
  }

  private schedule(f: LinkFaults, holdMs: number, from: string, to: string, deliver: () => void): void {
    const now = this.clock.now();
    // Whole microseconds keep the history's times short and exact.
    const delay = Math.round((f.delayMsMin + this.random() * (f.delayMsMax - f.delayMsMin)) * 1000) / 1000;
    let at = now + delay;
    if (holdMs > 0) {
      // Held back out of band: not behind the link's queue, nor holding it up.
      at += Math.round(holdMs * 1000) / 1000;
    } else {
      const link = `${from}>${to}`;
      at = Math.max(at, this.tail.get(link) ?? 0);
      this.tail.set(link, at);
    }
    this.clock.setTimeout(() => {
      if (!this.canReach(from, to)) {
        this.counts.cutByPartition++;
        return;
      }
      this.counts.delivered++;
      deliver();
    }, at - now);
  }
}
