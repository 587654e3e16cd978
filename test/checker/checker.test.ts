import { assertValid } from "../helpers/output-schemas.js";
import t from "tap";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkHistory, HistoryError, type CheckReport, type Rule } from "../../lib/checker/checker.js";
import { formatReport, reportJson } from "../../lib/checker/report.js";
import { checkHistoryFile } from "../../lib/checker/check-file.js";
import { parseHistory, readHistory } from "../../lib/history/reader.js";
import type { HistoryLine, HistoryRecord } from "../../lib/history/types.js";
import { HistoryBuilder } from "../helpers/history-builder.js";

interface Tt {
  teardown(fn: () => void): void;
  passing(): boolean;
  comment(...args: unknown[]): void;
}

/** Checks a history; if the test then fails, writes the history to a file and prints its path. */
function check(t: Tt, h: HistoryBuilder | HistoryRecord[]): CheckReport {
  const records = Array.isArray(h) ? h : h.records();
  t.teardown(() => {
    if (t.passing()) return;
    const file = join(mkdtempSync(join(tmpdir(), "checker-test-")), "history.jsonl");
    writeFileSync(file, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
    t.comment(`failing history written to ${file}`);
  });
  return checkHistory(records);
}

/** "RULE severity session branch ops", with "-" for an absent field: exact and readable. */
function found(r: CheckReport, rule?: Rule): string[] {
  return r.violations
    .filter((v) => rule === undefined || v.rule === rule)
    .map((v) => `${v.rule} ${v.severity} ${v.session ?? "-"} ${v.branch ?? "-"} ${v.ops.join(",")}`);
}

const cluster = (branches: number[], initial: number, guarantees: string[] = []) =>
  new HistoryBuilder({ branches, initial, guarantees });

t.test("a fully propagated history of deposits, withdrawals and queries has no violations", async (t) => {
  const h = cluster([1, 2], 40000, ["mw", "ryw", "mr", "wfr"]);
  h.deposit("c1", 1, 10000);
  h.sync();
  h.query("c1", 2);
  h.withdraw("c2", 2, 30000);
  h.sync();
  h.withdraw("c2", 1, 90000); // refused: not enough money
  h.query("c2", 1);
  const r = check(t, h.sync());
  t.same(found(r), []);
  t.equal(r.ok, true);
  t.same(r.guarantees, ["mw", "ryw", "mr", "wfr"]);
  for (const s of r.summary) {
    t.equal(s.violations, 0, `${s.rule} has no violations`);
    t.ok(s.checked > 0, `${s.rule} checked something`);
  }
});

t.test("a query at a branch lacking the session's earlier deposit breaks Read Your Writes", async (t) => {
  const h = cluster([1, 2], 40000);
  h.deposit("c1", 1, 10000);
  h.query("c1", 2);
  const r = check(t, h.sync());
  t.same(found(r), ["RYW anomaly c1 2 1,2"]);
  t.equal(
    r.violations[0]?.message,
    "session c1: query #2 at branch 2 returned 400 but did not reflect the session's earlier deposit 1.1 (op #1); " +
      "Read Your Writes requires every read to reflect the session's earlier writes",
  );
  t.equal(r.ok, true, "an anomaly of a guarantee that was off is not a failure");
});

t.test("a query that reflects the session's earlier deposit satisfies Read Your Writes", async (t) => {
  const h = cluster([1, 2], 40000, ["ryw"]);
  h.deposit("c1", 1, 10000);
  h.apply(2, "1.1");
  h.query("c1", 2);
  const r = check(t, h.sync());
  t.same(found(r), []);
  t.match(r.summary.find((s) => s.rule === "RYW"), { checked: 1, violations: 0, mode: "on" });
});

t.test("with RYW on, a stale read is fatal and also falls below the witness-free lower bound", async (t) => {
  const h = cluster([1, 2], 40000, ["ryw"]);
  h.deposit("c1", 1, 10000);
  h.query("c1", 2);
  const r = check(t, h.sync());
  t.same(found(r), ["RYW violation c1 2 1,2", "bounds violation c1 2 2"]);
  t.equal(r.ok, false);
});

t.test("a withdraw refused at a branch lacking the session's deposit is a RYW and an MW anomaly", async (t) => {
  const h = cluster([1, 2], 0);
  h.deposit("c1", 1, 40000);
  h.withdraw("c1", 2, 40000);
  const r = check(t, h.sync());
  t.same(found(r), ["RYW anomaly c1 2 1,2", "MW anomaly c1 2 1,2"]);
  t.match(r.violations[1]?.message, /withdraw #2 of 400 at branch 2 was refused \(balance 0\) at a branch that had not applied the session's earlier deposit 1\.1 \(op #1\)/);
});

t.test("a read that misses what an earlier read of the session saw breaks Monotonic Reads", async (t) => {
  const h = cluster([1, 2], 40000);
  h.deposit("c0", 1, 10000);
  h.query("c1", 1);
  h.query("c1", 2);
  const r = check(t, h.sync());
  t.same(found(r), ["MR anomaly c1 2 2,3"]);
  t.match(r.violations[0]?.message, /query #3 at branch 2 returned 400 but did not reflect 1\.1, which the session's earlier query #2 at branch 1 had already seen/);
});

t.test("a read that reflects everything earlier reads saw satisfies Monotonic Reads", async (t) => {
  const h = cluster([1, 2], 40000, ["mr"]);
  h.deposit("c0", 1, 10000);
  h.query("c1", 1);
  h.apply(2, "1.1");
  h.query("c1", 2);
  t.same(found(check(t, h.sync())), []);
});

t.test("a branch applying a session's second write before its first breaks Monotonic Writes", async (t) => {
  const h = cluster([1, 2, 3], 40000);
  h.deposit("c1", 1, 10000);
  h.deposit("c1", 2, 5000);
  h.apply(2, "1.1").apply(3, "2.1", "1.1").apply(1, "2.1");
  const r = check(t, h);
  t.same(found(r), ["MW anomaly c1 2 1,2", "MW anomaly c1 3 1,2"]);
  t.match(r.violations[0]?.message, /branch 2 applied deposit 2\.1 \(op #2\) before the session's earlier deposit 1\.1 \(op #1\)/);
});

t.test("writes applied in session order at every branch satisfy Monotonic Writes", async (t) => {
  const h = cluster([1, 2, 3], 40000, ["mw"]);
  h.deposit("c1", 1, 10000);
  h.apply(2, "1.1");
  h.deposit("c1", 2, 5000);
  h.apply(3, "1.1", "2.1").apply(1, "2.1");
  t.same(found(check(t, h)), []);
});

t.test("a branch that applied a session's later write but never its earlier one breaks Monotonic Writes", async (t) => {
  const h = cluster([1, 2, 3], 40000, ["mw"]);
  h.deposit("c1", 1, 10000);
  h.apply(2, "1.1");
  h.deposit("c1", 2, 5000);
  h.apply(3, "2.1").apply(1, "2.1");
  const r = check(t, h);
  t.same(found(r, "MW"), ["MW violation c1 3 1,2"]);
  t.match(r.violations[0]?.message, /branch 3 applied deposit 2\.1 \(op #2\) but never the session's earlier deposit 1\.1/);
  t.same(found(r, "exactly-once"), ["exactly-once violation - 3 1"]);
});

t.test("a branch applying a write before what its session had read breaks Writes Follow Reads", async (t) => {
  const h = cluster([1, 2, 3], 40000);
  h.deposit("c0", 1, 10000);
  h.query("c1", 1);
  h.deposit("c1", 2, 5000);
  h.apply(2, "1.1").apply(3, "2.1", "1.1").apply(1, "2.1");
  const r = check(t, h);
  t.same(found(r), ["WFR anomaly c1 2 2,3", "WFR anomaly c1 3 2,3"]);
  t.match(
    r.violations[1]?.message,
    /branch 3 applied deposit 2\.1 \(op #3\) without first applying deposit 1\.1 \(op #1\), which the session had read before it wrote \(query #2 at branch 1 saw it\)/,
  );
});

t.test("writes applied after what their session had read satisfy Writes Follow Reads", async (t) => {
  const h = cluster([1, 2, 3], 40000, ["wfr"]);
  h.deposit("c0", 1, 10000);
  h.query("c1", 1);
  h.apply(2, "1.1");
  h.deposit("c1", 2, 5000);
  h.apply(3, "1.1", "2.1").apply(1, "2.1");
  t.same(found(check(t, h)), []);
});

t.test("a withdraw refused at a branch lacking what the session had read is an MR and a WFR anomaly", async (t) => {
  const h = cluster([1, 2], 0);
  h.deposit("c0", 1, 40000);
  h.query("c1", 1);
  h.withdraw("c1", 2, 40000);
  const r = check(t, h.sync());
  t.same(found(r), ["MR anomaly c1 2 2,3", "WFR anomaly c1 2 2,3"]);
  t.match(r.violations[1]?.message, /withdraw #3 of 400 at branch 2 was refused \(balance 0\) at a branch that had not applied deposit 1\.1 \(op #1\), which the session had read before \(query #2 at branch 1 saw it\)/);
});

t.test("a branch that never received an acknowledged write breaks convergence, exactly-once and the final bounds", async (t) => {
  const h = cluster([1, 2], 40000);
  h.deposit("c1", 1, 10000);
  const r = check(t, h);
  t.same(found(r), ["convergence violation - 2 1", "exactly-once violation - 2 1", "bounds violation - 2 "]);
  t.match(r.violations[0]?.message, /branch 2 ended with balance 400 having applied nothing, but branch 1 ended with balance 500 having applied 1\.1/);
  t.equal(r.ok, false);
});

t.test("a write applied twice at a branch breaks exactly-once", async (t) => {
  const h = cluster([1, 2], 40000);
  h.deposit("c1", 1, 10000);
  h.sync();
  h.applyRaw(2, { id: "1.1", kind: "deposit", amountCents: 10000 });
  const r = check(t, h);
  t.same(found(r, "exactly-once"), ["exactly-once violation - 2 1"]);
  t.match(r.violations.find((v) => v.rule === "exactly-once")?.message, /branch 2 applied it 2 times/);
  t.same(found(r, "balance"), ["balance violation - 2 "], "the final balance no longer matches the applied set");
});

t.test("a write that no operation issued breaks exactly-once", async (t) => {
  const h = cluster([1, 2], 40000);
  const ghost = { id: "1.1", kind: "deposit" as const, amountCents: 5000 };
  h.applyRaw(1, ghost).applyRaw(2, ghost);
  const r = check(t, h);
  t.same(found(r, "exactly-once"), ["exactly-once violation - - "]);
  t.match(r.violations.find((v) => v.rule === "exactly-once")?.message, /branches 1, 2 applied deposit 1\.1 of 50, which no operation issued/);
});

t.test("a branch applying an origin's writes out of sequence order is caught", async (t) => {
  const h = cluster([1, 2], 40000);
  h.deposit("c1", 1, 10000);
  h.deposit("c1", 1, 5000);
  h.apply(2, "1.2", "1.1");
  const r = check(t, h);
  t.same(found(r), ["MW anomaly c1 2 1,2", "exactly-once violation - 2 2"]);
  t.match(r.violations[1]?.message, /branch 2 applied deposit 1\.2 \(op #2\) before 1\.1; every branch must apply each origin's writes in sequence order/);
});

t.test("a write id that means different effects at different branches is caught", async (t) => {
  const h = cluster([1, 2], 40000);
  h.deposit("c1", 1, 10000);
  h.applyRaw(2, { id: "1.1", kind: "deposit", amountCents: 5000 });
  const r = check(t, h);
  t.same(found(r, "exactly-once"), ["exactly-once violation - - 1"]);
  t.match(r.violations.find((v) => v.rule === "exactly-once")?.message, /write 1\.1 was acknowledged as deposit #1 of 100 at branch 1 \(deposit of 100\) but applied at branch 2 as deposit of 50/);
});

t.test("a final record that claims more than the branch applied is caught", async (t) => {
  const h = cluster([1, 2], 40000);
  h.deposit("c1", 1, 10000);
  h.sync().final(2, { applied: { "1": 2 }, balanceCents: 50000 });
  const r = check(t, h);
  t.same(found(r, "exactly-once"), ["exactly-once violation - 2 "]);
  t.same(found(r, "balance"), ["balance violation - 2 "]);
  t.same(found(r, "convergence"), ["convergence violation - 2 "]);
});

t.test("an operation of unknown outcome may have taken effect and is no obligation for the session", async (t) => {
  const h = cluster([1, 2], 40000, ["mw", "ryw", "mr", "wfr"]);
  h.deposit("c1", 1, 10000, { status: "info", applied: true });
  h.query("c1", 2); // 400: the session never learned the id, so RYW asks nothing
  h.sync();
  h.query("c1", 2); // 500: bounds allow the info deposit
  const r = check(t, h);
  t.same(found(r), []);
  t.equal(r.ok, true);
});

t.test("an info operation of another amount does not account for an applied write", async (t) => {
  const h = cluster([1, 2], 40000);
  h.deposit("c1", 1, 10000, { status: "info" });
  const ghost = { id: "1.1", kind: "deposit" as const, amountCents: 5000 };
  h.applyRaw(1, ghost).applyRaw(2, ghost);
  t.same(found(check(t, h), "exactly-once"), ["exactly-once violation - - "]);
});

t.test("a branch whose returned balance does not match its witness is caught lying", async (t) => {
  const h = cluster([1, 2], 40000);
  h.deposit("c0", 1, 10000);
  h.apply(2, "1.1");
  h.query("c1", 2, { witness: {} }); // says it applied nothing, yet returns 500
  const r = check(t, h);
  t.same(found(r), ["balance violation c1 2 2"]);
  t.match(r.violations[0]?.message, /query #2 at branch 2 returned 500, but the writes it claims to have applied add up to 400/);
});

t.test("a witness that names writes nobody applied is caught", async (t) => {
  const h = cluster([1, 2], 40000);
  h.deposit("c0", 1, 10000);
  h.query("c1", 1, { witness: { "1": 3 } });
  const r = check(t, h.sync());
  t.same(found(r, "balance"), ["balance violation c1 1 2"]);
  t.match(r.violations[0]?.message, /claims to have applied 1\.2\.\.1\.3, which no branch applied/);
});

t.test("a read reflecting a write invoked only after it answered is out of bounds even if its witness adds up", async (t) => {
  const h = cluster([1, 2], 40000);
  h.query("c1", 1, { witness: { "2": 1 }, balance: 90000 });
  h.deposit("c2", 2, 50000);
  const r = check(t, h.sync());
  t.same(found(r), ["bounds violation c1 1 1"]);
  t.match(r.violations[0]?.message, /query #1 at branch 1 returned 900, outside the range \[400, 400\] that the writes allow/);
});

t.test("concurrent withdrawals approved at different branches are reported as a non-fatal overdraft", async (t) => {
  const h = cluster([1, 2], 10000);
  h.withdraw("c1", 1, 10000);
  h.withdraw("c2", 2, 10000);
  const r = check(t, h.sync());
  t.same(found(r), ["overdraft finding - - 1,2"]);
  t.match(r.violations[0]?.message, /branches 1, 2 ended with a negative balance, -100: withdraw #1 of 100 at branch 1, withdraw #2 of 100 at branch 2 were approved concurrently/);
  t.equal(r.ok, true);
});

t.test("an overdraft that no concurrent withdrawals explain is a violation", async (t) => {
  const h = cluster([1, 2], 10000);
  h.withdraw("c1", 1, 15000, { result: "success" });
  const r = check(t, h.sync());
  t.same(found(r), ["overdraft violation c1 1 1", "overdraft violation - - "]);
  t.equal(r.ok, false);
});

t.test("an overdraft that withdrawals of unknown outcome may explain is a finding, not a violation", async (t) => {
  const h = cluster([1, 2], 10000);
  h.withdraw("c1", 1, 10000, { status: "info", applied: true });
  h.withdraw("c2", 2, 10000);
  const r = check(t, h.sync());
  t.ok(r.violations.every((v) => v.severity === "finding"), found(r).join("; "));
  t.match(r.violations.find((v) => v.rule === "overdraft")?.message, /were applied but their outcome was never acknowledged/);
  t.equal(r.ok, true);
});

t.test("the text report lists each problem, a table per rule and a verdict", async (t) => {
  const h = cluster([1, 2], 40000, ["mw"]);
  h.deposit("c1", 1, 10000);
  h.query("c1", 2);
  const text = formatReport(check(t, h.sync()));
  t.match(text, /guarantees on: mw; off: ryw, mr, wfr/);
  t.match(text, /Anomalies observed \(guarantee off\): 1\n {2}RYW: session c1: query #2 .* \[ops #1, #2\]/);
  t.match(text, /^rule\s+mode\s+checked\s+violations\s+anomalies\s+findings$/m);
  t.match(text, /^RYW\s+off\s+1\s+0\s+1\s+0$/m, "an anomaly is counted as an anomaly, not as a violation");
  t.match(text, /^MW\s+on\s+\d+\s+0\s+0\s+0$/m);
  t.match(text, /verdict: OK, no violations; also 1 anomaly of guarantees that were off\n$/);
});

t.test("a history without a meta record is refused with a clear error", async (t) => {
  t.throws(() => checkHistory([]), new HistoryError("the history has no meta record (the first line of history.jsonl)"));
});

t.test("a bad JSON line is reported with its file and line number", async (t) => {
  const meta = JSON.stringify(cluster([1], 0).records({ finals: false })[0]);
  t.throws(() => parseHistory(`${meta}\n{"type":"invoke",\n${meta}\n`, "h.jsonl"), { message: /^h\.jsonl:2: not valid JSON/ });
  t.throws(() => parseHistory(`${meta}\n{"kind":"query"}\n`, "h.jsonl"), { message: /^h\.jsonl:2: type: expected one of "meta", "invoke", "complete", "apply", "apply-group", "buffer", "final", found nothing$/ });
});

t.test("readHistory accepts an out directory holding history.jsonl, or the file itself", async (t) => {
  const records = cluster([1, 2], 40000).records();
  const dir = t.testdir({ "history.jsonl": records.map((r) => JSON.stringify(r)).join("\n") + "\n" });
  t.same(await readHistory(dir), records);
  t.same(await readHistory(join(dir, "history.jsonl")), records);
  await t.rejects(readHistory(join(dir, "nope")), { message: /cannot read it \(ENOENT\)/ });
});

t.test("the summary counts anomalies apart from violations, so violations are fatal ones only", async (t) => {
  const h = cluster([1, 2], 40000, ["mw"]);
  h.deposit("c1", 1, 10000);
  h.query("c1", 2); // misses its own deposit: RYW was off
  const r = check(t, h.sync());
  t.equal(r.ok, true);
  t.same(r.counts, { violations: 0, anomalies: 1, findings: 0 });
  t.match(r.summary.find((s) => s.rule === "RYW"), { mode: "off", checked: 1, violations: 0, anomalies: 1, findings: 0, judged: "all" });
  t.ok(r.summary.every((s) => s.violations === 0), "no rule counts a violation");
  const json = reportJson(r);
  assertValid(t, "check", json, "the JSON report");
  t.same(json.violations, [], "the JSON's violations hold fatal ones only");
  t.same(json.anomalies.map((v) => v.rule), ["RYW"]);
  t.equal(json.verdict, "ok");
});

t.test("an overdraft explained by concurrent withdrawals is counted as a finding, not a violation", async (t) => {
  const h = cluster([1, 2], 10000);
  h.withdraw("c1", 1, 10000);
  h.withdraw("c2", 2, 10000);
  const r = check(t, h.sync());
  t.match(r.summary.find((s) => s.rule === "overdraft"), { violations: 0, anomalies: 0, findings: 1 });
  t.same(reportJson(r).findings.map((v) => v.rule), ["overdraft"]);
});

t.test("a history without final records is incomplete, not failed: convergence is skipped", async (t) => {
  const h = cluster([1, 2], 40000, ["mw", "ryw", "mr", "wfr"]);
  h.deposit("c1", 1, 10000); // the run stopped before branch 2 applied it
  h.query("c1", 1);
  const r = check(t, h.records({ finals: false }));
  t.same(found(r), [], "nothing is blamed on the branches");
  t.equal(r.ok, true);
  t.equal(r.verdict, "incomplete");
  t.same(r.incomplete, { reason: "the run was cut short: no final state of branches 1, 2", branchesWithoutFinal: [1, 2], opsWithoutCompletion: 0 });
  t.match(r.summary.find((s) => s.rule === "convergence"), { judged: "skipped", checked: 0, note: "needs the final state of every branch" });
  t.match(r.summary.find((s) => s.rule === "exactly-once"), { judged: "partly", note: /need the final state of every branch/ });
  t.match(r.summary.find((s) => s.rule === "RYW"), { judged: "all", checked: 1 });
  const text = formatReport(r);
  t.match(text, /^incomplete: the run was cut short: no final state of branches 1, 2; judged only what it holds/m);
  t.match(text, /^convergence\s+always\s+skipped\s+-\s+-\s+-$/m);
  t.match(text, /^ {2}convergence: skipped: needs the final state of every branch$/m);
  t.match(text, /verdict: INCOMPLETE, no violations in what the incomplete history holds; convergence not judged\n$/);
});

t.test("an invocation without completion makes the history incomplete and counts as an unknown outcome", async (t) => {
  const h = cluster([1, 2], 40000);
  h.deposit("c1", 1, 10000, { status: "info", applied: true });
  const records = h.sync().records().filter((r) => !(r.type === "complete" && r.op === 1));
  const r = check(t, records);
  t.equal(r.verdict, "incomplete");
  t.same(r.incomplete, { reason: "the run was cut short: 1 operation invoked without completion", branchesWithoutFinal: [], opsWithoutCompletion: 1 });
  t.same(found(r), [], "the applied write is matched to the operation of unknown outcome");
  t.ok(r.summary.every((s) => s.judged === "all"), "with every final state there, every rule is judged in full");
});

t.test("an incomplete history still fails on a violation it holds", async (t) => {
  const h = cluster([1, 2], 40000, ["ryw"]);
  h.deposit("c1", 1, 10000);
  h.query("c1", 2); // a stale read with RYW on
  const r = check(t, h.records({ finals: false }));
  t.equal(r.verdict, "failed");
  t.same(found(r, "RYW"), ["RYW violation c1 2 1,2"]);
  t.match(formatReport(r), /verdict: FAILED, 2 violations in what the incomplete history holds \(RYW 1, bounds 1\)\n$/);
});

t.test("a cut-short history's reads of writes whose records were lost are not blamed on the branch", async (t) => {
  const h = cluster([1, 2], 40000);
  h.deposit("c0", 1, 10000);
  h.apply(2, "1.1");
  h.query("c1", 2);
  // The deposit's completion and every apply record were still in a buffer when the run was killed.
  const records = h.records({ finals: false }).filter((r) => r.type !== "apply" && !(r.type === "complete" && r.op === 1));
  const r = check(t, records);
  t.equal(r.verdict, "incomplete");
  t.same(found(r, "balance"), []);
  t.match(r.summary.find((s) => s.rule === "balance"), { judged: "partly", note: "1 returned balance name writes whose records the run did not get to write" });
});

t.test("a completion that contradicts its invocation is refused as malformed", async (t) => {
  const h = cluster([1, 2], 40000);
  h.deposit("c1", 1, 10000);
  const records = h.sync().records().map((r) => (r.type === "complete" ? { ...r, kind: "query" as const } : r));
  t.throws(() => checkHistory(records), new HistoryError(`complete.kind: expected "deposit" (as operation #1 was invoked), found "query"`));
  t.throws(() => checkHistory([...h.records(), h.records()[1] as HistoryRecord]), { message: "operation #1 is invoked twice" });
});

t.test("a file's malformed records are named by file and line", async (t) => {
  const h = cluster([1, 2], 40000);
  h.deposit("c1", 1, 10000);
  const records = h.sync().records();
  const completion = records.find((r) => r.type === "complete");
  const dir = t.testdir({ "history.jsonl": [...records, completion].map((r) => JSON.stringify(r)).join("\n") + "\n" });
  await t.rejects(checkHistoryFile(dir), { name: "HistoryError", message: `${join(dir, "history.jsonl")}:${records.length + 1}: operation #1 completes twice` });
});

t.test("checkHistory takes a history's lines as written: an apply-group line counts as the apply records it stands for", async (t) => {
  const h = cluster([1, 2, 3, 4], 0);
  h.deposit("c1", 1, 10000);
  h.deposit("c1", 1, 2500);
  const records = h.sync().records();
  // The replicas' apply records of 1.1 and 1.2, as one host's group would carry them.
  const replicaApplies = records.filter((r): r is Extract<HistoryRecord, { type: "apply" }> => r.type === "apply" && r.branch !== 1);
  t.same(replicaApplies.map((r) => r.branch), [2, 3, 4], "one apply record per replica");
  const group: HistoryLine = {
    type: "apply-group", branches: replicaApplies.map((r) => r.branch), wallMs: replicaApplies[0]!.wallMs, monoMs: replicaApplies[0]!.monoMs,
    writes: replicaApplies[0]!.writes.map(({ id, kind, amountCents }) => ({ id, kind, amountCents })),
    clocks: replicaApplies.map((r) => r.writes.map((w) => w.clock!)),
  };
  const at = records.indexOf(replicaApplies[0]!);
  const lines: HistoryLine[] = [...records.slice(0, at).filter((r) => !replicaApplies.includes(r as never)), group, ...records.slice(at).filter((r) => !replicaApplies.includes(r as never))];
  const asRecords = check(t, records);
  t.equal(asRecords.ok, true);
  const asLines = checkHistory(lines);
  t.same(asLines, asRecords, "the group's lines judge as its records do");
  const without = checkHistory(lines.filter((l) => l !== group));
  t.equal(without.ok, false, "without the group the replicas never applied 1.1 and 1.2");
});
