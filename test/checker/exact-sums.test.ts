// The checker never calls a history right whose balances are past 2^53 cents:
// there a double rounds, so a branch's rounded balance and the checker's
// rounded sum would agree, and both would be wrong.

import t from "tap";
import { checkHistory } from "../../lib/checker/checker.js";
import { HistoryBuilder } from "../helpers/history-builder.js";

t.test("deposits that sum past 2^53 cents make every balance that includes them a violation", async (t) => {
  // 2^53 cents: the start; one more cent cannot be held exactly.
  const h = new HistoryBuilder({ branches: [1, 2], initial: 2 ** 53 - 2, guarantees: ["mw", "ryw"] });
  h.deposit("c1", 1, 3); // 2^53 + 1 cents, stored as 2^53
  h.sync();
  h.query("c1", 2);
  const report = checkHistory(h.records({ finals: true }));
  t.notOk(report.ok, "the history is not judged right");
  const balance = report.violations.filter((v) => v.rule === "balance");
  t.ok(balance.length >= 2, `the query and the finals: ${balance.map((v) => v.message).join("\n")}`);
  t.match(balance[0]?.message, /add up past 2\^53 − 1 cents, where a balance is no longer exact/);
});

t.test("a balance up to the last exact cent is judged as any other", async (t) => {
  const h = new HistoryBuilder({ branches: [1, 2], initial: 2 ** 53 - 3, guarantees: ["mw", "ryw"] });
  h.deposit("c1", 1, 2); // 2^53 − 1: still exact
  h.sync();
  h.query("c1", 2);
  const report = checkHistory(h.records({ finals: true }));
  t.same(report.violations.filter((v) => v.rule === "balance"), []);
});
