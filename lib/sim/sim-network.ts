// The simulated network: every message between two nodes (branches "b1",
// customer sessions "s1") goes through `send`, which decides its fate with the
// simulation's one seeded generator. Each directed link is a FIFO queue with
// a random delay per message; a fault may drop it, deliver it twice, or let
// it jump the queue (reordering). A partition splits the nodes into groups
// for a while: messages between groups are dropped, on sending and on
// arrival. The network never retransmits: senders do (sim-replicator.ts,
// sim-customer.ts), as the real replication links and customers do.

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

/** Fault rates per kind of link: between branches (replication) and between a customer and a branch. */
export interface NetworkFaults {
  peer: LinkFaults;
  client: LinkFaults;
}

/** Delay only: what the network becomes for the final drain. */
export function calm(f: LinkFaults): LinkFaults {
  return { ...f, lossRate: 0, duplicateRate: 0, reorderRate: 0 };
}

export const nodeOfBranch = (id: number): string => `b${id}`;
const isBranchNode = (node: string): boolean => node.startsWith("b");

export class SimNetwork {
  private readonly clock: VirtualClock;
  private readonly random: () => number;
  private faults: NetworkFaults;
  /** Per directed link "a>b": when its last FIFO message arrives. */
  private readonly tail = new Map<string, number>();
  /** Node → group while partitioned; empty when healed. */
  private groups = new Map<string, number>();
  readonly stats: NetworkStats = { sent: 0, delivered: 0, lost: 0, cutByPartition: 0, duplicated: 0, reordered: 0 };

  constructor(clock: VirtualClock, random: () => number, faults: NetworkFaults) {
    this.clock = clock;
    this.random = random;
    this.faults = faults;
  }

  /** Replaces the fault rates (the simulator calms the network before its final drain). */
  setFaults(faults: NetworkFaults): void {
    this.faults = faults;
  }

  /** Splits the nodes: each inner list is a group; a node in no list can reach nobody. */
  partition(groups: readonly (readonly string[])[]): void {
    this.groups = new Map(groups.flatMap((g, i) => g.map((node) => [node, i] as const)));
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
    this.stats.sent++;
    if (!this.canReach(from, to)) {
      this.stats.cutByPartition++;
      return;
    }
    const f = this.faultsOf(from, to);
    if (f.lossRate > 0 && this.random() < f.lossRate) {
      this.stats.lost++;
      return;
    }
    this.schedule(f, from, to, deliver);
    if (f.duplicateRate > 0 && this.random() < f.duplicateRate) {
      this.stats.duplicated++;
      this.schedule(f, from, to, deliver);
    }
  }

  private faultsOf(from: string, to: string): LinkFaults {
    return isBranchNode(from) && isBranchNode(to) ? this.faults.peer : this.faults.client;
  }

  private schedule(f: LinkFaults, from: string, to: string, deliver: () => void): void {
    const now = this.clock.now();
    // Whole microseconds keep the history's times short and exact.
    const delay = Math.round((f.delayMsMin + this.random() * (f.delayMsMax - f.delayMsMin)) * 1000) / 1000;
    let at = now + delay;
    if (f.reorderRate > 0 && this.random() < f.reorderRate) {
      // Out of band: up to three delays later, not held behind nor holding up the queue.
      this.stats.reordered++;
      at += Math.round(this.random() * 2 * f.delayMsMax * 1000) / 1000;
    } else {
      const link = `${from}>${to}`;
      at = Math.max(at, this.tail.get(link) ?? 0);
      this.tail.set(link, at);
    }
    this.clock.setTimeout(() => {
      if (!this.canReach(from, to)) {
        this.stats.cutByPartition++;
        return;
      }
      this.stats.delivered++;
      deliver();
    }, at - now);
  }
}
