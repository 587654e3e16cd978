// Project 2's input shape: customers with "customer-requests", customer i at
// branch i, the customer-request-id as the event id, and the quirks of real
// course files (keys with stray spaces) read with a warning naming the key,
// or refused with --strict; everything else refused with a message naming the place.

import { readFileSync } from "node:fs";
import t from "tap";
import { ScenarioError } from "../../lib/scenario/fixture-error.js";
import { parseScenario } from "../../lib/scenario/fixture.js";

const COURSE = new URL("../../../test/fixtures/course/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, COURSE), "utf8");
const f = "p2.json";

const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ScenarioError) return err.message;
    throw err;
  }
  return "(no error)";
};

const p2 = (requests: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify([
    { id: 1, type: "customer", "customer-requests": requests, ...extra },
    { id: 1, type: "branch", balance: 400 },
    { id: 2, type: "branch", balance: 400 },
  ]);

t.test("the course's example: customer i uses branch i, each request's id is its customer-request-id", async (t) => {
  const s = parseScenario(read("p2_codlocker_input.json"), "p2_codlocker_input.json");
  t.equal(s.shape, "p2");
  t.same(s.branches, [1, 2, 3]);
  t.equal(s.initialBalanceCents, 40000);
  t.same(s.customers[2]?.events, [
    { id: 5, interface: "deposit", amountCents: 1000, branch: 3, path: "[2].customer-requests[0]" },
    { id: 6, interface: "withdraw", amountCents: 1000, branch: 3, path: "[2].customer-requests[1]" },
  ]);
  t.same(s.warnings, []);
});

t.test("keys with stray spaces are read as their trimmed selves, with a warning naming each; --strict refuses them", async (t) => {
  const text = JSON.stringify([
    { "id ": 1, type: "customer", " customer-requests": [{ "customer-request-id ": 7, interface: "deposit", "money ": 10 }] },
    { id: 1, type: "branch", balance: 400 },
  ]);
  const s = parseScenario(text, f);
  t.same(s.customers[0]?.events, [{ id: 7, interface: "deposit", amountCents: 1000, branch: 1, path: "[0].customer-requests[0]" }]);
  t.same(s.warnings, [
    `${f}: [0]: the key "id " has stray spaces; read as "id" (--strict makes this an error)`,
    `${f}: [0]: the key " customer-requests" has stray spaces; read as "customer-requests" (--strict makes this an error)`,
    `${f}: [0].customer-requests[0]: the key "customer-request-id " has stray spaces; read as "customer-request-id" (--strict makes this an error)`,
    `${f}: [0].customer-requests[0]: the key "money " has stray spaces; read as "money" (--strict makes this an error)`,
  ]);
  t.equal(messageOf(() => parseScenario(text, f, { strict: true })), `${f} [0]: expected keys without stray spaces (a warning without --strict), found the key "id "`);
  t.equal(
    messageOf(() => parseScenario(p2([{ "customer-request-id": 1, interface: "deposit", money: 1, "money ": 2 }]), f)),
    `${f} [0].customer-requests[0]: expected each key once, found "money" and "money "`,
  );
});

t.test("bad Project 2 input is refused with the place, what was expected and what was found", async (t) => {
  const table: [string, string][] = [
    [p2([{ "customer-request-id": 1, interface: "query" }]), `${f} [0].customer-requests[0].interface: expected "deposit" or "withdraw" (Project 2's requests), found "query"`],
    [p2([{ "customer-request-id": 1, interface: "deposit" }]), `${f} [0].customer-requests[0].money: expected a non-negative amount with at most 2 decimals, found nothing`],
    [p2([{ "customer-request-id": 0, interface: "deposit", money: 1 }]), `${f} [0].customer-requests[0].customer-request-id: expected a positive integer, found 0`],
    [p2([{ "customer-request-id": 1, interface: "deposit", money: 1, dest: 2 }]), `${f} [0].customer-requests[0].dest: expected no target branch in a Project 2 request (customer i uses branch i), found one`],
    [p2([], { events: [] }), `${f} [0]: expected one of "events" or "customer-requests", found both`],
    [JSON.stringify([{ id: 1, type: "customer", "customer-requests": 5 }, { id: 1, type: "branch", balance: 1 }]), `${f} [0].customer-requests: expected an array of customer requests, found 5`],
    [
      JSON.stringify([{ id: 1, type: "customer", "customer-requests": [] }, { id: 2, type: "customer", events: [] }, { id: 1, type: "branch", balance: 1 }, { id: 2, type: "branch", balance: 1 }]),
      `${f} [1].events: expected customers in one format per file, like [0].customer-requests, found "events"`,
    ],
    [
      JSON.stringify([{ id: 3, type: "customer", "customer-requests": [{ "customer-request-id": 1, interface: "deposit", money: 1 }] }, { id: 1, type: "branch", balance: 1 }]),
      `${f} [0].customer-requests[0]: expected "dest", "branch", or a branch whose id is the customer's (3), found none of these (branches: 1)`,
    ],
  ];
  for (const [text, message] of table) t.equal(messageOf(() => parseScenario(text, f)), message, message);
});

t.test("a repeated customer-request-id is a warning, and an error with --strict", async (t) => {
  const text = p2([{ "customer-request-id": 1, interface: "deposit", money: 1 }, { "customer-request-id": 1, interface: "withdraw", money: 1 }]);
  t.match(parseScenario(text, f).warnings, [/customer 1 uses event id 1 twice/]);
  t.equal(messageOf(() => parseScenario(text, f, { strict: true })),
    `${f} [0].customer-requests[1].customer-request-id: expected an event id not already used by customer 1, found 1 (also at [0].customer-requests[0]; a warning without --strict)`);
});
