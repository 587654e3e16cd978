// Runs a scenario in this process on a real cluster, with the run's output in
// a tap test directory (removed after the test). Every run's results.json and
// history.jsonl are checked against their schemas (schemas/).

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { assertValid, assertValidHistory } from "./output-schemas.js";
import type { Test } from "tap";
import { parseScenario } from "../../lib/scenario/fixture.js";
import { resolveRunConfig, type RawRunFlags } from "../../lib/run/run-config.js";
import { runScenario, type RunReport } from "../../lib/run/run.js";
import type { EventOutcome } from "../../lib/scenario/scenario.js";

/** A run's report, with every outcome in the order they completed (the run keeps none; the test collects them as they come). */
export type TestRun = RunReport & { outcomes: EventOutcome[] };

const START_TIMEOUT_MS = 90_000;

export async function runFile(t: Test, file: string, flags: RawRunFlags & { branches?: number } = {}): Promise<TestRun> {
  return runText(t, readFileSync(file, "utf8"), file, flags);
}

export async function runText(t: Test, text: string, source: string, flags: RawRunFlags & { branches?: number } = {}): Promise<TestRun> {
  const opts: { branches?: number } = {};
  if (flags.branches !== undefined) opts.branches = flags.branches;
  const scenario = parseScenario(text, source, opts);
  const out = t.testdir({});
  // A loaded machine may take a while to start the worker threads: the start
  // timeout bounds a hang, it is not what a test asserts.
  const cfg = { ...resolveRunConfig({ ...flags, out }, scenario.branches), startTimeoutMs: START_TIMEOUT_MS };
  const outcomes: EventOutcome[] = [];
  const report = await runScenario(scenario, cfg, { log: (l) => t.comment(l), onOutcome: (o) => outcomes.push(o) });
  const results = join(out, "results.json");
  if (existsSync(results)) assertValid(t, "results", JSON.parse(readFileSync(results, "utf8")), "the run's results.json");
  if (existsSync(join(out, "history.jsonl"))) assertValidHistory(t, join(out, "history.jsonl"));
  return { ...report, outcomes };
}
