// The course fixtures (copied into test/fixtures/course with their source; see
// SOURCE.md): the index describes every copied file, and every fixture it
// marks as bad is refused with a clear error, exit 2 and no output written.
// Those with an expected output run in course-fixtures-p1.test.ts,
// course-fixtures-p1-large.test.ts, course-fixtures-p3.test.ts and
// course-fixtures-p3-branch.test.ts, which each check they compared all of
// theirs.

import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { INDEX, p1Fixtures, p3Fixtures } from "../helpers/course.js";
import { COURSE } from "../helpers/paths.js";
import { runCli } from "../helpers/run-cli.js";

const badOnes: Array<[string, RegExp]> = [
  ["p3_jogiaa_mw_input.malformed.json", /p3_jogiaa_mw_input\.malformed\.json:22:1: invalid JSON: Unexpected non-whitespace character after JSON/],
  ["p3_crypto0627_read_your_writes_input.malformed.json", /:5:116: invalid JSON: /],
  ["p3_markoer73_ccc2.json", /p3_markoer73_ccc2\.json \[2\]\.events\[6\]\.dest: expected an existing branch id \(1\.\.3\), found 4/],
  ["p3_markoer73_ccc4.json", /\.dest: expected an existing branch id \(1\.\.3\), found 4/],
  ["p1_markoer73_grpc1.json", /\[4\]\.balance: expected the same starting balance at every branch \(branch 345 at \[3\] has 2200\), found 220 at branch 987/],
];

t.test("the index lists every copied P1 and P3 scenario once, each with an expected output or an expected error", async (t) => {
  const inputs = readdirSync(COURSE).filter((f) => /^p[13]_.*\.json$/.test(f) && !f.endsWith(".expected.json")).sort();
  const listed = INDEX.map((e) => e.file);
  t.same([...listed].sort(), inputs, "the index and the directory name the same scenario files");
  t.equal(new Set(listed).size, listed.length, "no file is listed twice");
  const neitherOrBoth = INDEX.filter((e) => (e.expected === undefined) === (e.expect_error === undefined)).map((e) => e.file);
  t.same(neitherOrBoth, [], "every entry has exactly one of expected and expect_error");
  const missing = INDEX.flatMap((e) => (e.expected !== undefined && !existsSync(join(COURSE, e.expected)) ? [e.expected] : []));
  t.same(missing, [], "every expected output named exists");
  const expected = INDEX.filter((e) => e.expected !== undefined).map((e) => e.file).sort();
  const run = [...p1Fixtures("small"), ...p1Fixtures("large"), ...p3Fixtures("p3-dest"), ...p3Fixtures("p3-branch")].map((e) => e.file).sort();
  t.same(run, expected, "every fixture with an expected output is given to exactly one course-fixtures-* test file");
  t.ok(run.length >= 20, `${run.length} fixtures have an expected output`);
});

t.test("every fixture the index marks as bad is refused below, and nothing else is", async (t) => {
  const marked = INDEX.filter((e) => e.expect_error !== undefined).map((e) => e.file).sort();
  t.same(badOnes.map(([f]) => f).sort(), marked);
});

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
