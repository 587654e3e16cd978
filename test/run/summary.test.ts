// The run summary from measured pieces, and the verdict on operations that
// did not complete.

import t from "tap";
import { NO_FAULTS, type FaultPlan } from "../../lib/core/fault-plan.js";
import { CustomerTally } from "../../lib/run/drive.js";
import { PropagationLag } from "../../lib/run/latency-stats.js";
import { incompleteOperationsError, summarize } from "../../lib/run/summary.js";
import type { EventOutcome } from "../../lib/scenario/scenario.js";

const outcome = (over: Partial<EventOutcome>): EventOutcome => ({
  op: 1, asking: [], customerId: 1, objectIndex: 0, eventIndex: 0, event: { id: 1, interface: "deposit", amountCents: 100, branch: 1, path: "[0].events[0]" },
  status: "ok", latencyMs: 4, gateWaitMs: 0, attempts: 1, ...over,
});

const links = { links: 2, messages: 5, writes: 9, reconnects: 1, backlog: 0, resent: 2, lost: 1, duplicated: 0, reordered: 0, partitioned: 0 };

function measured(outcomes: EventOutcome[], customersMs: number) {
  const tally = new CustomerTally();
  for (const o of outcomes) tally.record(o);
  tally.sizes.sample(1, () => 101);
  tally.sizes.sample(17, () => 120);
  const lag = new PropagationLag(2);
  lag.applied("1.1", 1_000, 1_000);
  lag.applied("1.1", 1_000, 1_030);
  return summarize({
    wallMs: 900, times: { startupMs: 100, customersMs, settleMs: 50, stopMs: 20 }, tally, lag, links,
    finals: [{ branch: 1, balanceCents: 0, applied: new Map(), issued: 3, pending: 0 }, { branch: 2, balanceCents: 0, applied: new Map(), issued: 2, pending: 0 }],
    faultEvents: ["crashed branch 2 at 100 ms"], peakRssMb: 77,
  });
}

t.test("the summary counts operations, their rate over the customers' time, writes issued, retries and outcomes", async (t) => {
  const s = measured([outcome({}), outcome({ attempts: 3 }), outcome({ status: "unknown", attempts: 2 }), outcome({ status: "failed", attempts: 6 })], 500);
  t.same([s.wallMs, s.startupMs, s.customersMs, s.settleMs, s.stopMs], [900, 100, 500, 50, 20]);
  t.equal(s.operations, 4);
  t.equal(s.opsPerSec, 8);
  t.equal(s.writes, 5, "issued summed over branches");
  t.equal(s.requestBytes, 111, "mean of the sampled sizes, rounded");
  t.equal(s.peakRssMb, 77);
  t.same(s.links, links);
  t.same(s.faults, { events: ["crashed branch 2 at 100 ms"], retries: 0 + 2 + 1 + 5, unknownOutcomes: 1, failedOperations: 1 });
  t.equal(s.latency.count, 4);
  t.equal(s.propagationLag.maxMs, 30, "from acceptance to the last replica");
});

t.test("a run whose customers took no time has a rate of 0, not a division by zero", async (t) => {
  t.equal(measured([], 0).opsPerSec, 0);
});

/** The counts a run keeps of these outcomes. */
function counted(outcomes: EventOutcome[]): CustomerTally {
  const tally = new CustomerTally();
  for (const o of outcomes) tally.record(o);
  return tally;
}

const plan = (over: Partial<FaultPlan>): FaultPlan => ({ ...NO_FAULTS, ...over });

t.test("operations that did not complete fail the run, saying how many of how many, and the first error", async (t) => {
  const outcomes = [outcome({}), outcome({ status: "failed", error: "gate timed out" }), outcome({ status: "unknown", error: "deadline" })];
  t.equal(incompleteOperationsError(counted(outcomes), NO_FAULTS), "2 of 3 operations did not complete (1 failed, 1 of unknown outcome); first: gate timed out");
  t.equal(incompleteOperationsError(counted([outcome({})]), NO_FAULTS), undefined);
});

t.test("under injected faults operations that did not complete still fail the run, and the message says the faults were planned", async (t) => {
  const outcomes = [outcome({ status: "unknown", error: "deadline" })];
  const expected = "1 of 1 operations did not complete (0 failed, 1 of unknown outcome) under the injected faults; first: deadline";
  t.equal(incompleteOperationsError(counted(outcomes), plan({ crashes: [{ branch: 1, atMs: 0, restartAfterMs: 1, scope: "branch" }] })), expected);
  t.equal(incompleteOperationsError(counted(outcomes), plan({ partitions: [{ groups: [[1], [2]], atMs: 0, forMs: 1 }] })), expected);
  t.equal(incompleteOperationsError(counted(outcomes), plan({ loss: 0.1 })), expected);
  t.equal(incompleteOperationsError(counted(outcomes), plan({ dup: 0.5, reorder: 0.5 })), expected);
});
