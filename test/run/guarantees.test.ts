// The four session guarantees, end to end on a real cluster: for each one, a
// small scenario in examples/anomalies/ with a delay on the link that matters
// shows the anomaly when the guarantee is off (and the history checker names
// exactly that guarantee), and prevents it when it is on, at the cost of a
// visible wait at the gate. The course's MW and RYW fixtures do the same.
// Randomised concurrent runs with every guarantee on and random delays check
// clean. A test-only hook that breaks the gate for one guarantee (see
// lib/branch-worker.ts, BANK_SIM_TEST_BREAK_GATE) shows the checker catches a
// gate that does not do its job.

import { copyFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { checkHistory, type CheckReport, type Rule } from "../../lib/checker/checker.js";
import { DEFAULT_MIX, generateScenario } from "../../lib/scenario/gen.js";
import type { GuaranteeName } from "../../lib/core/gate.js";
import { parseHistory, readHistory } from "../../lib/history/reader.js";
import type { RunReport } from "../../lib/run/run.js";
import { COURSE, EXAMPLES } from "../helpers/paths.js";
import { runFile, runText } from "../helpers/run-scenario.js";

interface Tt {
  teardown(fn: () => void): void;
  passing(): boolean;
  comment(...args: unknown[]): void;
}

/** Checks a run's history.jsonl; if the test then fails, copies the history out of the test dir and prints its path. */
async function check(t: Tt, run: RunReport): Promise<CheckReport> {
  const file = join(run.outDir, "history.jsonl");
  t.teardown(() => {
    if (t.passing() || !existsSync(file)) return;
    const kept = join(mkdtempSync(join(tmpdir(), "guarantees-test-")), "history.jsonl");
    copyFileSync(file, kept);
    t.comment(`failing history written to ${kept} (bin/bank-sim check ${kept})`);
  });
  return checkHistory(await readHistory(file));
}

/** "RULE severity session branch ops" per entry of the report, sorted: exact and readable in a diff. */
function found(r: CheckReport): string[] {
  return r.violations
    .map((v) => `${v.rule} ${v.severity} ${v.session ?? "-"} ${v.branch ?? "-"} ${v.ops.map((o) => `#${o}`).join(",")}`)
    .sort();
}

interface ResultsEvent {
  event: number;
  result?: string;
  balance?: number;
  gateWaitMs: number;
}

function resultsEvents(run: RunReport): ResultsEvent[] {
  return (JSON.parse(readFileSync(join(run.outDir, "results.json"), "utf8")) as { events: ResultsEvent[] }).events;
}

function eventOf(run: RunReport, id: number): ResultsEvent {
  const e = resultsEvents(run).find((x) => x.event === id);
  if (e === undefined) throw new Error(`results.json has no event ${id}`);
  return e;
}

/** The write ids `branch` applied, in the order it applied them (from history.jsonl). */
function appliedOrder(run: RunReport, branch: number): string[] {
  const records = parseHistory(readFileSync(join(run.outDir, "history.jsonl"), "utf8"));
  return records.flatMap((r) => (r.type === "apply" && r.branch === branch ? r.writes.map((w) => w.id) : []));
}

const balanceOf = (run: RunReport, id: number) => run.outcomes.find((o) => o.event.id === id)?.balanceCents;

interface Case {
  guarantee: GuaranteeName;
  rule: Rule;
  file: string;
  delay: string;
  concurrent: boolean;
  /** The event the gate holds when the guarantee is on, and the delay it waits out. */
  held: { event: number; delayMs: number };
  /** Exactly what the checker reports with the guarantee off: "RULE anomaly session branch ops". */
  anomalies: string[];
  /** What the witness-free bounds rule adds when the gate ignores the guarantee although the run has it on. */
  alsoWhenBroken: string[];
  /** What the customer sees either way. */
  off: (t: Test, run: RunReport) => void;
  on: (t: Test, run: RunReport) => void;
}

const CASES: Case[] = [
  {
    guarantee: "mw",
    rule: "MW",
    file: "mw.json",
    delay: "1-2:200ms,1-3:500ms",
    concurrent: false,
    held: { event: 2, delayMs: 200 },
    // Replica 3 gets 2.1 at once and 1.1 only after 500 ms: the third replica is where MW shows.
    anomalies: ["MW anomaly c1 2 #1,#2", "MW anomaly c1 3 #1,#2"],
    alsoWhenBroken: [],
    off: (t, run) => t.same(appliedOrder(run, 3), ["2.1", "1.1"], "replica 3 applies the session's second deposit first"),
    on: (t, run) => t.same(appliedOrder(run, 3), ["1.1", "2.1"], "replica 3 holds 2.1 until 1.1 arrives"),
  },
  {
    guarantee: "ryw",
    rule: "RYW",
    file: "ryw.json",
    delay: "1-2:400ms",
    concurrent: false,
    held: { event: 2, delayMs: 400 },
    anomalies: ["RYW anomaly c1 2 #1,#2"],
    // With RYW on, the session's own deposit is certainly in the balance, so 0 is out of bounds too.
    alsoWhenBroken: ["bounds violation c1 2 #2"],
    off: (t, run) => t.equal(balanceOf(run, 2), 0, "the query at branch 2 misses the session's own deposit"),
    on: (t, run) => t.equal(balanceOf(run, 2), 10_000, "the query at branch 2 reflects the session's deposit"),
  },
  {
    guarantee: "mr",
    rule: "MR",
    file: "mr.json",
    delay: "1-2:400ms",
    concurrent: true,
    held: { event: 3, delayMs: 400 },
    anomalies: ["MR anomaly c2 2 #2,#3"],
    alsoWhenBroken: [],
    off: (t, run) => {
      t.equal(balanceOf(run, 2), 10_000, "the first read, at fresh branch 1, sees the deposit");
      t.equal(balanceOf(run, 3), 0, "the second read, at stale branch 2, goes back in time");
    },
    on: (t, run) => t.equal(balanceOf(run, 3), 10_000, "the second read waits until branch 2 has the deposit"),
  },
  {
    guarantee: "wfr",
    rule: "WFR",
    file: "wfr.json",
    delay: "1-2:200ms,1-3:500ms",
    concurrent: true,
    held: { event: 3, delayMs: 200 },
    // c2 read 1.1 (op #2) and then wrote 2.1 (op #3); branches 2 and 3 applied 2.1 before 1.1.
    anomalies: ["WFR anomaly c2 2 #2,#3", "WFR anomaly c2 3 #2,#3"],
    alsoWhenBroken: [],
    off: (t, run) => {
      t.equal(balanceOf(run, 2), 10_000, "c2 read c1's deposit at branch 1");
      t.same(appliedOrder(run, 3), ["2.1", "1.1"], "replica 3 applies c2's deposit before the deposit c2 had read");
    },
    on: (t, run) => t.same(appliedOrder(run, 3), ["1.1", "2.1"], "replica 3 holds 2.1 until 1.1 arrives"),
  },
];

const flagsOf = (c: Case, guarantees: string) => ({ guarantees, delay: c.delay, concurrent: c.concurrent });

for (const c of CASES) {
  const file = join(EXAMPLES, "anomalies", c.file);
  const how = `--delay ${c.delay}${c.concurrent ? " --concurrent" : ""}`;

  t.test(`${c.rule} off (${how}): the checker finds ${c.rule} anomalies and nothing else`, async (t) => {
    const run = await runFile(t, file, flagsOf(c, "none"));
    t.equal(run.error, undefined);
    t.ok(run.ok && run.converged, "the run completes and the replicas converge");
    c.off(t, run);
    const report = await check(t, run);
    t.ok(report.ok, "an anomaly of a guarantee that was off is not a failure");
    t.same(found(report), c.anomalies);
  });

  t.test(`${c.rule} on (${how}): no anomaly, at the cost of a visible wait at the gate`, async (t) => {
    const run = await runFile(t, file, flagsOf(c, c.guarantee));
    t.equal(run.error, undefined);
    t.ok(run.ok && run.converged, "the run completes and the replicas converge");
    c.on(t, run);
    const report = await check(t, run);
    t.ok(report.ok);
    t.same(found(report), [], "no violations, anomalies or findings");
    t.equal(report.summary.find((s) => s.rule === c.rule)?.mode, "on");
    const held = eventOf(run, c.held.event).gateWaitMs;
    t.ok(held >= c.held.delayMs / 2, `event ${c.held.event} waited ${held} ms at the gate (its link delay is ${c.held.delayMs} ms)`);
    for (const e of resultsEvents(run)) {
      if (e.event !== c.held.event) t.ok(e.gateWaitMs < 50, `event ${e.event} was not held (${e.gateWaitMs} ms)`);
    }
  });
}

t.test("course fixtures under --guarantees none --delay 300ms show the anomalies, and not with the default guarantees", async (t) => {
  const mwFile = join(COURSE, "p3_CliffordCheefoon_monotonic_writes.json");
  const rywFile = join(COURSE, "p3_CliffordCheefoon_read_your_writes.json");
  const output = (run: RunReport) => JSON.parse(readFileSync(join(run.outDir, "output.json"), "utf8")) as unknown;
  const expected = (name: string) => JSON.parse(readFileSync(join(COURSE, name), "utf8")) as unknown;

  t.test("MW fixture, guarantees off: the withdraw at branch 2 fails and the 400 stays", async (t) => {
    const run = await runFile(t, mwFile, { guarantees: "none", delay: "300ms" });
    t.ok(run.ok && run.converged);
    t.equal(eventOf(run, 2).result, "fail", "the withdraw at branch 2 is refused: the deposit has not arrived");
    t.equal(balanceOf(run, 3), 0, "the query at branch 2 returns 0 (as in the expected output, by coincidence)");
    t.same(run.finals.map((f) => f.balanceCents), [40_000, 40_000], "every branch ends with the 400 the withdraw should have taken");
    const report = await check(t, run);
    t.ok(report.ok);
    // The refused withdraw read the balance too, so it misses the session's deposit as a read (RYW) and as a decided write (MW).
    t.same(found(report), ["MW anomaly c1 2 #1,#2", "RYW anomaly c1 2 #1,#2", "RYW anomaly c1 2 #1,#3"]);
  });

  t.test("MW fixture, default guarantees: the withdraw waits for the deposit and succeeds", async (t) => {
    const run = await runFile(t, mwFile, { delay: "300ms" });
    t.ok(run.ok && run.converged);
    t.same(output(run), expected("p3_CliffordCheefoon_monotonic_writes.expected.json"));
    const withdraw = eventOf(run, 2);
    t.equal(withdraw.result, "success");
    t.ok(withdraw.gateWaitMs >= 150, `the withdraw waited ${withdraw.gateWaitMs} ms at the gate`);
    t.same(run.finals.map((f) => f.balanceCents), [0, 0]);
    const report = await check(t, run);
    t.ok(report.ok);
    t.same(found(report), []);
  });

  t.test("RYW fixture, guarantees off: the query at branch 2 returns 0", async (t) => {
    const run = await runFile(t, rywFile, { guarantees: "none", delay: "300ms" });
    t.ok(run.ok && run.converged);
    t.same(output(run), [{ id: 1, balance: 0 }]);
    const report = await check(t, run);
    t.ok(report.ok);
    t.same(found(report), ["RYW anomaly c1 2 #1,#2"]);
  });

  t.test("RYW fixture, default guarantees: the query waits and returns 400", async (t) => {
    const run = await runFile(t, rywFile, { delay: "300ms" });
    t.ok(run.ok && run.converged);
    t.same(output(run), expected("p3_CliffordCheefoon_read_your_writes.expected.json"));
    const query = eventOf(run, 2);
    t.ok(query.gateWaitMs >= 150, `the query waited ${query.gateWaitMs} ms at the gate`);
    const report = await check(t, run);
    t.ok(report.ok);
    t.same(found(report), []);
  });
});

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

t.test("mutation check: a gate broken for one guarantee is caught by the checker", async (t) => {
  for (const c of CASES) {
    t.test(`a gate that ignores ${c.guarantee}, with --guarantees all, gives ${c.rule} violations`, async (t) => {
      const saved = process.env["BANK_SIM_TEST_BREAK_GATE"];
      // Worker threads copy process.env when the cluster creates them, at the start of the run.
      process.env["BANK_SIM_TEST_BREAK_GATE"] = c.guarantee;
      let run: RunReport;
      try {
        run = await runFile(t, join(EXAMPLES, "anomalies", c.file), flagsOf(c, "all"));
      } finally {
        if (saved === undefined) delete process.env["BANK_SIM_TEST_BREAK_GATE"];
        else process.env["BANK_SIM_TEST_BREAK_GATE"] = saved;
      }
      t.ok(run.ok && run.converged, "the run itself completes");
      t.ok(eventOf(run, c.held.event).gateWaitMs < 50, "the broken gate did not hold the event");
      const report = await check(t, run);
      t.notOk(report.ok, "the check fails");
      t.same(found(report), [...c.anomalies.map((a) => a.replace(" anomaly ", " violation ")), ...c.alsoWhenBroken].sort());
    });
  }
});
