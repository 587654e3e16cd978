// Money as integer cents. Amounts in course files are JSON numbers such as 400
// or 10.5; binary floats cannot add 0.1 + 0.2 exactly, so every amount becomes
// an integer number of cents at load time and all arithmetic is on integers.
// Output converts back to plain JSON numbers (400, 10.5), never "400.0".



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
