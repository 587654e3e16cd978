import t from "tap";
import { parseScenario } from "../../lib/scenario/fixture.js";
import { DEFAULT_MIX, generateScenario, parseMix } from "../../lib/scenario/gen.js";
import { seededRandom } from "../../lib/core/random.js";
import type { GenOptions } from "../../lib/scenario/gen.js";

const base: GenOptions = { branches: 5, customers: 4, events: 250, seed: 42, mix: DEFAULT_MIX };

t.test("the same seed gives the same scenario, another seed a different one", async (t) => {
  t.same(generateScenario(base), generateScenario({ ...base }));
  t.notSame(generateScenario(base), generateScenario({ ...base, seed: 43 }));
  const r = seededRandom(7);
  const xs = Array.from({ length: 1000 }, () => r());
  t.ok(xs.every((x) => x >= 0 && x < 1), "floats in [0, 1)");
  t.equal(new Set(xs).size, 1000);
});

t.test("generated scenarios parse, in every shape, with the requested sizes", async (t) => {
  for (const shape of ["branch", "dest", "recv"] as const) {
    const doc = generateScenario({ ...base, shape, seed: 1 });
    const s = parseScenario(JSON.stringify(doc), "<generated>");
    t.equal(s.shape, shape);
    t.same(s.branches, [1, 2, 3, 4, 5]);
    t.equal(s.initialBalanceCents, 40000);
    t.equal(s.customers.length, 4);
    t.ok(s.customers.every((c) => c.events.length === 250));
    t.same(s.warnings, []);
  }
  const s = parseScenario(JSON.stringify(generateScenario({ ...base, balanceCents: 1050 })), "<generated>");
  t.equal(s.initialBalanceCents, 1050);
});

t.test("the mix is respected roughly, some amounts carry cents, and targets spread over branches", async (t) => {
  const s = parseScenario(JSON.stringify(generateScenario({ ...base, events: 2500 })), "<generated>");
  const events = s.customers.flatMap((c) => c.events);
  const share = (i: string) => events.filter((e) => e.interface === i).length / events.length;
  t.ok(Math.abs(share("deposit") - 0.4) < 0.03, `deposits ${share("deposit")}`);
  t.ok(Math.abs(share("withdraw") - 0.3) < 0.03, `withdraws ${share("withdraw")}`);
  t.ok(Math.abs(share("query") - 0.3) < 0.03, `queries ${share("query")}`);
  const writes = events.filter((e) => e.interface !== "query");
  const withCents = writes.filter((e) => e.amountCents % 100 !== 0).length / writes.length;
  t.ok(withCents > 0.1 && withCents < 0.3, `share with cents ${withCents}`);
  t.same(new Set(events.map((e) => e.branch)).size, 5);
  const onlyQueries = generateScenario({ ...base, mix: { deposit: 0, withdraw: 0, query: 1 } });
  t.notOk(JSON.stringify(onlyQueries).includes("deposit"));
});

t.test("bad generator options are refused with the reason", async (t) => {
  t.throws(() => generateScenario({ ...base, branches: 0 }), { message: "gen: branches: expected an integer from 1 to 2000, found 0" });
  t.throws(() => generateScenario({ ...base, shape: "recv", customers: 6 }), /customers \(6\) must be at most branches \(5\)/);
  t.throws(() => generateScenario({ ...base, customers: 1000, events: 1001 }), /customers × events: expected at most 1000000, found 1001000/);
  t.throws(() => generateScenario({ ...base, mix: { deposit: 0, withdraw: 0, query: 0 } }), /at least one positive weight/);
  t.throws(() => generateScenario({ ...base, seed: -1 }), /seed/);
});

t.test("parseMix reads name=weight pairs and explains what is wrong", async (t) => {
  t.same(parseMix("deposit=4,withdraw=3,query=3"), { deposit: 4, withdraw: 3, query: 3 });
  t.same(parseMix(" query = 1 "), { deposit: 0, withdraw: 0, query: 1 });
  const table: [string, string][] = [
    ["deposit", `--mix: expected name=weight pairs like deposit=4,withdraw=3,query=3, found "deposit"`],
    ["deposit=-1", `--mix: expected name=weight pairs like deposit=4,withdraw=3,query=3, found "deposit=-1"`],
    ["transfer=1", `--mix: expected "deposit", "withdraw" or "query", found "transfer"`],
    ["query=1,query=2", "--mix: expected each operation at most once, found query twice"],
    ["query=0", `--mix: expected at least one positive weight, found "query=0"`],
    ["", `--mix: expected name=weight pairs like deposit=4,withdraw=3,query=3, found ""`],
  ];
  for (const [text, message] of table) t.throws(() => parseMix(text), { name: "ScenarioError", message }, text);
});
