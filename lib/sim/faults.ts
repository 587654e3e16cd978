// What goes wrong in a simulated run, and when. A fault profile sets each
// kind of link's delay, loss, duplication and reordering, and how often the
// network partitions; `randomFaults` draws a profile from the seed, turning
// each fault kind on or off at random (swarm testing, as TigerBeetle's VOPR
// does), so that seeds cover each fault alone, in pairs and all together.
// The partition scheduler splits the branches (and the customers with them)
// into groups for a while, heals, waits, and splits again, until stopped.
// Each branch's machine fails too (lib/sim/machine-faults.ts): its disk tears
// writes, fails fsyncs or fills up, and it loses power after so many appends
// or at random times, then restarts from its log.

import { nodeOfBranch, type LinkFaults, type SimNetwork } from "./sim-network.js";
import type { VirtualClock } from "./virtual-clock.js";

export interface PartitionFaults {
  /** Healthy time between partitions. */
  gapMsMin: number;
  gapMsMax: number;
  /** How long one partition lasts. */
  lengthMsMin: number;
  lengthMsMax: number;
}

/** How each branch's disk misbehaves (lib/sim/sim-disk.ts). */
export interface DiskProfile {
  /** How long an fdatasync takes, in virtual ms (not a fault: it lets crashes land during one). */
  syncMsMin: number;
  syncMsMax: number;
  /** Probability that an append is torn: a prefix is written, then it fails (EIO). */
  tornWriteRate: number;
  /** Probability that an fdatasync fails (EIO). */
  syncFailRate: number;
  /**
   * null: disks never fill. Otherwise, every gap, one branch's disk is left
   * with room for at most `roomBytesMax` more bytes (then a short write and
   * ENOSPC), until that branch restarts and finds room again.
   */
  full: { gapMsMin: number; gapMsMax: number; roomBytesMax: number } | null;
}

/** When branches lose power, and for how long (lib/sim/machine-faults.ts). */
export interface CrashProfile {
  /** null: never. Otherwise, at each start, a branch draws N in [appendsMin, appendsMax] and loses power during its N-th log append. */
  afterAppends: { appendsMin: number; appendsMax: number } | null;
  /** null: never. Otherwise, every gap, a random running branch loses power or has its process killed. */
  byTime: { gapMsMin: number; gapMsMax: number } | null;
  /** How long a branch that crashed, or failed on a storage error, stays down before it restarts from its log. */
  downMsMin: number;
  downMsMax: number;
}

export interface SimFaults {
  /** Links between branches (replication batches and their acks). */
  peer: LinkFaults;
  /** Links between a customer and a branch (requests and replies). */
  client: LinkFaults;
  /** null: the network never partitions. */
  partitions: PartitionFaults | null;
  disk: DiskProfile;
  crashes: CrashProfile;
}

export const NO_DISK_PROFILE: DiskProfile = { syncMsMin: 0, syncMsMax: 0, tornWriteRate: 0, syncFailRate: 0, full: null };
export const NO_CRASHES: CrashProfile = { afterAppends: null, byTime: null, downMsMin: 20, downMsMax: 200 };

export const NO_FAULTS: SimFaults = {
  peer: { delayMsMin: 1, delayMsMax: 10, lossRate: 0, duplicateRate: 0, reorderRate: 0 },
  client: { delayMsMin: 1, delayMsMax: 5, lossRate: 0, duplicateRate: 0, reorderRate: 0 },
  partitions: null,
  disk: NO_DISK_PROFILE,
  crashes: NO_CRASHES,
};

/** Whether a profile can take a branch down (so that it must restart). */
export function takesBranchesDown(f: SimFaults): boolean {
  const d = f.disk;
  return d.tornWriteRate > 0 || d.syncFailRate > 0 || d.full !== null || f.crashes.afterAppends !== null || f.crashes.byTime !== null;
}

const micro = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Draws a fault profile: every kind on or off by a coin flip, with a random strength. */
export function randomFaults(random: () => number): SimFaults {
  const coin = () => random() < 0.5;
  const between = (lo: number, hi: number) => micro(lo + random() * (hi - lo));
  const peerMin = between(0.5, 5);
  const clientMin = between(0.5, 3);
  return {
    peer: {
      delayMsMin: peerMin,
      delayMsMax: micro(peerMin + between(1, 150)),
      lossRate: coin() ? between(0.01, 0.3) : 0,
      duplicateRate: coin() ? between(0.01, 0.2) : 0,
      reorderRate: coin() ? between(0.05, 0.5) : 0,
    },
    client: {
      delayMsMin: clientMin,
      delayMsMax: micro(clientMin + between(1, 30)),
      lossRate: coin() ? between(0.005, 0.1) : 0,
      // Never duplicated: over gRPC (HTTP/2 on TCP) one attempt reaches the branch at most once;
      // the customer protocol relies on it (a retry after a gate refusal runs afresh).
      duplicateRate: 0,
      reorderRate: coin() ? between(0.05, 0.3) : 0,
    },
    partitions: coin() ? { gapMsMin: 50, gapMsMax: between(200, 1500), lengthMsMin: 50, lengthMsMax: between(200, 1500) } : null,
    // Drawn last, so that each seed's network faults are what they were before disks had faults.
    disk: randomDisk(coin, between),
    crashes: randomCrashes(coin, between),
  };
}

function randomDisk(coin: () => boolean, between: (lo: number, hi: number) => number): DiskProfile {
  const syncMsMin = between(0.02, 0.5);
  return {
    syncMsMin,
    syncMsMax: micro(syncMsMin + between(0.1, 3)),
    tornWriteRate: coin() ? between(0.001, 0.02) : 0,
    syncFailRate: coin() ? between(0.001, 0.02) : 0,
    full: coin() ? { gapMsMin: 100, gapMsMax: between(300, 3000), roomBytesMax: Math.round(between(0, 4096)) } : null,
  };
}

function randomCrashes(coin: () => boolean, between: (lo: number, hi: number) => number): CrashProfile {
  const appendsMin = Math.round(between(5, 100));
  return {
    afterAppends: coin() ? { appendsMin, appendsMax: appendsMin + Math.round(between(0, 300)) } : null,
    byTime: coin() ? { gapMsMin: 100, gapMsMax: between(300, 3000) } : null,
    downMsMin: between(1, 50),
    downMsMax: between(50, 800),
  };
}

/** A one-line description of a profile, for progress and failure messages. */
export function describeFaults(f: SimFaults): string {
  const link = (l: LinkFaults) => {
    const parts = [`delay ${l.delayMsMin}..${l.delayMsMax}ms`];
    if (l.lossRate > 0) parts.push(`loss ${l.lossRate}`);
    if (l.duplicateRate > 0) parts.push(`dup ${l.duplicateRate}`);
    if (l.reorderRate > 0) parts.push(`reorder ${l.reorderRate}`);
    return parts.join(" ");
  };
  const p = f.partitions;
  const part = p === null ? "no partitions" : `partitions ${p.lengthMsMin}..${p.lengthMsMax}ms every ${p.gapMsMin}..${p.gapMsMax}ms`;
  return `peer[${link(f.peer)}] client[${link(f.client)}] ${part} disk[${describeDisk(f.disk)}] ${describeCrashes(f.crashes)}`;
}

function describeDisk(d: DiskProfile): string {
  const parts = [`fsync ${d.syncMsMin}..${d.syncMsMax}ms`];
  if (d.tornWriteRate > 0) parts.push(`torn ${d.tornWriteRate}`);
  if (d.syncFailRate > 0) parts.push(`fsync-fail ${d.syncFailRate}`);
  if (d.full !== null) parts.push(`full (room ${d.full.roomBytesMax}B) every ${d.full.gapMsMin}..${d.full.gapMsMax}ms`);
  return parts.join(" ");
}

function describeCrashes(c: CrashProfile): string {
  const parts: string[] = [];
  if (c.afterAppends !== null) parts.push(`after ${c.afterAppends.appendsMin}..${c.afterAppends.appendsMax} appends`);
  if (c.byTime !== null) parts.push(`every ${c.byTime.gapMsMin}..${c.byTime.gapMsMax}ms`);
  if (parts.length === 0) return "no crashes";
  return `crashes[${parts.join(", ")}; down ${c.downMsMin}..${c.downMsMax}ms]`;
}

export class PartitionScheduler {
  private readonly clock: VirtualClock;
  private readonly network: SimNetwork;
  private readonly random: () => number;
  private readonly faults: PartitionFaults;
  private readonly branches: readonly number[];
  private readonly clients: readonly string[];
  private timer: unknown;
  private stopped = false;
  /** Partitions started so far. */
  count = 0;

  constructor(clock: VirtualClock, network: SimNetwork, random: () => number, faults: PartitionFaults, branches: readonly number[], clients: readonly string[]) {
    this.clock = clock;
    this.network = network;
    this.random = random;
    this.faults = faults;
    this.branches = branches;
    this.clients = clients;
  }

  start(): void {
    this.after(this.faults.gapMsMin, this.faults.gapMsMax, () => this.split());
  }

  /** Heals the network and schedules nothing more. */
  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.network.heal();
  }

  private after(lo: number, hi: number, fn: () => void): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(fn, lo + this.random() * (hi - lo));
  }

  private split(): void {
    if (this.branches.length < 2) return;
    // Shuffle, then cut into two groups (three, sometimes, when there are enough branches).
    const order = [...this.branches];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const groupsOf = order.length >= 3 && this.random() < 0.3 ? 3 : 2;
    const groups: string[][] = Array.from({ length: groupsOf }, () => []);
    order.forEach((b, i) => groups[i < groupsOf ? i : Math.floor(this.random() * groupsOf)]!.push(nodeOfBranch(b)));
    for (const c of this.clients) groups[Math.floor(this.random() * groupsOf)]!.push(c);
    this.network.partition(groups);
    this.count++;
    this.after(this.faults.lengthMsMin, this.faults.lengthMsMax, () => {
      this.network.heal();
      this.after(this.faults.gapMsMin, this.faults.gapMsMax, () => this.split());
    });
  }
}
