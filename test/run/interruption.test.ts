// Ctrl-C as the run sees it: a check between events and a race against long waits.

import t from "tap";
import { Interruption } from "../../lib/run/interruption.js";

t.test("without a signal nothing is ever interrupted", async (t) => {
  const i = new Interruption(undefined);
  t.doesNotThrow(() => i.check());
  t.equal(await i.race(Promise.resolve(5)), 5);
});

t.test("a signal that already fired interrupts the check and every race at once", async (t) => {
  const abort = new AbortController();
  abort.abort();
  const i = new Interruption(abort.signal);
  t.throws(() => i.check(), { message: "interrupted" });
  await t.rejects(i.race(new Promise(() => undefined)), { message: "interrupted" });
});

t.test("a signal that fires later ends a wait under way, and a wait that finished first keeps its value", async (t) => {
  const abort = new AbortController();
  const i = new Interruption(abort.signal);
  t.equal(await i.race(Promise.resolve("done")), "done");
  const waiting = i.race(new Promise(() => undefined));
  abort.abort();
  await t.rejects(waiting, { message: "interrupted" });
  t.throws(() => i.check(), { message: "interrupted" });
});
