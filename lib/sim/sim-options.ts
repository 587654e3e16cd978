// The shape of a simulated run (lib/sim/simulator.ts): its options, their
// defaults, and the whole shape drawn from a seed alone (branches, sessions,
// operations, the fault profile), so that the seed is all a replay needs.

import { ALL_GUARANTEES, type GuaranteeName } from "../core/gate.js";
import type { RetryPolicy } from "../core/session.js";
import { seededRandom } from "../core/random.js";
import { describeFaults, randomFaults, type SimFaults } from "./faults.js";
import type { MakeBranch } from "./sim-branches.js";
import type { SimLinkConfig } from "./sim-links.js";

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
  /** Builds each branch (at every start); a test passes a deliberately broken one here. */
  makeBranch?: MakeBranch;
  /** Bound on timers fired before the run is declared stuck. */
  eventsMax?: number;
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
