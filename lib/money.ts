// Money as integer cents. Amounts in course files are JSON numbers such as 400
// or 10.5; binary floats cannot add 0.1 + 0.2 exactly, so every amount becomes
// an integer number of cents at load time and all arithmetic is on integers.
// Output converts back to plain JSON numbers (400, 10.5), never "400.0".

import { ScenarioError, describeFound } from "./fixture-error.js";

/**
 * Largest accepted amount or balance: 10^13 cents (100 billion units). Far below
 * 2^53, so sums of many such amounts stay exact safe integers.
 */
export const MAX_AMOUNT_CENTS = 10_000_000_000_000;

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

function assertCents(cents: number): void {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`money: expected integer cents, found ${cents}`);
}

/** Cents as a JSON number for output files: 1050 → 10.5, 40000 → 400. */
export function formatMoney(cents: number): number {
  assertCents(cents);
  // For |cents| < 2^53 the double nearest cents/100 prints as that exact decimal.
  return cents / 100 + 0; // + 0 turns -0 into 0
}

/** Cents for people: 1050 → "10.50", -5 → "-0.05". */
export function formatMoneyText(cents: number): string {
  assertCents(cents);
  const abs = Math.abs(cents);
  const units = Math.floor(abs / 100);
  const rest = String(abs % 100).padStart(2, "0");
  return `${cents < 0 ? "-" : ""}${units}.${rest}`;
}
