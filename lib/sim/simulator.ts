// The deterministic simulator: real Branch instances (lib/core/branch.ts:
// ledger, gate, waiters) on real write-ahead logs (lib/storage/) over
// simulated disks, and customer sessions, wired through a simulated network
// and driven by virtual time, all randomness from the seed, so that a seed
// replays exactly: same seed, byte-identical history. The approach of
// FoundationDB's simulation and TigerBeetle's VOPR.
//
// A run: sessions perform random deposits, withdrawals and queries at random
// branches under the fault profile (network faults, disk faults, crashes and
// restarts: lib/sim/sim-branches.ts); when every session is done, the network
// heals and calms (delay only), disks stop failing, crashed branches come
// back, every message, resend and catch-up drains, each branch records its
// final state, and the real history checker (lib/checker/checker.ts) judges
// convergence, exactly-once, balances and the session guarantees, beside the
// durability invariants (lib/sim/durability.ts).
//
// The event loop: fire the earliest virtual timer, then let every promise
// continuation it caused run (one macrotask turn drains the microtask queue)
// before the next timer, so async code in Branch and in sessions runs as in
// production, only with time standing still while it does.

import { Branch } from "../core/branch.js";
import { checkHistory, type CheckReport } from "../checker/checker.js";
import { guaranteesToBits } from "../core/gate.js";
import type { HistoryRecord } from "../history/types.js";
import { seededRandom, streamSeed } from "../core/random.js";
import { toJson } from "../history/vector-json.js";
import { PartitionScheduler } from "./faults.js";
import { calm, SimNetwork, type NetworkStats } from "./sim-network.js";
import { DEFAULT_LINK_CONFIG, SimLinks, type ReplicationStats } from "./sim-links.js";
import { newSessionStats, SimCustomer, type SessionStats } from "./sim-customer.js";
import type { RetryPolicy } from "../core/session.js";
import type { OpRecordSink } from "../history/sink.js";
import { VirtualClock } from "./virtual-clock.js";
import { SimApplyLog } from "./apply-log.js";
import { SimBranches, type MachineStats } from "./sim-branches.js";
import { MachineFaults } from "./machine-faults.js";
import { durabilityBreaches } from "./durability.js";
import { describeOptions, SIM_DEFAULTS, type SimOptions } from "./sim-options.js";

export { configForSeed, describeOptions, SIM_DEFAULTS, type SimOptions } from "./sim-options.js";

export interface SimStats {
  seed: number;
  virtualMs: number;
  events: number;
  operations: number;
  sessions: SessionStats;
  network: NetworkStats;
  replication: ReplicationStats;
  partitions: number;
  writes: number;
  machines: MachineStats;
  diskFills: number;
}

export interface SimResult {
  history: HistoryRecord[];
  report: CheckReport;
  /** The durability invariants that did not hold (lib/sim/durability.ts); empty when all did. */
  breaches: string[];
  stats: SimStats;
}

/** A seed passes when the checker is clean and every durability invariant holds. */
export function passed(r: SimResult): boolean {
  return r.report.ok && r.breaches.length === 0;
}

const drainMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type Resolved = typeof SIM_DEFAULTS & SimOptions;

/** Everything a run is made of. */
interface World {
  clock: VirtualClock;
  random: () => number;
  network: SimNetwork;
  links: SimLinks;
  machines: SimBranches;
  history: HistoryRecord[];
  sessions: SimCustomer[];
  sessionStats: SessionStats;
  partitions: PartitionScheduler | undefined;
  machineFaults: MachineFaults;
  /** Operations invoked so far. */
  operations: () => number;
  /** Set when the simulation itself hit a bound (lib/sim/catch-up.ts). */
  fatal: string | undefined;
}

export async function simulate(options: SimOptions): Promise<SimResult> {
  const o: Resolved = { ...SIM_DEFAULTS, ...options };
  const world = build(o);
  world.machines.startAll();
  world.partitions?.start();
  world.machineFaults.start(o.faults.disk, o.faults.crashes);
  await drive(world, o, runWorkload(world, o));
  return verify(world, o);
}

function retryPolicy(o: Resolved): RetryPolicy {
  return o.retry ?? {
    attemptsMax: o.attemptsMax,
    backoffMsMin: o.backoffMsMin,
    backoffMsMax: o.backoffMsMax,
    // Room for the gate's wait and both crossings.
    callTimeoutMs: o.gateTimeoutMs + 4 * Math.max(o.faults.client.delayMsMax, 1) + 50,
  };
}

function build(o: Resolved): World {
  const random = seededRandom(o.seed);
  const clock = new VirtualClock();
  const network = new SimNetwork(clock, random, { peer: o.faults.peer, client: o.faults.client });
  const history: HistoryRecord[] = [];
  const branchIds = Array.from({ length: o.branches }, (_, i) => i + 1);
  history.push({
    type: "meta", version: 1, source: `sim seed ${o.seed}`, branches: branchIds, initialBalanceCents: o.initialBalanceCents,
    guarantees: [...o.guarantees], concurrent: true, wallMs: clock.wallNow(), monoMs: clock.now(),
  });
  const world = { clock, random, network, history, fatal: undefined } as World;
  // Machines and links need each other: the links reach replicas through the machines.
  world.links = new SimLinks(clock, network, o.replication ?? DEFAULT_LINK_CONFIG, branchIds, {
    incarnation: (id) => world.machines.incarnation(id),
    receive: (id, incarnation, writes) => world.machines.receive(id, incarnation, writes),
  });
  // Machine faults draw from streams of their own, so that the network's draws stay as they were.
  const machineRandom = seededRandom(streamSeed(o.seed, 0xd15c));
  world.machines = new SimBranches({
    seed: o.seed, branchIds, initialBalanceCents: o.initialBalanceCents, gateTimeoutMs: o.gateTimeoutMs, clock, network,
    random: machineRandom, links: world.links, applies: new SimApplyLog(history, clock), disk: o.faults.disk, crashes: o.faults.crashes,
    makeBranch: o.makeBranch ?? ((config, hooks) => new Branch(config, hooks)),
    fatal: (message) => (world.fatal ??= message),
  });
  world.machineFaults = new MachineFaults(clock, seededRandom(streamSeed(o.seed, 0xfa17)), world.machines, branchIds);
  addSessions(world, o);
  world.partitions = o.faults.partitions === null
    ? undefined
    : new PartitionScheduler(clock, network, random, o.faults.partitions, branchIds, world.sessions.map((s) => s.name));
  return world;
}

function addSessions(world: World, o: Resolved): void {
  const { history, clock, network, random } = world;
  let nextOp = 1;
  const sink: OpRecordSink = {
    invoke: (r) => {
      const op = nextOp++;
      history.push({ type: "invoke", op, ...r });
      return op;
    },
    complete: (op, r) => {
      history.push({ type: "complete", op, ...r });
    },
  };
  world.operations = () => nextOp - 1;
  world.sessionStats = newSessionStats();
  const bits = guaranteesToBits([...o.guarantees]);
  const retry = retryPolicy(o);
  world.sessions = Array.from({ length: o.sessions }, (_, i) => new SimCustomer({
    name: `s${i + 1}`, node: `s${i + 1}`, guarantees: bits, clock, network, random, retry, sink, stats: world.sessionStats, server: world.machines,
  }));
}

/** Every session's operations, one after another; resolves when all are done. */
function runWorkload(world: World, o: Resolved): Promise<void> {
  const { random } = world;
  const runSession = async (s: SimCustomer): Promise<void> => {
    let branch = 1 + Math.floor(random() * o.branches);
    for (let k = 0; k < o.opsPerSession; k++) {
      await s.sleep(random() * o.thinkMsMax);
      // Mostly stay, sometimes move: moving is what makes the gate work.
      if (random() < 0.5) branch = 1 + Math.floor(random() * o.branches);
      const r = random() * 10;
      const kind = r < 4 ? "deposit" : r < 7 ? "withdraw" : "query";
      const amount = 1 + Math.floor(random() * o.amountCentsMax);
      await s.perform(kind, amount, branch);
    }
  };
  return Promise.all(world.sessions.map(runSession)).then(() => undefined);
}

/** Fires timers until none is left; once the workload is done, faults stop so that the run settles. */
async function drive(world: World, o: Resolved, workload: Promise<void>): Promise<void> {
  const { clock, network } = world;
  let done = false;
  let failure: unknown;
  workload.then(() => (done = true), (err: unknown) => (failure = err));
  let calmed = false;
  for (;;) {
    await drainMicrotasks();
    if (failure !== undefined) throw failure;
    if (world.fatal !== undefined) throw new Error(`${describeOptions(o)}: ${world.fatal}`);
    if (done && !calmed) {
      // The workload is over: heal, stop injecting faults, let everything drain.
      calmed = true;
      world.partitions?.stop();
      world.machineFaults.stop();
      world.machines.settle();
      network.heal();
      network.setFaults({ peer: calm(o.faults.peer), client: calm(o.faults.client) });
    }
    if (!clock.step()) break;
    if (clock.fired > o.eventsMax) {
      throw new Error(`${describeOptions(o)}: still running after ${o.eventsMax} events (virtual time ${clock.now().toFixed(0)} ms); something never settles`);
    }
  }
  if (!done) throw new Error(`${describeOptions(o)}: stalled: sessions still waiting but no timer left to fire`);
  if (!world.machines.allUp) throw new Error(`${describeOptions(o)}: a branch is still down with no timer left to fire`);
}

/** Final records, the checker's verdict and the durability invariants. */
function verify(world: World, o: Resolved): SimResult {
  const { history, machines, clock } = world;
  let writes = 0;
  const finals = o.branches === 0 ? [] : Array.from({ length: o.branches }, (_, i) => machines.get(i + 1)!.state());
  for (const st of finals) {
    writes += st.issued;
    history.push({ type: "final", branch: st.branch, balanceCents: st.balanceCents, applied: toJson(st.applied) });
  }
  return {
    history,
    report: checkHistory(history),
    breaches: durabilityBreaches(history, finals, machines.decisions()),
    stats: {
      seed: o.seed,
      virtualMs: clock.now(),
      events: clock.fired,
      operations: world.operations(),
      sessions: world.sessionStats,
      network: { ...world.network.stats },
      replication: world.links.stats,
      partitions: world.partitions?.count ?? 0,
      writes,
      machines: machines.stats,
      diskFills: world.machineFaults.fills,
    },
  };
}
