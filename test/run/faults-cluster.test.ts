// The fault matrix on a real cluster: each fault kind alone, then a seeded
// mix, on a generated concurrent workload with every guarantee on. Each run
// must converge, lose no acknowledged write, and leave the checker with
// nothing to report but overdraft findings.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { checkHistory } from "../../lib/checker/checker.js";
import { generateScenario } from "../../lib/scenario/gen.js";
import type { HistoryRecord } from "../../lib/history/types.js";
import { runText } from "../helpers/run-scenario.js";

const seed = Number(process.env["BANK_SIM_TEST_SEED"] ?? 7);
const scenario = JSON.stringify(generateScenario({ branches: 4, customers: 6, events: 20, seed, mix: { deposit: 4, withdraw: 3, query: 3 } }));

const matrix: Array<[string, string, (s: { lost: number; duplicated: number; reordered: number; partitioned: number }) => boolean]> = [
  ["message loss", "loss=0.15", (s) => s.lost > 0],
  ["duplication", "dup=0.3", (s) => s.duplicated > 0],
  ["reordering", "reorder=0.5", (s) => s.reordered > 0],
  ["a partition that heals", "partition=1.2|3.4@50ms:400ms", (s) => s.partitioned > 0],
  ["a crash and restart", "crash=2@100ms:300ms", () => true],
  ["a worker thread terminated with its branches", "crash-worker=2@100ms:300ms", () => true],
  ["a seeded mix", "loss=0.1,dup=0.1,reorder=0.2,partition=1|2.3.4@50ms:300ms,crash=3@150ms:300ms,crash=1@500ms:200ms", (s) => s.lost + s.duplicated + s.reordered > 0],
];

for (const [name, faults, injected] of matrix) {
  t.test(`under ${name} (--faults ${faults}) the run converges and the checker finds nothing`, async (t) => {
    t.comment(`seed ${seed}: bin/bank-sim run s.json --concurrent --guarantees all --faults "${faults}" --seed ${seed}`);
    const report = await runText(t, scenario, `gen seed ${seed}`, { concurrent: true, guarantees: "all", faults, seed });
    // An operation a fault cut off (a crashed worker mid-call) fails the run, and only that may.
    const incomplete = report.summary.faults.unknownOutcomes + report.summary.faults.failedOperations;
    if (incomplete === 0) t.equal(report.error, undefined);
    else t.match(report.error, new RegExp(`^${incomplete} of ${report.outcomes.length} operations did not complete .* under the injected faults`));
    t.ok(report.converged);
    t.ok(injected(report.summary.links), `faults injected: ${JSON.stringify(report.summary.links)}`);
    if (faults.includes("crash-worker")) t.ok(report.summary.faults.events.some((e) => /terminated the worker of branch 2/.test(e)), report.summary.faults.events.join("; "));
    if (faults.includes("crash")) t.ok(report.summary.faults.events.some((e) => /recovered \d+ writes/.test(e)), report.summary.faults.events.join("; "));
    const records = readFileSync(join(report.outDir, "history.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as HistoryRecord);
    const check = checkHistory(records);
    t.ok(check.ok, check.violations.filter((v) => v.severity === "violation").map((v) => v.message).join("\n") || "checker ok");
    t.same(check.violations.filter((v) => v.severity !== "finding"), []);
    // Nothing acknowledged is lost: every acknowledged write is applied everywhere.
    const acked = report.outcomes.filter((o) => o.writeId).map((o) => o.writeId!.split(".").map(Number) as [number, number]);
    for (const f of report.finals) t.ok(acked.every(([b, s]) => (f.applied.get(b) ?? 0) >= s), `branch ${f.branch} holds every acknowledged write`);
    t.comment(`retries ${report.summary.faults.retries}, unknown ${report.summary.faults.unknownOutcomes}, failed ${report.summary.faults.failedOperations}, ${JSON.stringify(report.summary.links)}`);
  });
}

t.test("a branch keeps no log with --no-durable, and then a crash is refused up front", async (t) => {
  await t.rejects(runText(t, scenario, "s", { durable: false, faults: "crash=1@10ms" }), { message: /a branch can only recover from a crash with its log/ });
});
