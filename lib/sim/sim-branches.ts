// The simulated branch processes: each branch runs on its own machine with
// its own SimDisk, keeps a BranchStore (the write-ahead log) on it, and is
// hooked to it as the real worker hooks it (lib/hosting/branch-worker.ts):
// decisions are logged and synced before anyone sees them, received writes
// are logged lazily, and a log that fails fails the branch.
//
// A machine can die (`crash`): the process stops at once (its Branch, its
// outbound links, the requests it was serving, whatever it had not written),
// and, on a power loss, the disk keeps only what was synced plus maybe a torn
// tail. A branch that failed on a storage error dies the same way (its page
// cache survives: only the process went). After a delay it starts again from
// BranchStore.open on the same disk: recovered writes and outcomes, its own
// writes sent again, and a catch-up from every peer (lib/sim/catch-up.ts).
// Each start is an incarnation; anything an earlier one scheduled is ignored.

import { Branch, type BranchConfig, type BranchHooks, type CustomerOp, type Recovered } from "../core/branch.js";
import type { Write } from "../core/ledger.js";
import { streamSeed, seededRandom } from "../core/random.js";
import { BranchStore } from "../storage/branch-store.js";
import type { SimApplyLog } from "./apply-log.js";
import { catchUp, DEFAULT_CATCH_UP, type CatchUpConfig } from "./catch-up.js";
import type { CrashProfile, DiskProfile } from "./faults.js";
import { serveAt, type CallOutcome } from "./sim-customer.js";
import { NO_DISK_FAULTS, SimDisk, type DiskFaults } from "./sim-disk.js";
import type { Replicas, SimLinks } from "./sim-links.js";
import type { SimNetwork } from "./sim-network.js";
import type { VirtualClock } from "./virtual-clock.js";

/** Builds a branch; tests pass deliberately broken ones (lib/sim/broken-gate.ts, broken-durability.ts). */
export type MakeBranch = (config: BranchConfig & { recovered?: Recovered }, hooks: BranchHooks) => Branch;

export interface MachineStats {
  /** Power losses (during the N-th append, or at a random time). */
  crashes: number;
  /** Processes killed at a random time (the disk keeps what the page cache held). */
  kills: number;
  /** Branches that stopped on a storage error (Branch.fail). */
  storageFailures: number;
  restarts: number;
  /** Writes read back from logs at restarts, and bytes cut off their ends. */
  recoveredWrites: number;
  cutBytes: number;
  /** Catch-up answers received, and the writes they brought. */
  catchUps: number;
  caughtUp: number;
  /** Disk faults that struck, over every machine. */
  disk: { torn: number; full: number; syncFailures: number };
}

/** The machine counters that matter summed over many seeds (the soak's totals, the tests' "did it really happen"). */
export interface MachineTotals {
  crashes: number;
  kills: number;
  storageFailures: number;
  restarts: number;
  torn: number;
  full: number;
  syncFailures: number;
  caughtUp: number;
}

export const noMachineTotals = (): MachineTotals => ({ crashes: 0, kills: 0, storageFailures: 0, restarts: 0, torn: 0, full: 0, syncFailures: 0, caughtUp: 0 });

/** Adds one seed's machine counters into `into`. */
export function addMachineTotals(into: MachineTotals, m: MachineStats): void {
  into.crashes += m.crashes;
  into.kills += m.kills;
  into.storageFailures += m.storageFailures;
  into.restarts += m.restarts;
  into.torn += m.disk.torn;
  into.full += m.disk.full;
  into.syncFailures += m.disk.syncFailures;
  into.caughtUp += m.caughtUp;
}

export interface SimBranchesDeps {
  seed: number;
  branchIds: readonly number[];
  initialBalanceCents: number;
  gateTimeoutMs: number;
  clock: VirtualClock;
  network: SimNetwork;
  random: () => number;
  links: SimLinks;
  applies: SimApplyLog;
  disk: DiskProfile;
  crashes: CrashProfile;
  makeBranch: MakeBranch;
  catchUp?: CatchUpConfig;
  /** A fatal error in the simulation itself (a bound exceeded): the run stops with it. */
  fatal(message: string): void;
}

/** One incarnation of a branch process. */
interface Process {
  incarnation: number;
  alive: boolean;
  branch: Branch;
  store: BranchStore;
}

interface Machine {
  disk: SimDisk;
  starts: number;
  running: Process | undefined;
}

const STORE_DIR = "/sim/store";

export class SimBranches implements Replicas {
  private readonly counts: Omit<MachineStats, "disk"> = {
    crashes: 0, kills: 0, storageFailures: 0, restarts: 0, recoveredWrites: 0, cutBytes: 0, catchUps: 0, caughtUp: 0,
  };
  private readonly machines = new Map<number, Machine>();
  private readonly deps: SimBranchesDeps;
  private calm = false;

  constructor(deps: SimBranchesDeps) {
    this.deps = deps;
    for (const id of deps.branchIds) {
      // A stream of its own per disk: disk faults do not shift the network's draws.
      const random = seededRandom(streamSeed(deps.seed ^ 0x51d15c, id));
      const { syncMsMin, syncMsMax } = deps.disk;
      const latency = syncMsMax > 0 ? { sleep: (ms: number) => this.sleep(ms), syncMsMin, syncMsMax } : undefined;
      this.machines.set(id, { disk: new SimDisk(random, this.diskFaults(), latency), starts: 0, running: undefined });
    }
  }

  /** Starts every branch (the first incarnation: empty logs). */
  startAll(): void {
    for (const id of this.deps.branchIds) this.start(id);
  }

  /** The running Branch at `id`, if it is up. */
  get(id: number): Branch | undefined {
    return this.machine(id).running?.branch;
  }

  get allUp(): boolean {
    return this.deps.branchIds.every((id) => this.machine(id).running !== undefined);
  }

  incarnation(id: number): number {
    return this.machine(id).running?.incarnation ?? 0;
  }

  receive(id: number, incarnation: number, writes: readonly Write[]): Promise<boolean> {
    const p = this.machine(id).running;
    if (p === undefined || p.incarnation !== incarnation) return Promise.resolve(false);
    return p.branch.receive(writes).then(() => p.alive, () => false);
  }

  /** Serves a customer's request as a gRPC server would: refused while down, never answered by a process that died. */
  serve(id: number, op: CustomerOp, respond: (o: CallOutcome) => void): void {
    const p = this.machine(id).running;
    if (p === undefined) return respond({ error: { code: "down", message: `branch ${id} is down (connection refused)` } });
    serveAt(p.branch, op, (o) => {
      if (p.alive) respond(o);
    });
  }

  /** Branch `id`'s own writes after `afterSeq`, from its log; undefined while it is down. */
  ownWritesAfter(id: number, afterSeq: number): Write[] | undefined {
    return this.machine(id).running?.store.ownWritesAfter(id, afterSeq);
  }

  /** Each branch's own writes in its log, with the requests they decided (for lib/sim/durability.ts). */
  decisions(): Map<number, ReturnType<BranchStore["ownDecisions"]>> {
    const out = new Map<number, ReturnType<BranchStore["ownDecisions"]>>();
    for (const id of this.deps.branchIds) {
      const p = this.machine(id).running;
      if (p === undefined) throw new Error(`branch ${id} is down at the end of the run`);
      out.set(id, p.store.ownDecisions(id));
    }
    return out;
  }

  /** Leaves only `roomBytes` free on branch `id`'s disk, until it restarts. */
  fillDisk(id: number, roomBytes: number): void {
    const disk = this.machine(id).disk;
    disk.setFaults({ ...disk.currentFaults, capacityBytes: disk.usedBytes + roomBytes });
  }

  /** The workload is over: disks stop failing and nothing crashes any more; branches that are down come back. */
  settle(): void {
    this.calm = true;
    for (const m of this.machines.values()) {
      m.disk.setFaults(NO_DISK_FAULTS);
      m.disk.disarm();
    }
  }

  /**
   * Branch `id` dies now (a no-op while it is down): on a power loss its disk
   * keeps only what was synced (and maybe a torn tail); a killed process
   * leaves the page cache, and so every byte it wrote, behind.
   */
  crash(id: number, how: "power" | "kill"): void {
    const p = this.machine(id).running;
    if (p === undefined || this.calm) return;
    if (how === "power") {
      this.counts.crashes++;
      this.machine(id).disk.crash();
    } else {
      this.counts.kills++;
    }
    this.stop(id, p);
  }

  private start(id: number): void {
    const m = this.machine(id);
    const { clock } = this.deps;
    // A restart finds room again on a disk that had filled.
    if (m.disk.currentFaults.capacityBytes !== Infinity) m.disk.setFaults({ ...m.disk.currentFaults, capacityBytes: Infinity });
    const opened = BranchStore.open(STORE_DIR, id, m.disk, clock);
    const p = { incarnation: ++m.starts, alive: true, store: opened.store } as Process;
    p.branch = this.deps.makeBranch(
      { id, branchIds: this.deps.branchIds, initialBalanceCents: this.deps.initialBalanceCents, gateTimeoutMs: this.deps.gateTimeoutMs, clock, recovered: opened.recovered },
      this.hooks(id, p),
    );
    opened.store.onFailure((err) => p.branch.fail(err.message));
    m.running = p;
    this.armCrash(id, m);
    if (p.incarnation === 1) return;
    this.counts.restarts++;
    this.counts.recoveredWrites += opened.recovered.writes.length;
    this.counts.cutBytes += opened.cutBytes;
    this.recover(id, p, opened.recovered.writes);
  }

  private hooks(id: number, p: Process): BranchHooks {
    const { links, applies } = this.deps;
    return {
      propagate: (w) => {
        if (p.alive) links.propagate(id, w);
      },
      applied: (ws, clocks) => {
        if (p.alive) applies.report(id, p.incarnation, ws, clocks);
      },
      log: () => undefined,
      failed: () => this.failed(id, p),
      persist: (records) => p.store.persist(records),
      queue: (ws) => p.store.queue(ws),
    };
  }

  /** After a restart: report what the log gave back, send own writes again, fetch what peers issued. */
  private recover(id: number, p: Process, writes: readonly Write[]): void {
    const { applies, links, clock, network } = this.deps;
    // Writes logged just before the crash may never have been reported.
    applies.report(id, p.incarnation, writes, [], true);
    for (const w of writes) if (w.id.branch === id) links.propagate(id, w);
    const world = {
      clock, network, config: this.deps.catchUp ?? DEFAULT_CATCH_UP,
      ownWritesAt: (peer: number, afterSeq: number) => this.ownWritesAfter(peer, afterSeq),
      fetched: (n: number) => {
        this.counts.catchUps++;
        this.counts.caughtUp += n;
      },
      stuck: (message: string) => this.deps.fatal(message),
    };
    catchUp(world, p.branch, this.deps.branchIds.filter((b) => b !== id), () => p.alive);
  }

  private armCrash(id: number, m: Machine): void {
    const a = this.deps.crashes.afterAppends;
    if (a === null || this.calm) return;
    const n = a.appendsMin + Math.floor(this.deps.random() * (a.appendsMax - a.appendsMin + 1));
    m.disk.crashAtAppend(n, () => {
      const p = m.running;
      if (p === undefined) return;
      this.counts.crashes++;
      this.stop(id, p);
    });
  }

  /** The branch stopped on a storage error: the process exits (after it answers what it refused) and restarts. */
  private failed(id: number, p: Process): void {
    if (!p.alive) return;
    this.counts.storageFailures++;
    this.deps.clock.setTimeout(() => this.stop(id, p), 0);
  }

  /** The process is gone: nothing it does from now on is seen; it starts again after a delay. */
  private stop(id: number, p: Process): void {
    const m = this.machine(id);
    if (!p.alive || m.running !== p) return;
    p.alive = false;
    m.running = undefined;
    m.disk.disarm();
    m.disk.closeFiles();
    p.store.crash();
    p.branch.stop();
    this.deps.links.crashed(id);
    const { downMsMin, downMsMax } = this.deps.crashes;
    this.deps.clock.setTimeout(() => this.start(id), downMsMin + this.deps.random() * (downMsMax - downMsMin));
  }

  private diskFaults(): DiskFaults {
    const d = this.deps.disk;
    return { capacityBytes: Infinity, tornWriteRate: d.tornWriteRate, syncFailRate: d.syncFailRate };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.deps.clock.setTimeout(resolve, ms));
  }

  private machine(id: number): Machine {
    const m = this.machines.get(id);
    if (m === undefined) throw new Error(`no branch ${id} in this simulation`);
    return m;
  }

  get stats(): MachineStats {
    const disk = { torn: 0, full: 0, syncFailures: 0 };
    for (const m of this.machines.values()) {
      disk.torn += m.disk.stats.torn;
      disk.full += m.disk.stats.full;
      disk.syncFailures += m.disk.stats.syncFailures;
    }
    return { ...this.counts, disk };
  }
}
