// Money stays exact: a scenario whose deposits could take a balance past
// 2^53 cents is refused before anything runs, naming the deposit that
// crosses; a branch refuses such a deposit from any other client.

import t from "tap";
import { Branch } from "../../lib/core/branch.js";
import { MAX_AMOUNT_CENTS } from "../../lib/core/limits.js";
import { Ledger } from "../../lib/core/ledger.js";
import { parseScenario } from "../../lib/scenario/fixture.js";

const maxAmount = MAX_AMOUNT_CENTS / 100;

t.test("a scenario whose deposits could pass 2^53 cents is refused at the deposit that crosses", async (t) => {
  // 901 deposits of the largest amount: 9.01e15 cents > 2^53 - 1 (9,007,199,254,740,991).
  const events = Array.from({ length: 901 }, (_, i) => ({ id: i + 1, interface: "deposit", money: maxAmount, dest: 1 }));
  const text = JSON.stringify([{ id: 1, type: "branch", balance: 0 }, { id: 1, type: "customer", events }]);
  t.throws(() => parseScenario(text, "big.json"), {
    message: "big.json [1].events[900].money: expected deposits that keep the starting balance plus all deposits at most 90071992547409.91 (2^53 - 1 cents, the most a balance holds exactly), found a deposit that takes the total past it",
  });
  const fits = JSON.stringify([{ id: 1, type: "branch", balance: 0 }, { id: 1, type: "customer", events: events.slice(0, 900) }]);
  t.equal(parseScenario(fits, "ok.json").customers[0]?.events.length, 900, "900 such deposits stay exact and run");
});

t.test("a branch refuses a deposit that would make its balance inexact, and changes nothing", async (t) => {
  const branch = new Branch(
    { id: 1, branchIds: [1], initialBalanceCents: Number.MAX_SAFE_INTEGER - 5, gateTimeoutMs: 100 },
    { propagate: () => undefined, applied: () => undefined, log: () => undefined },
  );
  await t.rejects(branch.serve({ requestId: "c1#1", session: "c1", kind: "deposit", amountCents: 6, writeSet: new Map(), readSet: new Map(), guarantees: 0 }), { code: "invalid", message: /past 2\^53 - 1/ });
  const ok = await branch.serve({ requestId: "c1#2", session: "c1", kind: "deposit", amountCents: 5, writeSet: new Map(), readSet: new Map(), guarantees: 0 });
  t.equal(ok.balanceCents, Number.MAX_SAFE_INTEGER, "up to the last exact cent");
  t.equal(branch.state().issued, 1);
});

t.test("a replica never stores a rounded balance: it refuses loudly instead", async (t) => {
  const ledger = new Ledger(2, Number.MAX_SAFE_INTEGER);
  t.throws(() => ledger.receive({ id: { branch: 1, seq: 1 }, kind: "deposit", amountCents: 1, deps: new Map(), acceptedAtMs: 0 }), RangeError);
  t.equal(ledger.balanceCents, Number.MAX_SAFE_INTEGER, "unchanged");
});
