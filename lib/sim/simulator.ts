// The deterministic simulator: real Branch instances (lib/branch.ts: ledger,
// gate, waiters) and customer sessions, wired through a simulated network and
// driven by virtual time, all randomness from one seeded generator, so that a
// seed replays exactly: same seed, byte-identical history. The approach of
// FoundationDB's simulation and TigerBeetle's VOPR.
//
// A run: sessions perform random deposits, withdrawals and queries at random
// branches under the fault profile; when every session is done, the network
// heals and calms (delay only), every message and resend drains, each branch
// records its final state, and the real history checker (lib/checker.ts)
// judges convergence, exactly-once, balances and the session guarantees.
//
// The event loop: fire the earliest virtual timer, then let every promise
// continuation it caused run (one macrotask turn drains the microtask queue)
// before the next timer, so async code in Branch and in sessions runs as in
// production, only with time standing still while it does.

import { Branch, type BranchConfig, type BranchHooks } from "../core/branch.js";
import { checkHistory, type CheckReport } from "../checker/checker.js";
import { guaranteesToBits, type GuaranteeName, ALL_GUARANTEES } from "../core/gate.js";
import type { HistoryRecord } from "../history/types.js";
import { seededRandom } from "../core/random.js";
import { toJson } from "../history/vector-json.js";
import { describeFaults, PartitionScheduler, randomFaults, type SimFaults } from "./faults.js";
import { calm, SimNetwork, type NetworkStats } from "./sim-network.js";
import { DEFAULT_LINK_CONFIG, SimLinks, type ReplicationStats, type SimLinkConfig } from "./sim-links.js";
import { newSessionStats, SimCustomer, type SessionStats } from "./sim-customer.js";
import type { RetryPolicy } from "../core/session.js";
import type { OpRecordSink } from "../history/sink.js";
import { VirtualClock } from "./virtual-clock.js";

export interface SimOptions {
  seed: number;
  branches: number;
  sessions: number;
  opsPerSession: number;
  faults: SimFaults;
  guarantees: readonly GuaranteeName[];
  initialBalanceCents?: number;
  gateTimeoutMs?: number;
  /** Largest deposit or withdrawal, in cents. */
  amountCentsMax?: number;
  /** Pause before each operation: uniform in [0, thinkMsMax]. */
  thinkMsMax?: number;
  retry?: RetryPolicy;
  replication?: SimLinkConfig;
  /** Builds each branch; a test passes a deliberately broken subclass here. */
  makeBranch?: (config: BranchConfig, hooks: BranchHooks) => Branch;
  /** Bound on timers fired before the run is declared stuck. */
  eventsMax?: number;
}

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
}

export interface SimResult {
  history: HistoryRecord[];
  report: CheckReport;
  stats: SimStats;
}

export const SIM_DEFAULTS = {
  initialBalanceCents: 10_000,
  gateTimeoutMs: 400,
  amountCentsMax: 5_000,
  thinkMsMax: 30,
  attemptsMax: 6,
  backoffMsMin: 20,
  backoffMsMax: 500,
  eventsMax: 2_000_000,
};

/** The whole shape of a run, drawn from its seed alone, so that the seed is all a replay needs. */
export function configForSeed(seed: number, guarantees: readonly GuaranteeName[] = ALL_GUARANTEES): SimOptions {
  // A stream apart from the run's own generator, so changing the shape's draws does not shift the run's.
  const random = seededRandom((seed ^ 0x5bd1e995) >>> 0);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  return {
    seed,
    branches: int(2, 5),
    sessions: int(2, 6),
    opsPerSession: int(10, 40),
    faults: randomFaults(random),
    guarantees,
  };
}

export function describeOptions(o: SimOptions): string {
  return (
    `seed ${o.seed}: ${o.branches} branches, ${o.sessions} sessions × ${o.opsPerSession} ops, ` +
    `guarantees ${o.guarantees.join(",") || "none"}; ${describeFaults(o.faults)}`
  );
}

const drainMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function simulate(options: SimOptions): Promise<SimResult> {
  const o = { ...SIM_DEFAULTS, ...options };
  const random = seededRandom(o.seed);
  const clock = new VirtualClock();
  const network = new SimNetwork(clock, random, { peer: o.faults.peer, client: o.faults.client });
  const replication = new SimLinks(clock, network, o.replication ?? DEFAULT_LINK_CONFIG);
  const retry: RetryPolicy = o.retry ?? {
    attemptsMax: o.attemptsMax,
    backoffMsMin: o.backoffMsMin,
    backoffMsMax: o.backoffMsMax,
    // Room for the gate's wait and both crossings.
    callTimeoutMs: o.gateTimeoutMs + 4 * Math.max(o.faults.client.delayMsMax, 1) + 50,
  };

  const history: HistoryRecord[] = [];
  const branchIds = Array.from({ length: o.branches }, (_, i) => i + 1);
  history.push({
    type: "meta", version: 1, source: `sim seed ${o.seed}`, branches: branchIds, initialBalanceCents: o.initialBalanceCents,
    guarantees: [...o.guarantees], concurrent: true, wallMs: clock.wallNow(), monoMs: clock.now(),
  });

  const make = o.makeBranch ?? ((config, hooks) => new Branch(config, hooks));
  const branches = new Map<number, Branch>();
  for (const id of branchIds) {
    const branch = make(
      { id, branchIds, initialBalanceCents: o.initialBalanceCents, gateTimeoutMs: o.gateTimeoutMs, clock },
      {
        propagate: (w) => replication.propagate(id, w),
        applied: (ws) => {
          history.push({
            type: "apply", branch: id, writes: ws.map((w) => ({ id: `${w.id.branch}.${w.id.seq}`, kind: w.kind, amountCents: w.amountCents })),
            wallMs: clock.wallNow(), monoMs: clock.now(),
          });
        },
        log: () => undefined,
      },
    );
    branches.set(id, branch);
    replication.addBranch(branch);
  }

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
  const sessionStats = newSessionStats();
  const bits = guaranteesToBits([...o.guarantees]);
  const sessions = Array.from({ length: o.sessions }, (_, i) => new SimCustomer({
    name: `s${i + 1}`, node: `s${i + 1}`, guarantees: bits, clock, network, random, retry, sink, stats: sessionStats, branches,
  }));

  const partitions = o.faults.partitions === null
    ? undefined
    : new PartitionScheduler(clock, network, random, o.faults.partitions, branchIds, sessions.map((s) => s.name));
  partitions?.start();

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

  let done = false;
  let failure: unknown;
  Promise.all(sessions.map(runSession)).then(() => (done = true), (err: unknown) => (failure = err));
  let calmed = false;
  for (;;) {
    await drainMicrotasks();
    if (failure !== undefined) throw failure;
    if (done && !calmed) {
      // The workload is over: heal, stop injecting faults, let everything drain.
      calmed = true;
      partitions?.stop();
      network.heal();
      network.setFaults({ peer: calm(o.faults.peer), client: calm(o.faults.client) });
    }
    if (!clock.step()) break;
    if (clock.fired > o.eventsMax) {
      throw new Error(`${describeOptions(options)}: still running after ${o.eventsMax} events (virtual time ${clock.now().toFixed(0)} ms); something never settles`);
    }
  }
  if (!done) throw new Error(`${describeOptions(options)}: stalled: sessions still waiting but no timer left to fire`);

  let writes = 0;
  for (const b of branches.values()) {
    const st = b.state();
    writes += st.issued;
    history.push({ type: "final", branch: st.branch, balanceCents: st.balanceCents, applied: toJson(st.applied) });
  }
  return {
    history,
    report: checkHistory(history),
    stats: {
      seed: o.seed,
      virtualMs: clock.now(),
      events: clock.fired,
      operations: nextOp - 1,
      sessions: sessionStats,
      network: { ...network.stats },
      replication: replication.stats,
      partitions: partitions?.count ?? 0,
      writes,
    },
  };
}
