import { readFileSync } from "node:fs";
import t from "tap";
import { parseScenario } from "../../lib/scenario/fixture.js";
import { courseOutput, formatJsonCompact } from "../../lib/scenario/output.js";
import type { EventOutcome, Scenario } from "../../lib/scenario/scenario.js";

const COURSE = new URL("../../../test/fixtures/course/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, COURSE), "utf8");

type Hand = Pick<EventOutcome, "status" | "result" | "balanceCents">;

/** Outcomes for every event of `s`, in order, from a hand-written list. */
function outcomes(s: Scenario, hand: Hand[]): EventOutcome[] {
  const all = s.customers.flatMap((c) => c.events.map((event, eventIndex) => ({ c, event, eventIndex })));
  if (all.length !== hand.length) throw new Error(`test table has ${hand.length} outcomes for ${all.length} events`);
  return all.map(({ c, event, eventIndex }, k) => ({
    customerId: c.customerId,
    objectIndex: c.objectIndex,
    eventIndex,
    event,
    latencyMs: 1,
    gateWaitMs: 0,
    attempts: 1,
    ...hand[k],
  })) as EventOutcome[];
}

const ok = (result: "success" | "fail"): Hand => ({ status: "ok", result });
const bal = (balanceCents: number): Hand => ({ status: "ok", balanceCents });

t.test("untargeted events give one recv object per customer object, queries with a balance only", async (t) => {
  const s = parseScenario(read("p1_codlocker_input.json"), "p1.json");
  const out = courseOutput(s, outcomes(s, [bal(40000), ok("success"), bal(57000), ok("success"), bal(50000)]));
  t.same(out, JSON.parse(read("p1_codlocker_input.expected.json")));
  t.strictSame(out[1], { id: 2, recv: [{ interface: "deposit", result: "success" }, { interface: "query", balance: 570 }] });
});

t.test("branch-targeted events give one object per event, each naming its branch", async (t) => {
  const s = parseScenario(read("p3_codlocker_input.json"), "p3.json");
  const out = courseOutput(s, outcomes(s, [ok("success"), bal(40000), bal(40000)]));
  t.strictSame(out, [
    { id: 1, recv: [{ interface: "deposit", branch: 1, result: "success" }] },
    { id: 1, recv: [{ interface: "query", branch: 1, balance: 400 }] },
    { id: 1, recv: [{ interface: "query", branch: 2, balance: 400 }] },
  ]);
  t.same(out, JSON.parse(read("p3_codlocker_input.expected.json")));
});

t.test("dest-targeted events give each customer's last query balance, in first-appearance order", async (t) => {
  const ccc3 = parseScenario(read("p3_markoer73_ccc3.json"), "ccc3.json");
  const out = courseOutput(ccc3, outcomes(ccc3, [bal(40000), ok("success"), bal(57000), ok("success"), bal(50000), ok("success"), bal(43000)]));
  t.strictSame(out, JSON.parse(read("p3_markoer73_ccc3.expected.json")));
  const jay = parseScenario(read("p3_jay-see_CSE531proj3_input.json"), "jay.json");
  const c1 = jay.customers[0]?.events.length ?? 0;
  const hand: Hand[] = [...Array<Hand>(c1 - 1).fill(ok("success")), bal(100000), ok("success"), ok("success"), ok("fail"), ok("success"), bal(110000)];
  t.strictSame(courseOutput(jay, outcomes(jay, hand)), [{ id: 1, balance: 1000 }, { id: 2, balance: 1100 }]);
});

t.test("dest output follows a repeated customer's session and skips customers that never query", async (t) => {
  const text = JSON.stringify([
    { id: 2, type: "customer", events: [{ interface: "query", dest: 1 }] },
    { id: 1, type: "customer", events: [{ interface: "deposit", money: 10.5, dest: 1 }] },
    { id: 2, type: "customer", events: [{ interface: "query", dest: 1 }] },
    { id: 1, type: "branch", balance: 0 },
  ]);
  const s = parseScenario(text, "x.json");
  t.strictSame(courseOutput(s, outcomes(s, [bal(0), ok("success"), bal(1050)])), [{ id: 2, balance: 10.5 }]);
  t.strictSame(courseOutput(s, outcomes(s, [bal(0), ok("success"), { status: "unknown" }])), [{ id: 2, result: "unknown" }]);
  t.strictSame(courseOutput(s, outcomes(s, [bal(0), ok("success"), { status: "failed" }])), [{ id: 2, result: "error" }]);
});

t.test("events that did not complete print error or unknown instead of a result", async (t) => {
  const s = parseScenario(read("p3_codlocker_input.json"), "p3.json");
  const all = outcomes(s, [{ status: "failed" }, { status: "unknown" }, bal(0)]);
  t.strictSame(courseOutput(s, all), [
    { id: 1, recv: [{ interface: "deposit", branch: 1, result: "error" }] },
    { id: 1, recv: [{ interface: "query", branch: 1, result: "unknown" }] },
    { id: 1, recv: [{ interface: "query", branch: 2, balance: 0 }] },
  ]);
  const missing = courseOutput(s, all.slice(0, 2));
  t.strictSame(missing[2], { id: 1, recv: [{ interface: "query", branch: 2, result: "unknown" }] }, "no outcome at all counts as unknown");
  const p1 = parseScenario(read("p1_jay-see_CSE531proj1_input.json"), "p1.json");
  t.strictSame(courseOutput(p1, outcomes(p1, [bal(40000), ok("fail"), { status: "failed" }])), [
    { id: 1, recv: [{ interface: "query", balance: 400 }] },
    { id: 2, recv: [{ interface: "deposit", result: "fail" }, { interface: "query", result: "error" }] },
  ]);
});

t.test("an ok outcome without its result or balance is a bug and throws", async (t) => {
  const s = parseScenario(read("p3_codlocker_input.json"), "p3.json");
  t.throws(() => courseOutput(s, outcomes(s, [{ status: "ok" }, bal(0), bal(0)])), /\[0\]\.events\[0\]: an ok deposit outcome has no result/);
  t.throws(() => courseOutput(s, outcomes(s, [ok("success"), { status: "ok" }, bal(0)])), /an ok query outcome has no balance/);
});

t.test("compact JSON puts one array element per line and parses back", async (t) => {
  const value = [{ id: 1, balance: 0 }, { id: 2, balance: 10.5 }];
  t.equal(formatJsonCompact(value), '[\n  {"id":1,"balance":0},\n  {"id":2,"balance":10.5}\n]\n');
  t.same(JSON.parse(formatJsonCompact(value)), value);
  t.equal(formatJsonCompact([]), "[]\n");
});

t.test("a sequential run shaped by courseOutput matches every P1/P3 expected file", async (t) => {
  // A one-account ledger run in file order: the course's semantics, with no replication.
  const index = JSON.parse(read("index.json")) as { file: string; format: string; expected?: string }[];
  const withExpected = index.filter((e) => (e.format === "p1" || e.format.startsWith("p3")) && e.expected !== undefined);
  t.ok(withExpected.length >= 20);
  for (const e of withExpected) {
    const s = parseScenario(read(e.file), e.file);
    let balance = s.initialBalanceCents;
    const hand = s.customers.flatMap((c) =>
      c.events.map((ev): Hand => {
        if (ev.interface === "query") return bal(balance);
        if (ev.interface === "deposit") return (balance += ev.amountCents), ok("success");
        if (ev.amountCents > balance) return ok("fail");
        return (balance -= ev.amountCents), ok("success");
      }),
    );
    t.same(courseOutput(s, outcomes(s, hand)), JSON.parse(read(e.expected ?? "")), e.file);
  }
});
