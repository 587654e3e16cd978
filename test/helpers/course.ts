// The course fixtures (test/fixtures/course, see SOURCE.md) and how a test
// runs one: its index entries for P1 and P3, and a check that a fixture gives
// its expected output on a converged cluster. The fixtures are split over
// several test files (so each stays well under tap's time limit on a loaded
// machine); each file then checks that it compared every fixture it was given.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Test } from "tap";
import { parseScenario } from "../../lib/scenario/fixture.js";
import { COURSE } from "./paths.js";
import { runFile } from "./run-scenario.js";

export interface IndexEntry {
  file: string;
  format: string;
  expected?: string;
  expect_error?: string;
}

/** Every index entry: P1, P2 and P3 scenarios, and P2 grader samples (outputs, not scenarios). */
export const FULL_INDEX: readonly IndexEntry[] = JSON.parse(readFileSync(join(COURSE, "index.json"), "utf8")) as IndexEntry[];

/** The P1 and P3 entries (P2's are in P2_INDEX). */
export const INDEX: readonly IndexEntry[] = FULL_INDEX.filter((e) => /^p[13]_/.test(e.file));

/** Project 2's entries: its scenarios (p2_) and the course grader's sample inputs (p2grader_). */
export const P2_INDEX: readonly IndexEntry[] = FULL_INDEX.filter((e) => /^p2(grader)?_/.test(e.file));

/** The entries of one project ("p1" or "p3") that have an expected output. */
export function withExpected(project: "p1" | "p3"): IndexEntry[] {
  return INDEX.filter((e) => e.file.startsWith(`${project}_`) && e.expected !== undefined);
}

/** P3 entries with an expected output in one of the two P3 formats (events name a "branch" or a "dest"). */
export function p3Fixtures(format: "p3-branch" | "p3-dest"): IndexEntry[] {
  return withExpected("p3").filter((e) => e.format === format);
}

/** Fixtures with more branches than this are "large": tens of branches, a hundred customers. */
export const LARGE_BRANCHES = 20;

/** P1 entries with an expected output, split by size so that no test file runs too long on a loaded machine. */
export function p1Fixtures(size: "small" | "large"): IndexEntry[] {
  return withExpected("p1").filter((e) => {
    const branches = parseScenario(readFileSync(join(COURSE, e.file), "utf8"), e.file).branches.length;
    return (branches > LARGE_BRANCHES) === (size === "large");
  });
}

/**
 * Registers one test per entry: the fixture runs on a real cluster and its
 * output.json must equal the expected file, with every replica converged. A
 * last test checks that every entry was run and compared, so an entry cannot
 * be skipped unseen.
 */
export function expectEachOutput(t: Test, entries: readonly IndexEntry[]): void {
  const compared = new Set<string>();
  for (const entry of entries) {
    t.test(`${entry.file} gives its expected output on a converged cluster`, async (t) => {
      const report = await runFile(t, join(COURSE, entry.file));
      t.equal(report.error, undefined);
      t.ok(report.ok, "the run succeeded");
      t.ok(report.converged, "the replicas converged");
      const balances = new Set(report.finals.map((f) => f.balanceCents));
      t.equal(balances.size, 1, "every branch holds the same balance");
      const output = JSON.parse(readFileSync(join(report.outDir, "output.json"), "utf8")) as unknown;
      const expected = JSON.parse(readFileSync(join(COURSE, entry.expected!), "utf8")) as unknown;
      t.same(output, expected, `output.json equals ${entry.expected}`);
      compared.add(entry.file);
    });
  }
  t.test("every fixture given was run and its output compared", async (t) => {
    t.ok(entries.length > 0, `${entries.length} fixtures`);
    t.same([...compared].sort(), entries.map((e) => e.file).sort());
  });
}
