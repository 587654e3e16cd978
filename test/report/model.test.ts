// The report's pure model: a history and the checker's report in, what the
// diagram draws out (times from the first request, gate holds, propagation,
// buffering, statuses, findings on the operations they name, plot data).

import t from "tap";
import { checkHistory } from "../../lib/checker/checker.js";
import type { HistoryRecord } from "../../lib/history/types.js";
import { buildReportModel, histogram, throughput } from "../../lib/report/model.js";
import { renderPage, scriptJson } from "../../lib/report/page.js";

const T = 1_000_000; // monoMs of the run's start

function meta(guarantees: string[] = [], source = "ryw.json", branches = [1, 2]): HistoryRecord {
  return { type: "meta", version: 1, source, branches, initialBalanceCents: 0, guarantees, concurrent: false, wallMs: 0, monoMs: T };
}

/** The RYW anomaly of examples/anomalies/ryw.json: deposit 100 at 1, query 2 (stale), 1.1 reaches 2 after 400 ms. */
function rywHistory(): HistoryRecord[] {
  return [
    meta(),
    { type: "invoke", op: 1, session: "c1", requestId: "c1#1", branch: 1, kind: "deposit", amountCents: 10000, writeSet: {}, readSet: {}, wallMs: 0, monoMs: T + 200 },
    { type: "apply", branch: 1, writes: [{ id: "1.1", kind: "deposit", amountCents: 10000 }], wallMs: 0, monoMs: T + 210 },
    { type: "complete", op: 1, session: "c1", branch: 1, kind: "deposit", status: "ok", result: "success", writeId: "1.1", witness: { "1": 1 }, gateWaitMs: 0, attempts: 1, wallMs: 0, monoMs: T + 220 },
    { type: "invoke", op: 2, session: "c1", requestId: "c1#2", branch: 2, kind: "query", amountCents: 0, writeSet: { "1": 1 }, readSet: {}, wallMs: 0, monoMs: T + 221 },
    { type: "complete", op: 2, session: "c1", branch: 2, kind: "query", status: "ok", result: "success", witness: {}, balanceCents: 0, gateWaitMs: 0, attempts: 1, wallMs: 0, monoMs: T + 231 },
    { type: "apply", branch: 2, writes: [{ id: "1.1", kind: "deposit", amountCents: 10000 }], wallMs: 0, monoMs: T + 620 },
    { type: "final", branch: 1, balanceCents: 10000, applied: { "1": 1 } },
    { type: "final", branch: 2, balanceCents: 10000, applied: { "1": 1 } },
  ];
}

t.test("times count from the first request; a write propagates from its acceptance to every replica", async (t) => {
  const h = rywHistory();
  const m = buildReportModel(h, checkHistory(h));
  t.equal(m.startupMs, 200);
  t.same(m.sessions, ["c1"]);
  t.same(m.branches, [1, 2]);
  const [deposit, query] = m.ops;
  t.match(deposit, { op: 1, startMs: 0, endMs: 20, status: "ok", writeId: "1.1" });
  t.match(query, { op: 2, startMs: 21, endMs: 31, balanceCents: 0 });
  t.equal(m.writes.length, 1);
  const w = m.writes[0]!;
  t.match(w, { id: "1.1", origin: 1, op: 1 });
  // Accepted when the (estimated) gate hold ends at the origin: mid-request, 10 ms after it left.
  t.equal(w.acceptedMs, 10);
  t.same(w.applied, [[1, 10], [2, 420]], "the origin's merged apply time is never before acceptance");
  t.equal(m.endMs, 420);
});

t.test("an operation carries its Lamport clocks when the history has them (send and receipt), and none when not", async (t) => {
  const h = rywHistory().map((r) =>
    r.type === "invoke" && r.op === 1 ? { ...r, clock: 1 } : r.type === "complete" && r.op === 1 ? { ...r, branchClock: 2 } : r,
  );
  const m = buildReportModel(h, checkHistory(h));
  t.match(m.ops[0], { op: 1, clock: 1, branchClock: 2 });
  t.notOk("clock" in m.ops[1]!, "an invoke without a clock gives an operation without one");
  t.notOk("branchClock" in m.ops[1]!);
});

t.test("the checker's findings sit on the operations they name, with its explanation", async (t) => {
  const h = rywHistory();
  const check = checkHistory(h);
  const m = buildReportModel(h, check);
  t.equal(m.findings.length, 1);
  const f = m.findings[0]!;
  t.match(f, { rule: "RYW", severity: "anomaly", guarantee: "ryw", ops: [1, 2], session: "c1", branch: 2 });
  t.equal(f.message, check.violations[0]!.message);
  t.same(m.ops.map((o) => o.findings), [[0], [0]]);
  t.same(m.counts, { violations: 0, anomalies: 1, findings: 0 });
  t.equal(m.verdict, "ok");

  // With RYW on, the same history is a violation of it.
  const on = [meta(["ryw"]), ...h.slice(1)];
  const mOn = buildReportModel(on, checkHistory(on));
  t.match(mOn.findings[0], { rule: "RYW", severity: "violation" });
  t.equal(mOn.verdict, "failed");
});

t.test("gate holds sit mid-request; refused, unknown and unanswered operations keep their status", async (t) => {
  const h: HistoryRecord[] = [
    meta(["ryw"]),
    { type: "invoke", op: 1, session: "a", requestId: "a#1", branch: 1, kind: "query", amountCents: 0, writeSet: {}, readSet: {}, wallMs: 0, monoMs: T + 100 },
    { type: "complete", op: 1, session: "a", branch: 1, kind: "query", status: "ok", result: "success", witness: {}, balanceCents: 0, gateWaitMs: 60, attempts: 1, wallMs: 0, monoMs: T + 200 },
    { type: "invoke", op: 2, session: "b", requestId: "b#1", branch: 2, kind: "withdraw", amountCents: 500, writeSet: {}, readSet: {}, wallMs: 0, monoMs: T + 110 },
    { type: "complete", op: 2, session: "b", branch: 2, kind: "withdraw", status: "fail", gateWaitMs: 0, attempts: 6, error: "gate timeout", wallMs: 0, monoMs: T + 150 },
    { type: "invoke", op: 3, session: "c", requestId: "c#1", branch: 1, kind: "deposit", amountCents: 500, writeSet: {}, readSet: {}, wallMs: 0, monoMs: T + 120 },
    { type: "complete", op: 3, session: "c", branch: 1, kind: "deposit", status: "info", gateWaitMs: 0, attempts: 2, error: "deadline", wallMs: 0, monoMs: T + 300 },
    { type: "invoke", op: 4, session: "d", requestId: "d#1", branch: 2, kind: "query", amountCents: 0, writeSet: {}, readSet: {}, wallMs: 0, monoMs: T + 130 },
  ];
  const m = buildReportModel(h, checkHistory(h));
  const [held, refused, unknown, open] = m.ops;
  t.same(held!.gate, [20, 80], "100 ms answered, 60 of them held: 20 ms on the wire each way");
  t.match(refused, { status: "fail", attempts: 6, error: "gate timeout" });
  t.match(unknown, { status: "info", error: "deadline" });
  t.equal(open!.status, "open");
  t.equal(open!.endMs, m.endMs, "an operation without completion is drawn to the end of the run");
  t.equal(m.sessions.join(), "a,b,c,d");
  t.equal(m.plots.gateWait.samples, 3, "unanswered operations are left out of the distributions");
});

t.test("a buffered write is marked where and when a replica held it, then applied", async (t) => {
  const h: HistoryRecord[] = [
    meta(["mw"], "mw.json", [1, 2, 3]),
    { type: "invoke", op: 1, session: "c1", requestId: "c1#1", branch: 1, kind: "deposit", amountCents: 100, writeSet: {}, readSet: {}, wallMs: 0, monoMs: T },
    { type: "apply", branch: 1, writes: [{ id: "1.1", kind: "deposit", amountCents: 100 }], wallMs: 0, monoMs: T + 5 },
    { type: "complete", op: 1, session: "c1", branch: 1, kind: "deposit", status: "ok", result: "success", writeId: "1.1", witness: { "1": 1 }, gateWaitMs: 0, attempts: 1, wallMs: 0, monoMs: T + 10 },
    { type: "invoke", op: 2, session: "c1", requestId: "c1#2", branch: 2, kind: "deposit", amountCents: 50, writeSet: { "1": 1 }, readSet: {}, wallMs: 0, monoMs: T + 11 },
    { type: "apply", branch: 2, writes: [{ id: "1.1", kind: "deposit", amountCents: 100 }, { id: "2.1", kind: "deposit", amountCents: 50 }], wallMs: 0, monoMs: T + 200 },
    { type: "complete", op: 2, session: "c1", branch: 2, kind: "deposit", status: "ok", result: "success", writeId: "2.1", witness: { "1": 1, "2": 1 }, gateWaitMs: 195, attempts: 1, wallMs: 0, monoMs: T + 211 },
    { type: "buffer", branch: 3, writes: ["2.1"], wallMs: 0, monoMs: T + 215 },
    { type: "apply", branch: 3, writes: [{ id: "1.1", kind: "deposit", amountCents: 100 }, { id: "2.1", kind: "deposit", amountCents: 50 }], wallMs: 0, monoMs: T + 500 },
  ];
  const m = buildReportModel(h, checkHistory(h));
  const w21 = m.writes.find((w) => w.id === "2.1")!;
  t.same(w21.buffered, [[3, 215]]);
  t.same(w21.applied.map(([b]) => b), [2, 3]);
  t.equal(w21.applied[1]![1], 500);
  t.ok(w21.applied[0]![1] >= w21.acceptedMs, "the merged apply at the origin is not drawn before acceptance");
  t.equal(m.writes.find((w) => w.id === "1.1")!.buffered.length, 0);
  t.equal(m.plots.lag.samples, 2, "one lag per write that reached another replica");
  t.equal(m.plots.lag.maxMs, 495, "1.1: accepted at 5 ms, at the last replica at 500 ms");
});

t.test("histograms hold every sample, the largest in the last bin", async (t) => {
  const xs = [0, 0.2, 3, 7.5, 7.5, 12, 99.9, 100];
  const h = histogram(xs);
  t.equal(h.counts.reduce((a, b) => a + b, 0), xs.length);
  t.equal(h.edges.length, h.counts.length + 1);
  t.equal(h.maxMs, 100);
  t.ok(h.edges.at(-1)! > 100, "the last bin covers the maximum");
  t.ok(h.counts.at(-1)! >= 1);
  t.same(histogram([]), { edges: [0, 1], counts: [0], samples: 0, maxMs: 0 });

  const tp = throughput([1, 2, 3, 50, 99], 100);
  t.equal(tp.counts.reduce((a, b) => a + b, 0), 5);
  t.equal(tp.starts.length, tp.counts.length);
  t.equal(tp.starts[1]! - tp.starts[0]!, tp.binMs);
});

t.test("the page inlines everything and cannot be broken out of by what a history says", async (t) => {
  const h = rywHistory();
  h[0] = meta([], "evil</script><script>alert(1)</script>.json");
  const m = buildReportModel(h, checkHistory(h));
  const html = renderPage(m, { uplotJs: "/*uplot*/", uplotCss: "", clientJs: "export function startReport(m) {}" });
  t.notOk(html.includes("</script><script>alert"), "the source name is escaped everywhere");
  t.notMatch(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\//i, "no external script, style or URL");
  t.ok(html.includes("default-src 'none'"), "a Content-Security-Policy forbids fetching anything");
  t.same(JSON.parse(scriptJson({ s: "</script>\u2028" })), { s: "</script>\u2028" });
  t.notOk(scriptJson({ s: "</script>" }).includes("<"));
});
