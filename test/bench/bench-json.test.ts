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
    cases: Array<{
      kind: string; reps: number; median: { latency: { p50Ms: number | null }; bareLatencyP50Ms: number | null };
      runs: Array<{ rep: number; bareLatencyP50Ms: number | null; summary: { latency: { p50Ms: number | null } } }>;
    }>;
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
    const bare = c.runs[0]!.bareLatencyP50Ms;
    if (c.kind === "startup") t.equal(bare, null, "a start-up case's bare process makes no calls: no latency");
    else t.ok(bare !== null && bare > 0, `the bare calls' own p50 is measured (${bare} ms)`);
    t.equal(c.median.bareLatencyP50Ms, bare === null ? null : Math.round(bare * 100) / 100);
  }
  for (const c of report.checks) t.equal(c.runs.length, c.reps);
});

t.test("bench --case takes several cases, comma-separated, and runs them in that order; an unknown name is a usage error naming the choices", async (t) => {
  const dir = t.testdir({});
  const file = join(dir, "bench.json");
  const r = await runCli(t, ["bench", "--case", "quick-startup-b4,quick-b4-c4-e10", "--reps", "1", "--json", file], { cwd: dir, timeoutMs: 300_000 });
  t.equal(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(file, "utf8")) as { cases: Array<{ name: string }> };
  t.same(report.cases.map((c) => c.name), ["quick-startup-b4", "quick-b4-c4-e10"]);
  const bad = await runCli(t, ["bench", "--case", "quick-b4-c4-e10,b7", "--json", file], { cwd: dir });
  t.equal(bad.code, 2);
  t.match(bad.stderr, /--case: expected one of b10-c10-e100, .* found "b7"/);
  const mixed = await runCli(t, ["bench", "--case", "seed,b10-c10-e100", "--json", file], { cwd: dir });
  t.equal(mixed.code, 2);
  t.match(mixed.stderr, /--case: seed runs on its own/);
});
