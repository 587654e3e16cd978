// `bank-sim check` as a user meets it (the binary, spawned with a timeout):
// exit 0 with no violations, 1 with violations, 2 for a malformed history
// (naming file, line and field), 3 for the history of a run cut short; and
// anomalies of guarantees that were off counted apart from violations, in the
// text table and in the JSON.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { assertValid } from "../helpers/output-schemas.js";
import t, { type Test } from "tap";
import type { HistoryRecord } from "../../lib/history/types.js";
import { HistoryBuilder } from "../helpers/history-builder.js";
import { runCli, type CliResult } from "../helpers/run-cli.js";

const HINT = "(run with --help for usage)";
const lines = (text: string) => text.split("\n").filter((l) => l !== "");
const jsonl = (records: readonly unknown[]) => records.map((r) => JSON.stringify(r)).join("\n") + "\n";

interface SummaryJson {
  rule: string;
  mode: string;
  judged: string;
  checked: number;
  violations: number;
  anomalies: number;
  findings: number;
  note?: string;
}
interface ReportJson {
  verdict: string;
  ok: boolean;
  complete: boolean;
  incomplete?: { reason: string };
  counts: { violations: number; anomalies: number; findings: number };
  violations: Array<{ rule: string; severity: string }>;
  anomalies: Array<{ rule: string; severity: string }>;
  findings: unknown[];
  summary: SummaryJson[];
}

function assertRefused(t: Test, r: CliResult, line: string): void {
  t.equal(r.code, 2, "exit code 2");
  t.equal(lines(r.stderr)[0], line);
  t.equal(lines(r.stderr).at(-1), HINT, "ends with the hint to --help");
  t.equal(r.stdout, "", "nothing on stdout");
}

/** A two-branch history: c1 deposits at 1, then queries at 2 before branch 2 applied it (stale, for RYW). */
function staleRead(guarantees: string[]): HistoryRecord[] {
  const h = new HistoryBuilder({ branches: [1, 2], initial: 40000, guarantees });
  h.deposit("c1", 1, 10000);
  h.query("c1", 2);
  return h.sync().records();
}

function goodRun(): HistoryRecord[] {
  const h = new HistoryBuilder({ branches: [1, 2], initial: 40000, guarantees: ["mw", "ryw", "mr", "wfr"] });
  h.deposit("c1", 1, 10000);
  h.sync();
  h.query("c1", 2);
  h.withdraw("c2", 2, 5000);
  return h.sync().records();
}

t.test("a malformed history exits 2 naming the file, the line and the field", async (t) => {
  // A few cases through the binary; test/history/reader.test.ts has every field in-process.
  const good = goodRun();
  const edit = (i: number, change: (r: Record<string, unknown>) => unknown) =>
    jsonl(good.map((r, k) => (k === i ? change({ ...(r as unknown as Record<string, unknown>) }) : r)));
  const at = (type: string) => good.findIndex((r) => r.type === type);
  const cases: Array<{ name: string; file: string | Record<string, unknown>; arg: string; line: string }> = [
    { name: "meta.guarantees a number", file: edit(0, (r) => ({ ...r, guarantees: 3 })), arg: "h.jsonl", line: "bank-sim: h.jsonl:1: meta.guarantees: expected an array of guarantee names (mw, ryw, mr, wfr), found 3" },
    { name: "branches missing", file: edit(0, ({ branches: _, ...r }) => r), arg: "h.jsonl", line: "bank-sim: h.jsonl:1: meta.branches: expected an array of branch numbers, found nothing (the field is missing)" },
    {
      name: "witness null", file: edit(at("complete"), (r) => ({ ...r, witness: null })), arg: "h.jsonl",
      line: `bank-sim: h.jsonl:${at("complete") + 1}: complete.witness: expected a version vector such as {"2": 5} (the writes 2.1 ... 2.5), found null`,
    },
    { name: "a wrong op", file: edit(at("invoke"), (r) => ({ ...r, op: -1 })), arg: "h.jsonl", line: `bank-sim: h.jsonl:${at("invoke") + 1}: invoke.op: expected an operation number (a whole number ≥ 1), found -1` },
    { name: "a directory named history.jsonl", file: {}, arg: "h.jsonl", line: "bank-sim: h.jsonl: expected a history file, found a directory" },
    { name: "an out directory whose history.jsonl is a directory", file: { "history.jsonl": {} }, arg: "out", line: "bank-sim: out/history.jsonl: expected a history file, found a directory" },
  ];
  // Spawns are mostly start-up time: run them together.
  const root = t.testdir(Object.fromEntries(cases.map((c, i) => [`case-${i}`, { [c.arg]: c.file }])) as Parameters<typeof t.testdir>[0]);
  const results = await Promise.all(cases.map((c, i) => runCli(t, ["check", c.arg], { cwd: join(root, `case-${i}`), timeoutMs: 30_000 })));
  cases.forEach((c, i) => t.test(c.name, async (t) => assertRefused(t, results[i] as CliResult, c.line)));
});

t.test("a clean history exits 0, and one with violations exits 1", async (t) => {
  // The clean one as an out directory's history.jsonl, the other as a file.
  const dir = t.testdir({ "history.jsonl": jsonl(goodRun()), "bad.jsonl": jsonl(staleRead(["ryw"])) });
  const [good, bad, badJson] = await Promise.all([
    runCli(t, ["check", "."], { cwd: dir, timeoutMs: 30_000 }),
    runCli(t, ["check", "bad.jsonl"], { cwd: dir, timeoutMs: 30_000 }),
    runCli(t, ["check", "bad.jsonl", "--json"], { cwd: dir, timeoutMs: 30_000 }),
  ]);
  t.equal(good.code, 0, good.stderr);
  t.equal(lines(good.stdout).at(-1), "verdict: OK, no violations");
  t.equal(bad.code, 1, bad.stderr);
  t.equal(lines(bad.stdout).at(-1), "verdict: FAILED, 2 violations (RYW 1, bounds 1)");
  t.equal(badJson.code, 1);
  const report = JSON.parse(badJson.stdout) as ReportJson;
  assertValid(t, "check", report, "check --json");
  t.match(report, { verdict: "failed", ok: false, complete: true, counts: { violations: 2, anomalies: 0, findings: 0 } });
  t.same(report.violations.map((v) => `${v.rule} ${v.severity}`), ["RYW violation", "bounds violation"]);
});

t.test("anomalies of guarantees that were off are counted apart from violations, in the table and the JSON", async (t) => {
  const dir = t.testdir({ "h.jsonl": jsonl(staleRead([])) });
  const [text, json] = await Promise.all([
    runCli(t, ["check", "h.jsonl"], { cwd: dir, timeoutMs: 30_000 }),
    runCli(t, ["check", "h.jsonl", "--json"], { cwd: dir, timeoutMs: 30_000 }),
  ]);
  t.equal(text.code, 0, text.stderr);
  t.match(text.stdout, /^rule\s+mode\s+checked\s+violations\s+anomalies\s+findings$/m);
  t.match(text.stdout, /^RYW\s+off\s+1\s+0\s+1\s+0$/m, "the anomaly is in the anomalies column");
  t.equal(lines(text.stdout).at(-1), "verdict: OK, no violations; also 1 anomaly of guarantees that were off");
  t.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout) as ReportJson;
  assertValid(t, "check", report, "check --json");
  t.match(report, { verdict: "ok", ok: true, counts: { violations: 0, anomalies: 1, findings: 0 } });
  t.same(report.violations, [], "violations are fatal ones only");
  t.same(report.anomalies.map((v) => `${v.rule} ${v.severity}`), ["RYW anomaly"]);
  t.ok(report.summary.every((s) => s.violations === 0), "no rule counts a violation while the report is ok");
  t.match(report.summary.find((s) => s.rule === "RYW"), { mode: "off", violations: 0, anomalies: 1 });
});

t.test("a history cut short exits 3 and says it is incomplete, judging what it holds", async (t) => {
  const good = goodRun();
  // As SIGKILL leaves it: everything up to the second invocation, nothing after.
  const cut = good.slice(0, good.findIndex((r, i) => r.type === "invoke" && i > 1) + 1);
  const dir = t.testdir({ "cut.jsonl": jsonl(cut) });
  const [text, json] = await Promise.all([
    runCli(t, ["check", "cut.jsonl"], { cwd: dir, timeoutMs: 30_000 }),
    runCli(t, ["check", "cut.jsonl", "--json"], { cwd: dir, timeoutMs: 30_000 }),
  ]);
  t.equal(text.code, 3, text.stderr);
  t.match(text.stdout, /^incomplete: the run was cut short: no final state of branches 1, 2; 1 operation invoked without completion; judged only what it holds/m);
  t.match(text.stdout, /^convergence\s+always\s+skipped\s+-\s+-\s+-$/m);
  t.notMatch(text.stdout, /FAILED|exactly-once \d/, "nothing is blamed on the branches");
  t.equal(lines(text.stdout).at(-1), "verdict: INCOMPLETE, no violations in what the incomplete history holds; convergence not judged");
  t.equal(json.code, 3);
  const report = JSON.parse(json.stdout) as ReportJson;
  assertValid(t, "check", report, "check --json");
  t.match(report, { verdict: "incomplete", ok: true, complete: false, incomplete: { reason: /^the run was cut short/ } });
  t.match(report.summary.find((s) => s.rule === "convergence"), { judged: "skipped", note: "needs the final state of every branch" });
});

t.test("the history of a run stopped by Ctrl-C checks as incomplete, exit 3", async (t) => {
  const gen = await runCli(t, ["gen", "--branches", "2", "--customers", "1", "--events", "30", "--seed", "3"], { timeoutMs: 20_000 });
  t.equal(gen.code, 0, gen.stderr);
  const dir = t.testdir({ "slow.json": gen.stdout });
  let interrupted = false;
  const run = await runCli(t, ["run", "slow.json", "--out", "out", "--delay", "300ms", "--guarantees", "all", "-v"], {
    cwd: dir,
    timeoutMs: 60_000,
    onStderr: (stderr, child) => {
      // Once a few operations were served, as a user would press Ctrl-C mid-run.
      if (!interrupted && /\] c1#4 /.test(stderr)) {
        interrupted = true;
        child.kill("SIGINT");
      }
    },
  });
  t.ok(interrupted, "the run served operations before SIGINT", { stderr: run.stderr });
  t.equal(run.code, 130, run.stderr);
  const history = readFileSync(join(dir, "out", "history.jsonl"), "utf8");
  t.notMatch(history, /"type":"final"/, "the history has no final records");
  const r = await runCli(t, ["check", "out"], { cwd: dir, timeoutMs: 30_000 });
  t.equal(r.code, 3, r.stdout + r.stderr);
  t.equal(r.stderr, "");
  t.match(r.stdout, /^incomplete: the run was cut short: no final state of branches 1, 2/m);
  t.match(lines(r.stdout).at(-1), /^verdict: INCOMPLETE, no violations in what the incomplete history holds; convergence not judged/);
});

t.test("check --help documents the exit codes", async (t) => {
  const r = await runCli(t, ["check", "--help"], { timeoutMs: 20_000 });
  t.equal(r.code, 0);
  t.match(r.stdout, /Exit codes: 0 no violations; 1 violations/);
  t.match(r.stdout, /3 the\s+history is incomplete/);
});
