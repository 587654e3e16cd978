// The summary in results.json, and the run's verdict on its operations, from
// what the steps measured: phase times, throughput, latencies, propagation
// lag, link counters and what the customers went through under faults.

import type { BranchState } from "../core/branch.js";
import type { FaultPlan } from "../core/fault-plan.js";
import type { LinkStats } from "../hosting/worker-protocol.js";
import type { EventOutcome } from "../scenario/scenario.js";
import type { CustomerTally } from "./drive.js";
import type { PropagationLag } from "./latency-stats.js";
import { HELD_MS, type HeldAtGate, type RunSummary } from "./results.js";

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
  const { outcomes } = m.tally;
  const { startupMs, customersMs, settleMs, stopMs } = m.times;
  return {
    wallMs: m.wallMs,
    startupMs,
    customersMs,
    settleMs,
    stopMs,
    operations: outcomes.length,
    opsPerSec: customersMs > 0 ? (outcomes.length / customersMs) * 1000 : 0,
    latency: m.tally.latency.summary(),
    gateWait: m.tally.gateWait.summary(),
    propagationLag: m.lag.stats.summary(),
    links: m.links,
    writes: m.finals.reduce((n, f) => n + f.issued, 0),
    requestBytes: Math.round(m.tally.sizes.mean),
    peakRssMb: m.peakRssMb,
    faults: {
      events: m.faultEvents,
      retries: outcomes.reduce((n, o) => n + o.attempts - 1, 0),
      unknownOutcomes: outcomes.filter((o) => o.status === "unknown").length,
      failedOperations: outcomes.filter((o) => o.status === "failed").length,
    },
    heldAtGate: heldAtGate(outcomes),
  };
}

/** The requests the gate held, and the longest hold. */
export function heldAtGate(outcomes: readonly EventOutcome[]): HeldAtGate {
  let requests = 0;
  let totalMs = 0;
  let longest: EventOutcome | undefined;
  for (const o of outcomes) {
    if (o.gateWaitMs <= HELD_MS) continue;
    requests++;
    totalMs += o.gateWaitMs;
    if (longest === undefined || o.gateWaitMs > longest.gateWaitMs) longest = o;
  }
  return {
    requests,
    totalMs,
    longest: longest === undefined ? null : {
      op: longest.op, customer: longest.customerId, event: longest.event.id, branch: longest.servedBy ?? longest.event.branch,
      gateWaitMs: Math.round(longest.gateWaitMs * 1000) / 1000, guarantees: longest.asking,
    },
  };
}

/**
 * Operations that ended failed or unknown fail the run, and say so, with or
 * without injected faults: under faults they can happen by design, but a
 * user who asked for N operations must not read "converged" and exit 0 when
 * some of them never completed.
 */
export function incompleteOperationsError(outcomes: readonly EventOutcome[], faults: FaultPlan): string | undefined {
  const failed = outcomes.filter((o) => o.status === "failed").length;
  const unknown = outcomes.filter((o) => o.status === "unknown").length;
  if (failed + unknown === 0) return undefined;
  const first = outcomes.find((o) => o.status !== "ok");
  const planned = faults.crashes.length + faults.partitions.length > 0 || faults.loss + faults.dup + faults.reorder > 0;
  return `${failed + unknown} of ${outcomes.length} operations did not complete (${failed} failed, ${unknown} of unknown outcome)` +
    `${planned ? " under the injected faults" : ""}; first: ${first?.error ?? ""}`;
}
