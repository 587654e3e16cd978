// Every P1 and P3 course scenario (copied into test/fixtures/course with its
// source; see SOURCE.md) runs on a real cluster and gives its expected output
// with every replica converged; every bad one fails with a clear error, exit 2
// and no output written.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { COURSE } from "../helpers/paths.js";
import { runCli } from "../helpers/run-cli.js";
import { runFile } from "../helpers/run-scenario.js";

interface IndexEntry {
  file: string;
  format: string;
  expected?: string;
  expect_error?: string;
}

const index = (JSON.parse(readFileSync(join(COURSE, "index.json"), "utf8")) as IndexEntry[])
  .filter((e) => /^p[13]_/.test(e.file));

t.test("the copied index lists the P1 and P3 fixtures", async (t) => {
  t.ok(index.length >= 25, `found ${index.length}`);
});

for (const entry of index.filter((e) => e.expected)) {
  t.test(`${entry.file} gives its expected output on a converged cluster`, async (t) => {
    const report = await runFile(t, join(COURSE, entry.file));
    t.equal(report.error, undefined);
    t.ok(report.ok);
    t.ok(report.converged);
    const balances = new Set(report.finals.map((f) => f.balanceCents));
    t.equal(balances.size, 1, "every branch holds the same balance");
    const output = JSON.parse(readFileSync(join(report.outDir, "output.json"), "utf8"));
    const expected = JSON.parse(readFileSync(join(COURSE, entry.expected!), "utf8"));
    t.same(output, expected);
  });
}

const badOnes: Array<[string, RegExp]> = [
  ["p3_jogiaa_mw_input.malformed.json", /p3_jogiaa_mw_input\.malformed\.json:22:1: invalid JSON: Unexpected non-whitespace character after JSON/],
  ["p3_crypto0627_read_your_writes_input.malformed.json", /:5:116: invalid JSON: /],
  ["p3_markoer73_ccc2.json", /p3_markoer73_ccc2\.json \[2\]\.events\[6\]\.dest: expected an existing branch id \(1\.\.3\), found 4/],
  ["p3_markoer73_ccc4.json", /\.dest: expected an existing branch id \(1\.\.3\), found 4/],
  ["p1_markoer73_grpc1.json", /\[4\]\.balance: expected the same starting balance at every branch \(branch 345 at \[3\] has 2200\), found 220 at branch 987/],
];

for (const [file, message] of badOnes) {
  t.test(`${file} is refused with a message naming the place, exit 2, nothing written`, async (t) => {
    const out = join(t.testdir({}), "out");
    const r = await runCli(t, ["run", join(COURSE, file), "--out", out]);
    t.equal(r.code, 2);
    t.match(r.stderr, message);
    t.equal(r.stdout, "");
    t.notOk(existsSync(out), "no output directory was created");
  });
}

t.test("every fixture the index marks as bad is covered above", async (t) => {
  const marked = index.filter((e) => e.expect_error && !e.expected).map((e) => e.file).sort();
  const covered = badOnes.map(([f]) => f).filter((f) => marked.includes(f)).sort();
  t.same(covered, marked);
});

t.test("a duplicate event id is a warning, and an error with --strict", async (t) => {
  const file = join(COURSE, "p3_markoer73_ccc3.json");
  const out = join(t.testdir({}), "out");
  const lenient = await runCli(t, ["run", file, "--out", out]);
  t.equal(lenient.code, 0);
  t.match(lenient.stderr, /bank-sim: warning: .*customer 3 uses event id 6 twice/);
  const strict = await runCli(t, ["run", file, "--out", join(out, "strict"), "--strict"]);
  t.equal(strict.code, 2);
  t.match(strict.stderr, /\[2\]\.events\[3\]\.id: expected an event id not already used by customer 3, found 6/);
});
