// The summary in results.json, and the run's verdict on its operations, from
// what the steps measured: phase times, throughput, latencies, propagation
// lag, link counters and what the customers went through under faults.

import type { BranchState } from "../core/branch.js";
import type { FaultPlan } from "../core/fault-plan.js";
import type { LinkStats } from "../hosting/worker-protocol.js";
import type { CustomerTally, OperationCounts } from "./drive.js";
import type { PropagationLag } from "./latency-stats.js";
import type { RunSummary } from "./results.js";

/** How long each step took. */
export interface PhaseTimes {
  startupMs: number;
  customersMs: number;
  settleMs: number;
  stopMs: number;
}

export function summarize(m: {
  wallMs: number;
  times: PhaseTimes;
  tally: CustomerTally;
  lag: PropagationLag;
  links: LinkStats;
  finals: readonly BranchState[];
  faultEvents: string[];
  peakRssMb: number;
}): RunSummary {
  const { operations } = m.tally;
  const { startupMs, customersMs, settleMs, stopMs } = m.times;
  return {
    wallMs: m.wallMs,
    startupMs,
    customersMs,
    settleMs,
    stopMs,
    operations,
    opsPerSec: customersMs > 0 ? (operations / customersMs) * 1000 : 0,
    latency: m.tally.latency.summary(),
    gateWait: m.tally.gateWait.summary(),
    propagationLag: m.lag.stats.summary(),
    links: m.links,
    writes: m.finals.reduce((n, f) => n + f.issued, 0),
    requestBytes: Math.round(m.tally.sizes.mean),
    peakRssMb: m.peakRssMb,
    rssMbByQuarter: m.tally.memory.rssMb,
    faults: {
      events: m.faultEvents,
      retries: m.tally.retries,
      unknownOutcomes: m.tally.unknown,
      failedOperations: m.tally.failed,
    },
    heldAtGate: m.tally.notable.heldAtGate(),
  };
}

/**
 * Operations that ended failed or unknown fail the run, and say so, with or
 * without injected faults: under faults they can happen by design, but a
 * user who asked for N operations must not read "converged" and exit 0 when
 * some of them never completed.
 */
export function incompleteOperationsError(counts: OperationCounts, faults: FaultPlan): string | undefined {
  const { failed, unknown } = counts;
  if (failed + unknown === 0) return undefined;
  const planned = faults.crashes.length + faults.partitions.length > 0 || faults.loss + faults.dup + faults.reorder > 0;
  return `${failed + unknown} of ${counts.operations} operations did not complete (${failed} failed, ${unknown} of unknown outcome)` +
    `${planned ? " under the injected faults" : ""}; first: ${counts.firstIncomplete ?? ""}`;
}
