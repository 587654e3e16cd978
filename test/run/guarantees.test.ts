// Randomised concurrent runs on a real cluster with every session guarantee on
// and random delays check clean: no violation, no anomaly, converged. Each
// guarantee alone is in guarantees-{mw,ryw,mr,wfr}.test.ts, the course's MW
// and RYW fixtures in guarantees-course.test.ts.

import t from "tap";
import { DEFAULT_MIX, generateScenario } from "../../lib/scenario/gen.js";
import { check } from "../helpers/guarantees.js";
import { runText } from "../helpers/run-scenario.js";

t.test("randomised concurrent runs with every guarantee on and random delays check clean", async (t) => {
  // Fixed seeds keep CI repeatable; BANK_SIM_TEST_SEED=<n> explores (or replays) others.
  const base = Number(process.env["BANK_SIM_TEST_SEED"] ?? 1001);
  t.comment(`base seed ${base}`);
  for (const seed of [base, base + 1, base + 2]) {
    t.test(`seed ${seed}: 5 branches, 5 customers, 20 events each`, async (t) => {
      t.comment(`seed ${seed}: bin/bank-sim gen --branches 5 --customers 5 --events 20 --seed ${seed} > s.json && ` +
        `bin/bank-sim run s.json --concurrent --delay 0..30ms --seed ${seed} --guarantees all`);
      const scenario = generateScenario({ branches: 5, customers: 5, events: 20, seed, mix: DEFAULT_MIX });
      const run = await runText(t, JSON.stringify(scenario), `gen seed ${seed}`, { concurrent: true, delay: "0..30ms", seed, guarantees: "all" });
      t.equal(run.error, undefined);
      t.ok(run.ok && run.converged, "every operation completed and the replicas converged");
      const report = await check(t, run);
      t.ok(report.ok, "no violations");
      t.same(report.violations.filter((v) => v.severity !== "finding"), [], "no violations and no anomalies");
      // --concurrent can overdraw (two branches approve withdrawals against the same funds): a finding, not a failure.
      t.same(report.violations.filter((v) => v.severity === "finding" && v.rule !== "overdraft"), []);
      t.equal(report.summary.find((s) => s.rule === "convergence")?.violations, 0);
      t.equal(report.stats.operations, 100);
    });
  }
});
