import { readFileSync, readdirSync } from "node:fs";
import fc from "fast-check";
import t from "tap";
import { ScenarioError } from "../../lib/scenario/fixture-error.js";
import { findJsonErrorOffset, lineColumn } from "../../lib/scenario/fixture-json.js";
import { MAX_BRANCHES, MAX_EVENTS, MAX_SCENARIO_BYTES } from "../../lib/core/limits.js";
import { formatIdRanges, parseScenario } from "../../lib/scenario/fixture.js";

// dist/test/fixture.test.js → test/fixtures/course/
const COURSE = new URL("../../../test/fixtures/course/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, COURSE), "utf8");
interface IndexEntry {
  file: string;
  format: string;
  expected?: string;
  expect_error?: string;
  examples?: string[];
}
const index = JSON.parse(read("index.json")) as IndexEntry[];
const inScope = index.filter((e) => e.format === "p1" || e.format === "p2" || e.format.startsWith("p3"));
const SHAPES: Record<string, string> = { p1: "recv", p2: "p2", "p3-branch": "branch", "p3-dest": "dest" };

/** A one-customer scenario with branches 1..3 at 400 around the given events. */
const withEvents = (events: unknown[], extra: unknown[] = []) =>
  JSON.stringify([
    { id: 1, type: "customer", events },
    ...extra,
    { id: 1, type: "branch", balance: 400 },
    { id: 2, type: "branch", balance: 400 },
    { id: 3, type: "branch", balance: 400 },
  ]);

const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof ScenarioError) return err.message;
    throw err;
  }
  return "(no error)";
};

t.test("every P1, P2 and P3 course fixture without expect_error parses; P2 grader samples are refused as outputs", async (t) => {
  t.ok(inScope.length >= 28, "the index lists the P1/P2/P3 fixtures");
  for (const e of inScope.filter((e) => e.expect_error === undefined)) {
    const s = parseScenario(read(e.file), e.file);
    t.equal(s.shape, SHAPES[e.format], e.file);
    t.ok(s.customers.length > 0 && s.branches.length > 0, `${e.file} has customers and branches`);
  }
  const outputs = index.filter((e) => e.format === "p2-output");
  t.equal(outputs.length, 4, "four grader samples");
  for (const e of outputs) {
    t.match(messageOf(() => parseScenario(read(e.file), e.file)), /expected (a branch or customer object|an event object), found a Project 2 output \(it has "logical_clock"\), not a scenario; `bank-sim grade-p2` checks/, e.file);
  }
  // No fixture outside the index slips through untested.
  const files = readdirSync(COURSE).filter((f) => f.endsWith(".json") && !f.endsWith(".expected.json") && f !== "index.json");
  t.same(files.sort(), index.flatMap((e) => [e.file, ...(e.examples ?? [])]).sort());
});

t.test("course shapes map onto the scenario", async (t) => {
  const p1 = parseScenario(read("p1_codlocker_input.json"), "p1");
  t.same(p1.branches, [1, 2, 3]);
  t.equal(p1.initialBalanceCents, 40000);
  t.same(p1.customers[1]?.events, [
    { id: 2, interface: "deposit", amountCents: 17000, branch: 2, path: "[1].events[0]" },
    { id: 3, interface: "query", amountCents: 0, branch: 2, path: "[1].events[1]" },
  ]);
  const easy = parseScenario(read("p3_huangheqing_input_easy.json"), "easy"); // "bank", no event ids
  t.same(easy.customers[0]?.events.map((e) => [e.id, e.interface, e.branch]), [[1, "deposit", 1], [2, "withdraw", 2], [3, "query", 2]]);
  const big = parseScenario(read("p1_codlocker_input1.json"), "big"); // customer ids repeat: the session continues
  t.equal(big.customers.length, 100);
  t.equal(big.customers[50]?.customerId, 1);
  t.equal(big.customers[50]?.objectIndex, 50);
  t.same(big.warnings, []);
  const q = parseScenario(withEvents([{ interface: "query", money: "garbage", dest: 1 }]), "q.json");
  t.equal(q.customers[0]?.events[0]?.amountCents, 0, "money on a query is ignored, even when malformed");
});

t.test("malformed JSON is reported with line and column", async (t) => {
  t.equal(
    messageOf(() => parseScenario(read("p3_jogiaa_mw_input.malformed.json"), "fixture.json")),
    "fixture.json:22:1: invalid JSON: Unexpected non-whitespace character after JSON",
  );
  t.equal(
    messageOf(() => parseScenario(read("p3_crypto0627_read_your_writes_input.malformed.json"), "rw.json")),
    "rw.json:5:116: invalid JSON: Unexpected token ']'",
  );
  t.equal(messageOf(() => parseScenario("\uFEFF[\r\n  1,\r\n  ]", "bom.json")), "bom.json:3:3: invalid JSON: Unexpected token ']'");
  t.equal(messageOf(() => parseScenario("[\r  {\"a\":1\r  ", "cr.json")), "cr.json:3:3: invalid JSON: Expected ',' or '}' after property value");
  t.equal(messageOf(() => parseScenario("[1,", "end.json")), "end.json:1:4: invalid JSON: Unexpected end of JSON input");
  t.equal(messageOf(() => parseScenario('["a\nb"]', "ctl.json")), "ctl.json:1:4: invalid JSON: Bad control character in string literal");
});

t.test("the JSON scanner agrees with JSON.parse on validity", async (t) => {
  const valid = ['{"a":[1,-0.5e+3,true,false,null,"\\u00e9\\n"]}', "[]", "{}", " 0 ", '"x"', "[[[]]]"];
  for (const v of valid) t.equal(findJsonErrorOffset(v), undefined, v);
  const invalid: [string, number][] = [["[1,]", 3], ["{,}", 1], ["[01]", 2], ["[1.]", 3], ["tru", 3], ['{"a" 1}', 5], ["[1 2]", 3], ['"\\x"', 2], ["", 0]];
  for (const [text, offset] of invalid) t.equal(findJsonErrorOffset(text), offset, text);
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), (s) => (findJsonErrorOffset(s) === undefined) === isJson(s)),
    { numRuns: 2000 },
  );
  fc.assert(fc.property(fc.json(), (s) => findJsonErrorOffset(s) === undefined), { numRuns: 500 });
  t.same(lineColumn("a\r\nb\nc", 5), { line: 3, column: 1 });
  t.same(lineColumn("a\rb", 2), { line: 2, column: 1 });
});

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

t.test("bad values are rejected with the path, what was expected and what was found", async (t) => {
  const f = "fixture.json";
  const table: [string, string][] = [
    ["", `${f}: expected a JSON array of branch and customer objects, found an empty file`],
    [" \r\n", `${f}: expected a JSON array of branch and customer objects, found an empty file`],
    ['{"id":1}', `${f}: expected a JSON array of branch and customer objects, found an object`],
    ["[]", `${f}: expected at least one object with "type": "branch", found none`],
    ["[5]", `${f} [0]: expected an object with "type" "branch" (or "bank") or "customer" (or "client"), found 5`],
    ['[{"id":1,"type":"atm"}]', `${f} [0].type: expected "branch" (or "bank") or "customer" (or "client"), found "atm"`],
    ['[{"id":0,"type":"branch","balance":1}]', `${f} [0].id: expected a positive integer, found 0`],
    ['[{"id":1.5,"type":"bank","balance":1}]', `${f} [0].id: expected a positive integer, found 1.5`],
    ['[{"id":"1","type":"client","events":[]}]', `${f} [0].id: expected a positive integer, found "1"`],
    ['[{"id":1,"type":"branch","balance":-1}]', `${f} [0].balance: expected a non-negative amount with at most 2 decimals, found -1`],
    ['[{"id":1,"type":"branch"}]', `${f} [0].balance: expected a non-negative amount with at most 2 decimals, found nothing`],
    ['[{"id":1,"type":"branch","balance":1},{"id":1,"type":"branch","balance":1}]', `${f} [1].id: expected a branch id not used before, found 1 (also at [0])`],
    ['[{"id":1,"type":"customer"}]', `${f} [0].events: expected an array of events (or Project 2's "customer-requests"), found nothing`],
    [withEvents(["x"]), `${f} [0].events[0]: expected an event object, found "x"`],
    [withEvents([{ interface: "transfer", money: 1 }]), `${f} [0].events[0].interface: expected "deposit", "withdraw" or "query", found "transfer"`],
    [withEvents([{ id: 1, interface: "query" }, { id: 2, interface: "deposit", money: -5 }]), `${f} [0].events[1].money: expected a non-negative amount with at most 2 decimals, found -5`],
    [withEvents([{ interface: "withdraw", money: "400" }]), `${f} [0].events[0].money: expected a non-negative amount with at most 2 decimals, found "400"`],
    [withEvents([{ interface: "deposit", money: 1.234 }]), `${f} [0].events[0].money: expected a non-negative amount with at most 2 decimals, found 1.234`],
    [withEvents([{ interface: "deposit" }]), `${f} [0].events[0].money: expected a non-negative amount with at most 2 decimals, found nothing`],
    [withEvents([{ id: -2, interface: "query" }]), `${f} [0].events[0].id: expected a positive integer, found -2`],
    [withEvents([{ interface: "query", dest: 4 }]), `${f} [0].events[0].dest: expected an existing branch id (1..3), found 4`],
    [withEvents([{ interface: "query", branch: "2" }]), `${f} [0].events[0].branch: expected a positive integer branch id, found "2"`],
    [withEvents([{ interface: "query", dest: 1, branch: 1 }]), `${f} [0].events[0]: expected one of "dest" or "branch", found both`],
    [withEvents([{ interface: "query", dest: 1 }, { interface: "query", branch: 2 }]), `${f} [0].events[1].branch: expected "dest" like [0].events[0].dest (one targeting style per file), found "branch"`],
    [withEvents([], [{ id: 9, type: "customer", events: [{ interface: "query" }] }]), `${f} [1].events[0]: expected "dest", "branch", or a branch whose id is the customer's (9), found none of these (branches: 1..3)`],
    [withEvents([], [{ id: 3, type: "branch", balance: 400.5 }]), `${f} [4].id: expected a branch id not used before, found 3 (also at [1])`],
    [withEvents([], [{ id: 4, type: "branch", balance: 400.5 }]), `${f} [2].balance: expected the same starting balance at every branch (branch 4 at [1] has 400.5), found 400 at branch 1`],
    [read("p1_markoer73_grpc1.json"), `${f} [4].balance: expected the same starting balance at every branch (branch 345 at [3] has 2200), found 220 at branch 987`],
    [read("p3_markoer73_ccc2.json"), `${f} [2].events[6].dest: expected an existing branch id (1..3), found 4`],
  ];
  for (const [text, message] of table) t.equal(messageOf(() => parseScenario(text, f)), message, message);
});

t.test("duplicate event ids warn, and --strict makes them errors", async (t) => {
  const ccc3 = parseScenario(read("p3_markoer73_ccc3.json"), "ccc3.json");
  t.same(ccc3.warnings, [
    "ccc3.json: customer 3 uses event id 6 twice ([2].events[2], [2].events[3]); running anyway (--strict makes this an error)",
  ]);
  t.equal(
    messageOf(() => parseScenario(read("p3_markoer73_ccc3.json"), "ccc3.json", { strict: true })),
    "ccc3.json [2].events[3].id: expected an event id not already used by customer 3, found 6 (also at [2].events[2]; a warning without --strict)",
  );
  const big = parseScenario(read("p3_jthak002_input_big.json"), "big.json");
  t.equal(big.warnings.length, 1);
  t.match(big.warnings[0], /customer 1 uses event id 5 twice \(\[0\]\.events\[4\], \[0\]\.events\[14\]\)/);
  // The same customer id in a later object continues the session, so its ids are checked together.
  const split = parseScenario(withEvents([{ id: 7, interface: "query" }], [{ id: 1, type: "customer", events: [{ id: 7, interface: "query" }] }]), "s.json");
  t.same(split.warnings, ["s.json: customer 1 uses event id 7 twice ([0].events[0], [1].events[0]); running anyway (--strict makes this an error)"]);
  // Events without ids take their position in the customer's session, across objects.
  const noIds = parseScenario(withEvents([{ interface: "query" }], [{ id: 1, type: "customer", events: [{ interface: "query" }] }]), "n.json");
  t.same(noIds.customers.map((c) => c.events[0]?.id), [1, 2]);
  t.same(noIds.warnings, []);
  t.match(messageOf(() => parseScenario(read("p3_markoer73_ccc4.json"), "ccc4.json", { strict: true })), /^ccc4\.json \[0\]\.events\[1\]\.id: expected an event id not already used by customer 1, found 1/);
});

t.test("--branches N runs the scenario on branches 1..N", async (t) => {
  const s = parseScenario(read("p3_codlocker_input.json"), "x.json", { branches: 5 });
  t.same(s.branches, [1, 2, 3, 4, 5]);
  t.equal(s.initialBalanceCents, 0);
  t.equal(
    messageOf(() => parseScenario(read("p3_codlocker_input_big.json"), "big.json", { branches: 3 })),
    "big.json [0].events[9].branch: expected an existing branch id (--branches 3: 1..3), found 4",
  );
  for (const bad of [0, 1.5, MAX_BRANCHES + 1, Number.NaN]) {
    t.equal(messageOf(() => parseScenario("[]", "x", { branches: bad })), `--branches: expected an integer from 1 to ${MAX_BRANCHES}, found ${bad}`);
  }
});

t.test("size and count limits are enforced with clear messages", async (t) => {
  t.equal(MAX_SCENARIO_BYTES, 16 * 1024 * 1024);
  t.equal(messageOf(() => parseScenario("[       ]", "x.json", { maxBytes: 8 })), "x.json: expected a file of at most 8 bytes, found 9 bytes");
  t.equal(messageOf(() => parseScenario('["éé"]', "x.json", { maxBytes: 7 })), "x.json: expected a file of at most 7 bytes, found 8 bytes");
  const many = Array.from({ length: MAX_EVENTS + 1 }, () => ({ interface: "query" }));
  t.equal(messageOf(() => parseScenario(withEvents(many), "x.json", { maxBytes: 64 * 1024 * 1024 })), `x.json [0].events[${MAX_EVENTS}]: expected at most ${MAX_EVENTS} events in total, found more`);
  const branches = Array.from({ length: MAX_BRANCHES + 1 }, (_, i) => ({ id: i + 1, type: "branch", balance: 0 }));
  t.equal(messageOf(() => parseScenario(JSON.stringify(branches), "x.json")), `x.json [${MAX_BRANCHES}]: expected at most ${MAX_BRANCHES} branches, found more`);
  t.equal(formatIdRanges([1, 2, 3, 7, 9, 10]), "1..3, 7, 9..10");
  t.equal(formatIdRanges([1, 3, 5, 7, 9], 2), "1, 3, …");
});

/** Throws unless `f` returns or throws a ScenarioError. */
const onlyScenarioErrors = (f: () => unknown): boolean => {
  try {
    f();
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
  }
  return true;
};

t.test("arbitrary JSON and text never throw anything but ScenarioError", async (t) => {
  const opts = { numRuns: 500 };
  fc.assert(fc.property(fc.jsonValue(), (v) => onlyScenarioErrors(() => parseScenario(JSON.stringify(v) ?? "", "p.json"))), opts);
  fc.assert(fc.property(fc.string(), fc.boolean(), (s, strict) => onlyScenarioErrors(() => parseScenario(s, "p.json", { strict }))), opts);
  t.pass("no other errors");
});

t.test("random mutations of a valid fixture never throw anything but ScenarioError", async (t) => {
  const base = read("p3_markoer73_ccc3.json");
  const doc = JSON.parse(base) as unknown;
  const slots = collectSlots(doc);
  t.ok(slots.length > 50);
  fc.assert(
    fc.property(fc.nat(slots.length - 1), fc.option(fc.jsonValue({ maxDepth: 2 })), (k, replacement) => {
      const copy = structuredClone(doc);
      const [parentPath, key] = slots[k] ?? [[], 0];
      const parent = parentPath.reduce<unknown>((node, p) => (node as Record<string | number, unknown>)[p], copy) as Record<string | number, unknown>;
      if (replacement === null) delete parent[key];
      else parent[key] = replacement;
      return onlyScenarioErrors(() => parseScenario(JSON.stringify(copy), "m.json", { strict: true }));
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.nat(base.length), fc.nat(5), fc.string({ maxLength: 3 }), (at, cut, insert) =>
      onlyScenarioErrors(() => parseScenario(base.slice(0, at) + insert + base.slice(at + cut), "m.json")),
    ),
    { numRuns: 1000 },
  );
  t.equal(messageOf(() => parseScenario("[".repeat(1_000_000), "deep.json", { maxBytes: 2_000_000 })), "deep.json:1:1000001: invalid JSON: Unexpected end of JSON input");
});

type Slot = [(string | number)[], string | number];
function collectSlots(node: unknown, path: (string | number)[] = []): Slot[] {
  if (typeof node !== "object" || node === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(node) ? node.map((v, i) => [i, v]) : Object.entries(node);
  return entries.flatMap(([k, v]) => [[path, k] as Slot, ...collectSlots(v, [...path, k])]);
}
