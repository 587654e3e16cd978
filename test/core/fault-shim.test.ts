// The fault shim (lib/core/fault-shim.ts): the one place where both the real
// hosts and the simulator decide what a transport does to a message.

import t from "tap";
import { FaultShim, NO_MESSAGE_FAULTS } from "../../lib/core/fault-shim.js";
import { seededRandom } from "../../lib/core/random.js";

t.test("without faults every message arrives once, at once, and no chance is drawn", async (t) => {
  let draws = 0;
  const shim = new FaultShim(NO_MESSAGE_FAULTS, () => (draws++, 0));
  for (let i = 0; i < 100; i++) t.same(shim.fate(), { copies: 1, holdMs: 0 });
  t.equal(draws, 0, "a fault that is off costs no random draw, so turning one on shifts no other stream");
  t.same(shim.counts, { lost: 0, duplicated: 0, reordered: 0 });
});

t.test("loss, duplication and reordering happen at their rates and are counted", async (t) => {
  const shim = new FaultShim({ lossRate: 0.2, duplicateRate: 0.1, reorderRate: 0.3, reorderMsMax: 50 }, seededRandom(7));
  const n = 20_000;
  let lost = 0, dup = 0, held = 0;
  const badHolds: number[] = [];
  for (let i = 0; i < n; i++) {
    const f = shim.fate();
    if (f.copies === 0) lost++;
    if (f.copies === 2) dup++;
    if (f.holdMs > 0) {
      held++;
      if (f.holdMs < 1 || f.holdMs > 50) badHolds.push(f.holdMs);
    }
  }
  t.same(badHolds, [], "every hold within 1..50 ms");
  t.ok(Math.abs(lost / n - 0.2) < 0.02, `lost ${lost} of ${n}`);
  t.ok(Math.abs(dup / (n - lost) - 0.1) < 0.02, `duplicated ${dup}`);
  t.ok(Math.abs(held / (n - lost) - 0.3) < 0.02, `held ${held}`);
  t.same(shim.counts, { lost, duplicated: dup, reordered: held });
});

t.test("a lost message is neither duplicated nor held", async (t) => {
  const shim = new FaultShim({ lossRate: 0.999, duplicateRate: 0.999, reorderRate: 0.999, reorderMsMax: 9 }, () => 0);
  t.same(shim.fate(), { copies: 0, holdMs: 0 });
});

t.test("the same seed gives the same faults, and new rates apply from the next message", async (t) => {
  const faults = { lossRate: 0.3, duplicateRate: 0.3, reorderRate: 0.3, reorderMsMax: 20 };
  const a = new FaultShim(faults, seededRandom(11));
  const b = new FaultShim(faults, seededRandom(11));
  const run = (s: FaultShim) => Array.from({ length: 200 }, () => s.fate());
  t.same(run(a), run(b));
  a.setFaults(NO_MESSAGE_FAULTS);
  t.same(a.fate(), { copies: 1, holdMs: 0 });
});
