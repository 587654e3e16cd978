import t from "tap";
import { ScenarioError } from "../../lib/scenario/fixture-error.js";
import { MAX_AMOUNT_CENTS } from "../../lib/core/limits.js";
import { formatMoney, formatMoneyText } from "../../lib/core/money.js";
import { parseMoney } from "../../lib/scenario/amount.js";

t.test("amounts with at most two decimals become exact integer cents", async (t) => {
  const table: [number, number][] = [
    [0, 0],
    [400, 40000],
    [10.5, 1050],
    [0.29, 29], // 0.29 * 100 is 28.999999999999996 in binary floating point
    [1.1, 110],
    [19.99, 1999],
    [0.01, 1],
    [MAX_AMOUNT_CENTS / 100, MAX_AMOUNT_CENTS],
  ];
  for (const [value, cents] of table) t.equal(parseMoney(value, "x"), cents, `${value}`);
  t.ok(Object.is(parseMoney(-0, "x"), 0), "-0 becomes 0");
});

t.test("bad amounts are rejected with where, expected and found", async (t) => {
  const table: [unknown, string][] = [
    [-5, "[0].events[2].money: expected a non-negative amount with at most 2 decimals, found -5"],
    [1.005, "[0].events[2].money: expected a non-negative amount with at most 2 decimals, found 1.005"],
    [0.001, "[0].events[2].money: expected a non-negative amount with at most 2 decimals, found 0.001"],
    ["400", `[0].events[2].money: expected a non-negative amount with at most 2 decimals, found "400"`],
    [null, "[0].events[2].money: expected a non-negative amount with at most 2 decimals, found null"],
    [undefined, "[0].events[2].money: expected a non-negative amount with at most 2 decimals, found nothing"],
    [Number.NaN, "[0].events[2].money: expected a non-negative amount with at most 2 decimals, found NaN"],
    [Infinity, "[0].events[2].money: expected a non-negative amount with at most 2 decimals, found Infinity"],
    [[1], "[0].events[2].money: expected a non-negative amount with at most 2 decimals, found an array"],
    [1e300, "[0].events[2].money: expected an amount of at most 100000000000.00, found 1e+300"],
    [MAX_AMOUNT_CENTS / 100 + 0.01, "[0].events[2].money: expected an amount of at most 100000000000.00, found 100000000000.01"],
  ];
  for (const [value, message] of table) {
    t.throws(() => parseMoney(value, "[0].events[2].money"), { name: "ScenarioError", message }, String(value));
  }
});

t.test("the error names the file when given one and carries its parts", async (t) => {
  try {
    parseMoney(-5, "[0].events[2].money", "fixture.json");
    t.fail("should throw");
  } catch (err) {
    t.ok(err instanceof ScenarioError);
    const e = err as ScenarioError;
    t.equal(e.message, "fixture.json [0].events[2].money: expected a non-negative amount with at most 2 decimals, found -5");
    t.equal(e.source, "fixture.json");
    t.equal(e.path, "[0].events[2].money");
    t.equal(e.found, "-5");
  }
});

t.test("cents print as plain JSON numbers and as two-decimal text", async (t) => {
  t.equal(formatMoney(1050), 10.5);
  t.equal(formatMoney(40000), 400);
  t.equal(JSON.stringify(formatMoney(40000)), "400");
  t.equal(formatMoney(1), 0.01);
  t.equal(formatMoney(29), 0.29);
  t.ok(Object.is(formatMoney(-0), 0));
  t.equal(formatMoneyText(1050), "10.50");
  t.equal(formatMoneyText(5), "0.05");
  t.equal(formatMoneyText(-5), "-0.05");
  t.equal(formatMoneyText(40000), "400.00");
  t.throws(() => formatMoney(1.5), RangeError);
  t.throws(() => formatMoneyText(Number.MAX_SAFE_INTEGER + 1), RangeError);
});

t.test("every amount in cents survives format then parse", async (t) => {
  const wrong: number[] = [];
  for (let cents = 0; cents < 1_000_000; cents++) if (parseMoney(formatMoney(cents), "x") !== cents) wrong.push(cents);
  t.same(wrong, [], "0.00 to 9999.99");
  for (const cents of [MAX_AMOUNT_CENTS, MAX_AMOUNT_CENTS - 1, 123_456_789_012]) t.equal(parseMoney(formatMoney(cents), "x"), cents);
});
