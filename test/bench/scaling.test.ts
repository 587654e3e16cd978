// The bench's scaling rows: each concurrent case's CPU per operation beyond
// start-up against the case with the fewest branches of the same shape, as
// formatBenchTable prints them. Pure arithmetic on given figures.

import t from "tap";
import { scalingRows, type ScalingCase } from "../../lib/bench/scaling.js";

const run = (name: string, branches: number, cpu: number | null, shape = { customers: 10, events: 100 }, kind = "run"): ScalingCase =>
  ({ name, kind, branches, ...shape, median: { marginalCpuMsPerOp: cpu } });

t.test("each case is measured against the fewest branches of the same customers and events", async (t) => {
  const rows = scalingRows([run("b100", 100, 2.84), run("b10", 10, 2.15), run("b1000", 1000, 6.65), run("b10-c64", 10, 1.5, { customers: 64, events: 50 })]);
  t.same(rows.map((r) => [r.name, r.base.name, r.ratio]), [["b100", "b10", 1.32], ["b1000", "b10", 3.09]]);
  t.equal(rows[1]!.base.branches, 10);
  t.equal(rows[1]!.cpuMsPerOp, 6.65);
});

t.test("no row without a figure beyond start-up, without a smaller case of its shape, or for other kinds", async (t) => {
  t.same(scalingRows([run("b10", 10, 2), run("b1000", 1000, null)]), [], "the larger case has no marginal figure");
  t.same(scalingRows([run("b10", 10, null), run("b1000", 1000, 7)]), [], "the base has none");
  t.same(scalingRows([run("b10", 10, 2), run("b1000", 1000, 7, { customers: 10, events: 50 })]), [], "different events: not comparable");
  t.same(scalingRows([run("seq", 10, 2, undefined, "sequential"), run("b1000", 1000, 7)]), [], "a sequential case is no base");
  t.same(scalingRows([run("b10", 10, 0), run("b1000", 1000, 7)]), [], "a zero base gives no ratio");
});
