// results.json written as the run goes (results-file.ts): the events
// spooled as they complete, then the head, the spool and the tail written as
// one file, byte for byte what JSON.stringify(results, null, 2) gives with
// every outcome in hand; course answers kept in fixed arrays give the same
// output.json as the outcomes themselves.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { CourseAnswers } from "../../lib/run/course-answers.js";
import { writeOutputs } from "../../lib/run/out-dir.js";
import { buildResults, eventEntry, resultsHead, type RunSummary } from "../../lib/run/results.js";
import { ResultsFile, SPOOL } from "../../lib/run/results-file.js";
import { resolveRunConfig } from "../../lib/run/run-config.js";
import { seededRandom } from "../../lib/core/random.js";
import { DEFAULT_MIX, generateScenario } from "../../lib/scenario/gen.js";
import { parseScenario } from "../../lib/scenario/fixture.js";
import { courseOutput, courseOutputOf } from "../../lib/scenario/output.js";
import type { EventOutcome, Scenario } from "../../lib/scenario/scenario.js";

const lat = { count: 3, p50Ms: 1.5, p99Ms: 9, maxMs: 9, meanMs: 2.25 };
const summary: RunSummary = {
  wallMs: 1234.56789, startupMs: 100.0004, customersMs: 1000.1236, settleMs: 20.5, stopMs: 5.4444, operations: 4, opsPerSec: 3.99950617,
  latency: lat, gateWait: lat, propagationLag: lat,
  links: { links: 2, messages: 3, writes: 4, reconnects: 0, backlog: 0, resent: 0, lost: 0, duplicated: 0, reordered: 0, partitioned: 0 },
  writes: 2, requestBytes: 40, peakRssMb: 90, rssMbByQuarter: [80, 85.5], faults: { events: ["crashed \"2\"\nat 5"], retries: 1, unknownOutcomes: 1, failedOperations: 1 },
  heldAtGate: { requests: 1, totalMs: 12.3456, longest: { op: 3, customer: 2, event: 1, branch: 2, gateWaitMs: 12.346, guarantees: ["ryw", "mr"] } },
};

/** Random outcomes for every event of `s`, in a random completion order. */
function someOutcomes(s: Scenario, seed: number): EventOutcome[] {
  const random = seededRandom(seed);
  const all = s.customers.flatMap((c) => c.events.map((event, eventIndex): EventOutcome => {
    const r = random();
    const status = r < 0.1 ? "failed" : r < 0.2 ? "unknown" : "ok";
    const o: EventOutcome = { op: 0, asking: random() < 0.3 ? ["mw", "wfr"] : [], customerId: c.customerId, objectIndex: c.objectIndex, eventIndex, event, status, latencyMs: random() * 50, gateWaitMs: random() < 0.5 ? 0 : random() * 9, attempts: 1 + Math.floor(random() * 3) };
    if (status !== "ok") o.error = `deadline "exceeded"\n at ${event.path}`;
    else if (event.interface === "query") o.balanceCents = Math.floor(random() * 1e7);
    else {
      o.result = random() < 0.8 ? "success" : "fail";
      if (o.result === "success") o.writeId = `${event.branch}.${eventIndex + 1}`;
      if (event.interface === "withdraw") o.balanceCents = Math.floor(random() * 1e5);
    }
    if (random() < 0.1) o.servedBy = 1;
    return o;
  }));
  all.forEach((o, i) => (o.op = i + 1));
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}

function scenarioOf(seed: number, customers: number, events: number): Scenario {
  const text = JSON.stringify(generateScenario({ branches: 3, customers, events, seed, mix: DEFAULT_MIX }));
  return parseScenario(text, "<gen>", {});
}

for (const [customers, events] of [[1, 0], [1, 1], [5, 40]] as const) {
  t.test(`results.json from the spool is the same bytes as the whole file at once (${customers} customers x ${events} events)`, async (t) => {
    const scenario = scenarioOf(7, customers, events);
    const outcomes = someOutcomes(scenario, 11);
    const facts = {
      scenario, cfg: resolveRunConfig({ guarantees: "all", seed: 9, workers: 2 }, scenario.branches),
      finals: [{ branch: 1, balanceCents: 10_550, applied: new Map([[2, 1], [1, 3]]), issued: 3, pending: 0 }],
      converged: false, ok: false, error: "it \"failed\"\nthere", summary,
    };
    const dir = t.testdir({});
    const file = new ResultsFile(dir);
    for (const o of outcomes) file.add(eventEntry(o));
    await file.close();
    t.equal(file.events, outcomes.length);
    writeOutputs(dir, file.parts(resultsHead(facts)), undefined);
    file.discard();
    const whole = `${JSON.stringify(buildResults({ ...facts, outcomes }), null, 2)}\n`;
    t.equal(readFileSync(join(dir, "results.json"), "utf8"), whole);
    t.notOk(existsSync(join(dir, SPOOL)), "the spool is gone");
    t.same(readdirSync(dir), ["results.json"]);
  });
}

t.test("the head must end with the events: a key after them would put the spool in the wrong place", async (t) => {
  const file = new ResultsFile(t.testdir({}));
  file.add({ a: 1 });
  await file.close();
  t.throws(() => file.parts({ events: [], after: 1 }), /events must be its last key/);
  file.discard();
});

t.test("course answers kept in fixed arrays give output.json exactly as the outcomes do, in every shape", async (t) => {
  for (const shape of ["recv", "branch", "dest"] as const) {
    for (const seed of [1, 2, 3]) {
      const scenario = { ...scenarioOf(seed, 6, 12), shape };
      // Some events never complete (a run that stopped early): no outcome at all.
      const outcomes = someOutcomes(scenario, seed).filter((_, i) => i % 7 !== 3);
      const answers = new CourseAnswers(scenario);
      for (const o of outcomes) answers.record(o);
      t.same(courseOutputOf(scenario, answers.outcomeOf), courseOutput(scenario, outcomes), `${shape}, seed ${seed}`);
    }
  }
});
