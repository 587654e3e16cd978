// bench's JSON is a contract (schemas/bench-report.schema.json): `bench
// --quick` writes one that validates, with its version, when it ran, the
// machine, and every repetition beside the medians, named as results.json
// names them. No timing is asserted here (timings belong to `npm run bench`).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { assertValid } from "../helpers/output-schemas.js";
import { runCli } from "../helpers/run-cli.js";

t.test("bench --quick writes a JSON report that matches its schema and keeps every repetition", async (t) => {
  const dir = t.testdir({});
  const file = join(dir, "bench.json");
  const r = await runCli(t, ["bench", "--quick", "--json", file], { cwd: dir, timeoutMs: 300_000 });
  t.equal(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(file, "utf8")) as {
    version: number; startedAt: string; finishedAt: string; machine: { cpus: number; node: string };
    cases: Array<{ reps: number; median: { latency: { p50Ms: number | null } }; runs: Array<{ rep: number; summary: { latency: { p50Ms: number | null } } }> }>;
    checks: Array<{ reps: number; runs: unknown[] }>;
  };
  assertValid(t, "bench", report, "bench --quick's JSON");
  t.equal(report.version, 1);
  t.ok(Date.parse(report.startedAt) <= Date.parse(report.finishedAt), "started before it finished");
  t.equal(report.machine.node, process.version);
  t.equal(report.cases.length, 3, "the quick grid: a concurrent, a sequential and a start-up case");
  t.equal(report.checks.length, 1);
  for (const c of report.cases) {
    t.equal(c.runs.length, c.reps, "every repetition is kept");
    t.same(c.runs.map((x) => x.rep), [1], "numbered");
    const only = c.runs[0]!.summary.latency.p50Ms;
    t.equal(c.median.latency.p50Ms, only === null ? null : Math.round(only * 100) / 100, "one repetition: the median is that repetition's figure (to 0.01 ms)");
  }
  for (const c of report.checks) t.equal(c.runs.length, c.reps);
});
