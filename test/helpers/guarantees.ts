// The four session guarantees end to end on a real cluster, one case each: a
// small scenario in examples/anomalies/ with a delay on the link that matters
// shows the anomaly when the guarantee is off (and the history checker names
// exactly that guarantee), prevents it when it is on, at the cost of a visible
// wait at the gate, and a test-only hook that breaks the gate for that
// guarantee (lib/hosting/branch-worker.ts, BANK_SIM_TEST_BREAK_GATE) shows the
// checker catches a gate that does not do its job. Each guarantee has its own
// test file (test/run/guarantees-<name>.test.ts), so each stays well under
// tap's time limit on a loaded machine.
//
// Why the anomalies are certain, not likely. A delay rule holds a write for
// its whole delay from the moment its origin sends it (a branch sends a write
// when it answers the request that made it), and an anomaly here needs only
// the customer's next request to overtake it: the reply and one request over
// an open connection, with no disk write in between (a branch decides before
// it logs), which takes milliseconds, and was seen to take up to a few hundred
// on a loaded machine. The delays are seconds (`D` = 2 s on the link that
// matters, `2 × D` on the one to the third replica), so that race has a margin
// of seconds whatever the scheduling. In MR and WFR, two customers start at
// once and both send their first request to branch 1: customer 1's deposit is
// issued first, on the same connection (one client per branch), and the
// branch decides each request on arrival, so customer 2's read sees it: that
// is an order, not a race.

import { copyFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Test } from "tap";
import { checkHistory, type CheckReport, type Rule } from "../../lib/checker/checker.js";
import type { GuaranteeName } from "../../lib/core/gate.js";
import { parseHistory, readHistory } from "../../lib/history/reader.js";
import type { RawRunFlags } from "../../lib/run/run-config.js";
import type { TestRun as RunReport } from "./run-scenario.js";
import { EXAMPLES } from "./paths.js";
import { runFile } from "./run-scenario.js";

/** The delay on the link that matters, in ms (see the header). */
export const D = 2_000;
/**
 * The gate may wait for D and more: a deadline far beyond it, so a gate that
 * holds a request the delay's length never times out and retries instead.
 */
export const GATE_TIMEOUT_MS = 30_000;

interface Tt {
  teardown(fn: () => void): void;
  passing(): boolean;
  comment(...args: unknown[]): void;
}

/** Checks a run's history.jsonl; if the test then fails, copies the history out of the test dir and prints its path. */
export async function check(t: Tt, run: RunReport): Promise<CheckReport> {
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
export function found(r: CheckReport): string[] {
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

export function resultsEvents(run: RunReport): ResultsEvent[] {
  return (JSON.parse(readFileSync(join(run.outDir, "results.json"), "utf8")) as { events: ResultsEvent[] }).events;
}

export function eventOf(run: RunReport, id: number): ResultsEvent {
  const e = resultsEvents(run).find((x) => x.event === id);
  if (e === undefined) throw new Error(`results.json has no event ${id}`);
  return e;
}

/** The write ids `branch` applied, in the order it applied them (from history.jsonl). */
export function appliedOrder(run: RunReport, branch: number): string[] {
  const records = parseHistory(readFileSync(join(run.outDir, "history.jsonl"), "utf8"));
  return records.flatMap((r) => (r.type === "apply" && r.branch === branch ? r.writes.map((w) => w.id) : []));
}

export const balanceOf = (run: RunReport, id: number) => run.outcomes.find((o) => o.event.id === id)?.balanceCents;

export interface Case {
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

export const CASES: Record<"mw" | "ryw" | "mr" | "wfr", Case> = {
  mw: {
    guarantee: "mw",
    rule: "MW",
    file: "mw.json",
    delay: `1-2:${D}ms,1-3:${2 * D}ms`,
    concurrent: false,
    held: { event: 2, delayMs: D },
    // c1's deposit at branch 2 (2.1) is accepted long before 1.1 can arrive there; replica 3 gets 2.1
    // from branch 2 at once and 1.1 only after 2 × D: the third replica is where MW shows.
    anomalies: ["MW anomaly c1 2 #1,#2", "MW anomaly c1 3 #1,#2"],
    alsoWhenBroken: [],
    off: (t, run) => t.same(appliedOrder(run, 3), ["2.1", "1.1"], "replica 3 applies the session's second deposit first"),
    // With MW on, branch 2 holds the deposit until 1.1 arrives (after D); 2.1 then reaches replica 3,
    // which holds it (it depends on 1.1) until 1.1 arrives there (after 2 × D).
    on: (t, run) => t.same(appliedOrder(run, 3), ["1.1", "2.1"], "replica 3 holds 2.1 until 1.1 arrives"),
  },
  ryw: {
    guarantee: "ryw",
    rule: "RYW",
    file: "ryw.json",
    delay: `1-2:${D}ms`,
    concurrent: false,
    held: { event: 2, delayMs: D },
    anomalies: ["RYW anomaly c1 2 #1,#2"],
    // With RYW on, the session's own deposit is certainly in the balance, so 0 is out of bounds too.
    alsoWhenBroken: ["bounds violation c1 2 #2"],
    off: (t, run) => t.equal(balanceOf(run, 2), 0, "the query at branch 2 misses the session's own deposit"),
    on: (t, run) => t.equal(balanceOf(run, 2), 10_000, "the query at branch 2 reflects the session's deposit"),
  },
  mr: {
    guarantee: "mr",
    rule: "MR",
    file: "mr.json",
    delay: `1-2:${D}ms`,
    concurrent: true,
    held: { event: 3, delayMs: D },
    anomalies: ["MR anomaly c2 2 #2,#3"],
    alsoWhenBroken: [],
    off: (t, run) => {
      t.equal(balanceOf(run, 2), 10_000, "the first read, at fresh branch 1, sees the deposit");
      t.equal(balanceOf(run, 3), 0, "the second read, at stale branch 2, goes back in time");
    },
    on: (t, run) => t.equal(balanceOf(run, 3), 10_000, "the second read waits until branch 2 has the deposit"),
  },
  wfr: {
    guarantee: "wfr",
    rule: "WFR",
    file: "wfr.json",
    delay: `1-2:${D}ms,1-3:${2 * D}ms`,
    concurrent: true,
    held: { event: 3, delayMs: D },
    // c2 read 1.1 (op #2) and then wrote 2.1 (op #3); branches 2 and 3 applied 2.1 before 1.1.
    anomalies: ["WFR anomaly c2 2 #2,#3", "WFR anomaly c2 3 #2,#3"],
    alsoWhenBroken: [],
    off: (t, run) => {
      t.equal(balanceOf(run, 2), 10_000, "c2 read c1's deposit at branch 1");
      t.same(appliedOrder(run, 3), ["2.1", "1.1"], "replica 3 applies c2's deposit before the deposit c2 had read");
    },
    on: (t, run) => t.same(appliedOrder(run, 3), ["1.1", "2.1"], "replica 3 holds 2.1 until 1.1 arrives"),
  },
};

const flagsOf = (c: Case, guarantees: string): RawRunFlags => ({ guarantees, delay: c.delay, concurrent: c.concurrent, gateTimeout: GATE_TIMEOUT_MS });

/** Registers the three tests of one guarantee: off, on, and on with a broken gate. */
export function guaranteeTests(t: Test, c: Case): void {
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
    // The held request arrives within milliseconds of the write it waits for being sent, so it waits
    // nearly the whole delay; half of it leaves a margin of D / 2 for a slow machine.
    const held = eventOf(run, c.held.event).gateWaitMs;
    t.ok(held >= c.held.delayMs / 2, `event ${c.held.event} waited ${held} ms at the gate (its link delay is ${c.held.delayMs} ms)`);
    // The others need nothing the branch lacks: they pass the gate without waiting at all.
    for (const e of resultsEvents(run)) {
      if (e.event !== c.held.event) t.ok(e.gateWaitMs < 50, `event ${e.event} was not held (${e.gateWaitMs} ms)`);
    }
  });

  t.test(`mutation check: a gate that ignores ${c.guarantee}, with --guarantees all, gives ${c.rule} violations`, async (t) => {
    const saved = process.env["BANK_SIM_TEST_BREAK_GATE"];
    // Worker threads copy process.env when the cluster creates them, at the start of the run.
    process.env["BANK_SIM_TEST_BREAK_GATE"] = c.guarantee;
    let run: RunReport;
    try {
      run = await runFile(t, file, flagsOf(c, "all"));
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
