// Amounts as the scenario files and flags write them (JSON numbers such as 400
// or 10.5), validated and turned into integer cents, with an error that names
// where the bad value was.

import { MAX_AMOUNT_CENTS } from "../core/limits.js";
import { formatMoneyText } from "../core/money.js";
import { ScenarioError, describeFound } from "./fixture-error.js";

export const AMOUNT_EXPECTED = "a non-negative amount with at most 2 decimals";

/**
 * Validates a JSON value as an amount and returns it in cents. `where` is the
 * JSON path (or flag name) used in the error; `source` the file, if any.
 * Strings such as "400" are rejected: the course files use numbers, and a
 * quoted amount is more likely a mistake than an intent.
 */
export function parseMoney(value: unknown, where: string, source = ""): number {
  const fail = (expected: string) =>
    new ScenarioError({ source, path: where, expected, found: describeFound(value) });
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw fail(AMOUNT_EXPECTED);
  // Checked before exactness so that 1e300 is reported as too large, not as over-precise.
  if (value > MAX_AMOUNT_CENTS / 100) throw fail(`an amount of at most ${formatMoneyText(MAX_AMOUNT_CENTS)}`);
  const cents = Math.round(value * 100);
  // v*100 is inexact for most decimals (0.29*100 = 28.999…); rounding and dividing
  // back gives exactly v iff v was the double nearest some d.dd.
  if (cents / 100 !== value) throw fail(AMOUNT_EXPECTED);
  return cents + 0; // a JSON -0 passes the checks above; + 0 makes it 0
}

