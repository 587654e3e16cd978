// What the CLI tests share: scenario builders, stderr helpers, the usual
// refusal (exit 2, a first line saying where, what was expected and what was
// found, then the hint to --help) and a bounded-parallel map for spawns.

import type { Test } from "tap";
import type { CliResult } from "./run-cli.js";

export const HINT = "(run with --help for usage)";
export const firstLine = (text: string) => text.split("\n")[0] ?? "";
export const lines = (text: string) => text.split("\n").filter((l) => l !== "");

export const branch = (id: number, balance: unknown = 0) => ({ type: "branch", id, balance });
export const customer = (id: number, ...events: object[]) => ({ type: "customer", id, events });
export const json = (doc: unknown) => JSON.stringify(doc, null, 2);
/** One branch and one customer whose only event is `event`. */
export const oneEvent = (event: object) => json([branch(1), customer(1, event)]);

/** Runs `fn` over `items` with at most `limit` at once, keeping order (spawns are mostly start-up time). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
/** Spawns at once: a bank-sim start is mostly Node loading modules. */
export const PARALLEL = 4;

/** Asserts the usual refusal: exit 2, this first stderr line then the hint, nothing on stdout. */
export function assertRefused(tt: Test, r: CliResult, line: string): void {
  tt.equal(r.code, 2, "exit code 2");
  tt.equal(firstLine(r.stderr), line);
  tt.equal(lines(r.stderr).at(-1), HINT, "ends with the hint to --help");
  tt.equal(r.stdout, "", "nothing on stdout");
}
