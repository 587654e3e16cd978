// The fanout benchmark case measures a real host's fan-out: real branches,
// their reporter and their logs on disk, the reports read back over a real
// port. Its probe refuses to report a figure unless every replica applied
// every write, every apply was reported and every applied line came back.

import t from "tap";
import { formatFanoutTable, runFanoutBench } from "../../lib/bench/fanout-bench.js";
import { probe } from "../../lib/bench/fanout-probe.js";

t.test("every replica applies and reports every write, durable or in memory, and agrees on the balance", async (t) => {
  for (const durable of [true, false]) {
    const r = await probe(7, 40, durable);
    const total = 7 * (40 + Math.ceil(40 / 5));
    t.equal(r.reportedApplies, total, `${durable ? "durable" : "mem"}: each replica-apply reported, the warm-up's too`);
    t.equal(r.lines, total, "and each one's applied line read back");
  }
});

t.test("the case runs each size in its own process and prints a row per size and mode", async (t) => {
  const said: string[] = [];
  const r = await runFanoutBench(1, (l) => said.push(l), 0.005);
  t.same(r.rows.map((x) => [x.replicas, x.durable]), [[10, true], [100, true], [500, true], [10, false], [100, false], [500, false]]);
  for (const row of r.rows) {
    t.equal(row.usPerApply.length, 1);
    t.ok(row.medianUsPerApply > 0, `${row.replicas} replicas: a cost was measured`);
    t.equal(row.writes, Math.max(1, Math.round(1500 / row.replicas)));
  }
  t.same(said, ["fanout: repetition 1 of 1..."]);
  const table = formatFanoutTable(r);
  t.match(table, /\| 500 \| 3 \| mem \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
});
