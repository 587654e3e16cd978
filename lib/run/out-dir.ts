// The out dir of a run: what a run writes there (and so what a new run
// clears first, leaving anything else alone), where each part goes, and the
// two result files written at the end.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Everything a run writes into its out dir. */
export const ARTIFACTS = ["output.json", "results.json", "history.jsonl", "branches", "store"] as const;

/** Where each part of a run's output goes. */
export function outPaths(dir: string): { results: string; output: string; history: string; branches: string; store: string } {
  return {
    results: join(dir, "results.json"),
    output: join(dir, "output.json"),
    history: join(dir, "history.jsonl"),
    branches: join(dir, "branches"),
    store: join(dir, "store"),
  };
}

/** Creates the out dir if need be and removes what an earlier run left there, so nothing stale survives into this run's results. */
export function prepareOutDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const a of ARTIFACTS) rmSync(join(dir, a), { recursive: true, force: true });
}

/**
 * Writes results.json (always) and output.json (only when given: a run that
 * failed leaves no course output that could pass for a right one).
 */
export function writeOutputs(dir: string, results: unknown, output: string | undefined): void {
  const paths = outPaths(dir);
  writeFileSync(paths.results, JSON.stringify(results, null, 2) + "\n");
  if (output !== undefined) writeFileSync(paths.output, output);
}
