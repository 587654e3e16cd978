// The real host's fault shim (lib/hosting/fault-injector.ts): batches lost,
// duplicated or held, and writes held by a link's delay or a partition, on
// real timers (short ones).

import t from "tap";
import { NO_FAULTS } from "../../lib/core/fault-plan.js";
import { FaultInjector } from "../../lib/hosting/fault-injector.js";

t.test("without faults a batch is delivered once and nothing is held", async (t) => {
  const f = new FaultInjector();
  t.teardown(() => f.stop());
  let delivered = 0;
  t.equal(await f.batch(async () => void delivered++), true);
  t.equal(delivered, 1);
  t.equal(f.hold(1, 2), undefined);
});

t.test("a lost batch is never delivered, so it is not acknowledged; a duplicated one is delivered twice", async (t) => {
  const lossy = new FaultInjector({ ...NO_FAULTS, loss: 0.999 }, "", 3);
  t.teardown(() => lossy.stop());
  let delivered = 0;
  t.equal(await lossy.batch(async () => void delivered++), false);
  t.equal(delivered, 0);
  t.equal(lossy.counts.lost, 1);
  const dup = new FaultInjector({ ...NO_FAULTS, dup: 0.999 }, "", 3);
  t.teardown(() => dup.stop());
  t.equal(await dup.batch(async () => void delivered++), true);
  t.equal(delivered, 2);
  t.equal(dup.counts.duplicated, 1);
});

t.test("a write waits its link's delay, and only on that link", async (t) => {
  const f = new FaultInjector(NO_FAULTS, "2-1:30ms", 1);
  t.teardown(() => f.stop());
  t.equal(f.hold(1, 2), undefined, "the other direction is not delayed");
  const started = performance.now();
  await f.hold(2, 1);
  t.ok(performance.now() - started >= 29, "held about 30 ms");
});

t.test("while a partition separates origin and replica the write waits, and is counted once", async (t) => {
  const plan = { ...NO_FAULTS, partitions: [{ groups: [[1], [2]], atMs: 0, forMs: 40 }] };
  const f = new FaultInjector(plan, "", 1);
  t.teardown(() => f.stop());
  t.equal(f.hold(1, 2), undefined, "before the epoch no schedule runs");
  f.setEpoch(Date.now());
  const held = f.hold(1, 2);
  t.ok(held, "held once the partition is on");
  await held;
  t.equal(f.counts.partitioned, 1);
  t.equal(f.hold(1, 2), undefined, "healed");
});
