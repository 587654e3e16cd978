// results.json shaping, on hand-made outcomes and final states: every event
// with its operation number, branch, status and money as plain numbers; every
// key always there, null where it does not apply; times rounded to the
// microsecond; each branch's final state. Every shape is also checked against
// schemas/results.schema.json.

import t from "tap";
import { assertValid } from "../helpers/output-schemas.js";
import type { BranchState } from "../../lib/core/branch.js";
import { buildResults, type RunSummary } from "../../lib/run/results.js";
import { resolveRunConfig } from "../../lib/run/run-config.js";
import type { EventOutcome, Scenario, ScenarioEvent } from "../../lib/scenario/scenario.js";

const scenario: Scenario = {
  source: "bank.json", branches: [1, 2], initialBalanceCents: 10_000, customers: [], shape: "branch",
  warnings: ["[0].events[1].id: duplicate event id 1"],
};

const event = (over: Partial<ScenarioEvent>): ScenarioEvent => ({ id: 1, interface: "query", amountCents: 0, branch: 1, path: "[0].events[0]", ...over });

const outcome = (over: Partial<EventOutcome> & { event: ScenarioEvent }): EventOutcome => ({
  op: 1, asking: [], customerId: 1, objectIndex: 0, eventIndex: 0, status: "ok", latencyMs: 1, gateWaitMs: 0, attempts: 1, ...over,
});

const lat = { count: 0, p50Ms: null, p99Ms: null, maxMs: null, meanMs: null } as const;
const summary: RunSummary = {
  wallMs: 1234.56789, startupMs: 100.0004, customersMs: 1000.1236, settleMs: 20.5, stopMs: 5.4444, operations: 4, opsPerSec: 3.99950617,
  latency: lat, gateWait: lat, propagationLag: lat,
  links: { links: 2, messages: 3, writes: 4, reconnects: 0, backlog: 0, resent: 0, lost: 0, duplicated: 0, reordered: 0, partitioned: 0 },
  writes: 2, requestBytes: 40, peakRssMb: 90, rssMbByQuarter: [80, 85.5], faults: { events: [], retries: 1, unknownOutcomes: 1, failedOperations: 0 },
  heldAtGate: { requests: 1, totalMs: 12.3456, longest: { op: 3, customer: 2, event: 1, branch: 2, gateWaitMs: 12.346, guarantees: ["ryw"] } },
};

const finals: BranchState[] = [
  { branch: 1, balanceCents: 10_550, applied: new Map([[2, 1], [1, 1]]), issued: 1, pending: 0 },
  { branch: 2, balanceCents: 10_550, applied: new Map([[1, 1], [2, 1]]), issued: 1, pending: 0 },
];

const outcomes: EventOutcome[] = [
  outcome({ event: event({ interface: "deposit", amountCents: 1_050 }), result: "success", writeId: "1.1", latencyMs: 1.23456, gateWaitMs: 0.0004 }),
  outcome({ op: 2, eventIndex: 1, event: event({ id: 2, interface: "withdraw", amountCents: 50_000, branch: 2, path: "[0].events[1]" }), result: "fail", balanceCents: 11_050, servedBy: 1, attempts: 2, asking: ["mw", "ryw"] }),
  outcome({ op: 3, customerId: 2, objectIndex: 1, event: event({ branch: 2, path: "[1].events[0]" }), balanceCents: 10_550, gateWaitMs: 12.3456, asking: ["ryw"] }),
  outcome({ op: 4, customerId: 2, objectIndex: 1, eventIndex: 1, event: event({ id: 2, interface: "deposit", amountCents: 500, branch: 2, path: "[1].events[1]" }), status: "unknown", error: "deadline exceeded" }),
];

const results = (over: { ok?: boolean; error?: string } = {}) => buildResults({
  scenario, cfg: resolveRunConfig({ guarantees: "all", seed: 9, delay: "5ms", workers: 2 }, scenario.branches),
  outcomes, finals, converged: true, ok: over.ok ?? true, error: over.error, summary,
}) as Record<string, unknown>;

t.test("every event becomes an entry with its op number, branch, status and amounts as plain numbers; null where a value does not apply", async (t) => {
  const common = { servedBy: null, amount: null, result: null, balance: null, writeId: null, heldFor: [], error: null };
  t.same(results()["events"], [
    { ...common, op: 1, customer: 1, object: 0, event: 1, path: "[0].events[0]", interface: "deposit", branch: 1, amount: 10.5, status: "ok", result: "success", writeId: "1.1", latencyMs: 1.235, gateWaitMs: 0, attempts: 1 },
    { ...common, op: 2, customer: 1, object: 0, event: 2, path: "[0].events[1]", interface: "withdraw", branch: 2, servedBy: 1, amount: 500, status: "ok", result: "fail", balance: 110.5, latencyMs: 1, gateWaitMs: 0, attempts: 2 },
    { ...common, op: 3, customer: 2, object: 1, event: 1, path: "[1].events[0]", interface: "query", branch: 2, status: "ok", balance: 105.5, latencyMs: 1, gateWaitMs: 12.346, heldFor: ["ryw"], attempts: 1 },
    { ...common, op: 4, customer: 2, object: 1, event: 2, path: "[1].events[1]", interface: "deposit", branch: 2, amount: 5, status: "unknown", latencyMs: 1, gateWaitMs: 0, attempts: 1, error: "deadline exceeded" },
  ]);
  const events = results()["events"] as Array<Record<string, unknown>>;
  for (const [k, e] of events.entries()) t.same(Object.keys(e), Object.keys(events[0]!), `event ${k} has every key, in one order`);
  assertValid(t, "results", results());
});

t.test("each branch's final balance and state come from its final state, applied sets as objects in branch order", async (t) => {
  const r = results();
  t.same(r["finalBalances"], { "1": 105.5, "2": 105.5 });
  t.same(r["branches"], [
    { branch: 1, balance: 105.5, applied: { "1": 1, "2": 1 }, issued: 1 },
    { branch: 2, balance: 105.5, applied: { "1": 1, "2": 1 }, issued: 1 },
  ]);
  t.same(Object.keys((r["branches"] as Array<{ applied: object }>)[0]!.applied), ["1", "2"], "applied printed in branch order");
});

t.test("the summary's times and rate are rounded to three decimals, its counters kept as they are", async (t) => {
  const s = results()["summary"] as RunSummary;
  t.same([s.wallMs, s.startupMs, s.customersMs, s.settleMs, s.stopMs, s.opsPerSec], [1234.568, 100, 1000.124, 20.5, 5.444, 4]);
  t.same(s.links, summary.links);
  t.same([s.operations, s.writes, s.requestBytes, s.peakRssMb, s.rssMbByQuarter], [4, 2, 40, 90, [80, 85.5]]);
});

t.test("the config records what shaped the run, and the source and warnings come from the scenario", async (t) => {
  const r = results();
  t.same(r["config"], {
    branches: 2, workers: 2, guarantees: ["mw", "ryw", "mr", "wfr"], concurrent: false, overdraftGuard: "none", delay: "5ms",
    durable: true, faults: { loss: 0, dup: 0, reorder: 0, partitions: [], crashes: [] }, seed: 9, gateTimeoutMs: 5_000,
  });
  t.equal(r["source"], "bank.json");
  t.same(r["warnings"], ["[0].events[1].id: duplicate event id 1"]);
  t.equal(r["converged"], true);
});

t.test("a failed run says so and carries its error; a run that succeeded has error null", async (t) => {
  const failed = results({ ok: false, error: "replicas did not converge" });
  t.equal(failed["ok"], false);
  t.equal(failed["error"], "replicas did not converge");
  assertValid(t, "results", failed);
  const fine = results();
  t.equal(fine["ok"], true);
  t.equal(fine["error"], null);
  t.same(Object.keys(fine).slice(0, 4), ["version", "ok", "error", "source"], "the format's version, then ok, first, as people read the file");
  t.equal(fine["version"], 1);
});
