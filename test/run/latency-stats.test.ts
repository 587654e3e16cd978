// Latency summaries: percentiles from an HDR histogram never exceed the
// largest value recorded (a bucket's top can lie above it), and an empty
// histogram reports zeros.

import fc from "fast-check";
import t from "tap";
import { LatencyStats } from "../../lib/run/latency-stats.js";

t.test("p50 ≤ p99 ≤ max for any set of latencies", async (t) => {
  fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 120_000, noNaN: true }), { minLength: 1, maxLength: 300 }), (values) => {
    const s = new LatencyStats();
    for (const v of values) s.record(v);
    const r = s.summary();
    return r.count === values.length && r.p50Ms! <= r.p99Ms! && r.p99Ms! <= r.maxMs!;
  }), { seed: 7 });
  t.pass("checked on random latencies (fast-check seed 7)");
});

t.test("the case that once reported p99 56.959 above max 56.952", async (t) => {
  // One value: its bucket's top, 56.959 ms, is what a raw percentile reports.
  const s = new LatencyStats();
  s.record(56.952);
  const r = s.summary();
  t.equal(r.maxMs, 56.952);
  t.ok(r.p99Ms! <= r.maxMs!, `p99 ${r.p99Ms} ≤ max ${r.maxMs}`);
});

t.test("an empty histogram reports zeros", async (t) => {
  t.same(new LatencyStats().summary(), { count: 0, p50Ms: null, p99Ms: null, maxMs: null, meanMs: null }, "no figure where nothing was recorded");
});
