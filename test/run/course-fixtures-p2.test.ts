// Every Project 2 course scenario (test/fixtures/course, p2_) runs on a real
// cluster, one customer after another and with --concurrent: its customers'
// part (output.json) equals the fixture's expected file; its branches' part
// and all-events part meet the course graders' rules and Lamport's own
// (grade-p2, strict); and bank-sim's checker finds the history's clocks
// keep Lamport's rules. The grader's sample inputs (p2grader_) get the
// verdict the course's grader gave them. A P1 and a P3 run's histories carry
// clocks that keep the same rules.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import { checkHistoryFile } from "../../lib/checker/check-file.js";
import { gradeP2 } from "../../lib/scenario/p2-grade.js";
import { P2_INDEX, type IndexEntry } from "../helpers/course.js";
import { COURSE } from "../helpers/paths.js";
import { runFile } from "../helpers/run-scenario.js";

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8")) as unknown;

const scenarios = P2_INDEX.filter((e) => e.file.startsWith("p2_"));
const graderSamples = P2_INDEX.filter((e) => e.file.startsWith("p2grader_"));

/** Runs the fixture; checks its three parts and its history. */
async function runAndJudge(t: Test, entry: IndexEntry, concurrent: boolean): Promise<void> {
  const report = await runFile(t, join(COURSE, entry.file), { concurrent });
  t.equal(report.error, undefined);
  t.ok(report.ok && report.converged, "the run succeeded and the replicas converged");
  const out = report.outDir;
  t.same(readJson(join(out, "output.json")), readJson(join(COURSE, entry.expected!)), `output.json equals ${entry.expected}`);
  const branchIds = [...new Set(report.finals.map((f) => f.branch))];
  for (const [file, part] of [["output.json", "customers"], ["output.branches.json", "branches"], ["output.all.json", "all"]] as const) {
    const grade = gradeP2(readJson(join(out, file)), file);
    t.equal(grade.part, part, `${file} is the ${part} part`);
    t.ok(grade.total > 0, `${file}: ${grade.total} events`);
    t.same(grade.errors, [], `${file}: every event meets the course's rules (${grade.correct} of ${grade.total})`);
    t.same(grade.lamport, [], `${file}: and Lamport's rules beyond the course's count`);
  }
  const branches = readJson(join(out, "output.branches.json")) as Array<{ id: number; events: unknown[] }>;
  t.same(branches.map((b) => b.id), branchIds.sort((a, b) => a - b), "one entry per branch, ascending");
  const requests = scenarioRequests(entry.file);
  const all = readJson(join(out, "output.all.json")) as Array<{ "customer-request-id": number; interface: string; comment: string }>;
  // Each request: its send, the branch's receipt, a send to and a receipt at every other branch.
  const n = branchIds.length;
  t.equal(all.length, requests * (2 + 2 * (n - 1)), `every request has 2 + 2 x ${n - 1} events`);
  t.ok(all.every((e) => /^(deposit|withdraw|propogate_deposit|propogate_withdraw)$/.test(e.interface)), "the course's interfaces (propogate_, as the course spells it)");
  const check = await checkHistoryFile(out);
  const lamport = check.summary.find((s) => s.rule === "lamport");
  t.equal(lamport?.judged, "all", "the checker judges every clock");
  t.equal(lamport?.violations, 0, "Lamport's rules hold in the history");
  t.equal(lamport?.checked, all.length, "every event of the output was judged");
  t.ok(check.ok, "the history has no violations at all");
}

function scenarioRequests(file: string): number {
  const doc = readJson(join(COURSE, file)) as Array<{ "customer-requests"?: unknown[] }>;
  return doc.reduce((sum, o) => sum + (o["customer-requests"]?.length ?? 0), 0);
}

t.test("the index lists the three P2 scenarios with their expected output, and the four grader samples", async (t) => {
  t.same(scenarios.map((e) => e.file).sort(), ["p2_CliffordCheefoon_sample_input.json", "p2_codlocker_input.json", "p2_codlocker_input_10.json"]);
  t.ok(scenarios.every((e) => e.expected !== undefined), "each has an expected output");
  t.equal(graderSamples.length, 4);
});

for (const entry of scenarios) {
  for (const concurrent of [false, true]) {
    t.test(`${entry.file} ${concurrent ? "with --concurrent" : "sequential"}: expected customers' part; branches' and all-events parts keep the rules`, async (t) => {
      await runAndJudge(t, entry, concurrent);
    });
  }
}

for (const entry of graderSamples) {
  t.test(`${entry.file}: the course grader's verdict`, async (t) => {
    const expected = readJson(join(COURSE, entry.expected!)) as { correct: number; total: number };
    const grade = gradeP2(readJson(join(COURSE, entry.file)), entry.file);
    t.same({ correct: grade.correct, total: grade.total }, { correct: expected.correct, total: expected.total });
  });
}

for (const file of ["p1_codlocker_input.json", "p3_vselvaraj6_input.json"]) {
  t.test(`${file}: a ${file.slice(0, 2).toUpperCase()} run's history carries clocks that keep Lamport's rules`, async (t) => {
    const report = await runFile(t, join(COURSE, file), { concurrent: true });
    t.ok(report.ok);
    const check = await checkHistoryFile(report.outDir);
    const lamport = check.summary.find((s) => s.rule === "lamport");
    t.equal(lamport?.judged, "all");
    t.ok((lamport?.checked ?? 0) > 0, `${lamport?.checked} clock events judged`);
    t.equal(lamport?.violations, 0);
  });
}
