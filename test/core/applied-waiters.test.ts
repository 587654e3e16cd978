// AppliedWaiters on a VirtualClock: a wait resolves when `notify` finds its
// writes applied, gives up at its deadline naming what is still missing, and
// `rejectAll` releases every waiter. Virtual time decides every deadline, so
// nothing here depends on how busy the machine is.

import t from "tap";
import { AppliedWaiters, WaitTimeout } from "../../lib/core/applied-waiters.js";
import type { VersionVector } from "../../lib/core/version-vector.js";
import { VirtualClock } from "../../lib/sim/virtual-clock.js";

/** Lets every promise callback that is ready run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Moves the virtual clock forward by `ms`, firing every timer due on the way. */
function advance(clock: VirtualClock, ms: number): void {
  let reached = false;
  clock.setTimeout(() => (reached = true), ms);
  while (!reached && clock.step());
}

/** A replica's applied vector the test moves by hand, with waiters over it. */
function replica() {
  const clock = new VirtualClock();
  const applied: VersionVector = new Map();
  const waiters = new AppliedWaiters(() => applied, clock);
  return { clock, applied, waiters };
}

/** Tracks a promise's outcome without awaiting it. */
function watch(p: Promise<void>): { state: "pending" | "resolved" | "rejected"; error?: Error } {
  const w: { state: "pending" | "resolved" | "rejected"; error?: Error } = { state: "pending" };
  p.then(() => (w.state = "resolved"), (err: Error) => ((w.state = "rejected"), (w.error = err)));
  return w;
}

t.test("a wait for writes already applied resolves at once and parks nothing", async (t) => {
  const { clock, applied, waiters } = replica();
  applied.set(1, 3);
  await waiters.wait(new Map([[1, 2]]), 1_000);
  await waiters.wait(new Map(), 1_000);
  t.equal(waiters.size, 0);
  t.equal(clock.pending, 0, "no deadline timer was set");
});

t.test("a wait resolves on the notify after its writes are applied, not before", async (t) => {
  const { clock, applied, waiters } = replica();
  const w = watch(waiters.wait(new Map([[1, 2], [3, 1]]), 1_000));
  t.equal(waiters.size, 1);
  applied.set(1, 2);
  waiters.notify();
  await settle();
  t.equal(w.state, "pending", "3.1 is still missing");
  applied.set(3, 1);
  await settle();
  t.equal(w.state, "pending", "applied but not yet notified: waiters are woken by notify, never by polling");
  advance(clock, 10);
  waiters.notify();
  await settle();
  t.equal(w.state, "resolved");
  t.equal(waiters.size, 0);
  t.equal(clock.pending, 0, "its deadline was cancelled");
});

t.test("one notify wakes exactly the waiters whose writes are all applied", async (t) => {
  const { applied, waiters } = replica();
  const a = watch(waiters.wait(new Map([[1, 1]]), 1_000));
  const b = watch(waiters.wait(new Map([[1, 2]]), 1_000));
  const c = watch(waiters.wait(new Map([[2, 1]]), 1_000));
  applied.set(1, 1);
  waiters.notify();
  await settle();
  t.same([a.state, b.state, c.state], ["resolved", "pending", "pending"]);
  t.equal(waiters.size, 2);
  applied.set(1, 5).set(2, 1);
  waiters.notify();
  await settle();
  t.same([b.state, c.state], ["resolved", "resolved"]);
});

t.test("a wait gives up at its deadline and names the writes still missing then", async (t) => {
  const { clock, applied, waiters } = replica();
  const p = waiters.wait(new Map([[1, 3], [2, 1]]), 100);
  const w = watch(p);
  applied.set(1, 1);
  waiters.notify();
  advance(clock, 99);
  await settle();
  t.equal(w.state, "pending", "1 ms before its deadline it still waits");
  advance(clock, 1);
  await t.rejects(p, { name: "WaitTimeout", message: "still missing 1.2, 1.3, 2.1 after 100 ms", missing: ["1.2", "1.3", "2.1"] });
  t.ok(w.error instanceof WaitTimeout, "the error is a WaitTimeout");
  t.equal(waiters.size, 0, "a timed-out waiter is forgotten");
  applied.set(1, 3).set(2, 1);
  waiters.notify();
  await settle();
  t.equal(w.state, "rejected", "a later notify does not resolve it");
});

t.test("each wait keeps its own deadline", async (t) => {
  const { clock, waiters } = replica();
  const short = waiters.wait(new Map([[1, 1]]), 50);
  const long = watch(waiters.wait(new Map([[1, 1]]), 500));
  advance(clock, 50);
  await t.rejects(short, { message: "still missing 1.1 after 50 ms" });
  t.equal(long.state, "pending");
  t.equal(waiters.size, 1);
  advance(clock, 450);
  await settle();
  t.equal(long.state, "rejected");
  t.match(long.error?.message, /after 500 ms/);
});

t.test("rejectAll fails every waiter with the given error and cancels their deadlines", async (t) => {
  const { clock, waiters } = replica();
  const a = waiters.wait(new Map([[1, 1]]), 1_000);
  const b = waiters.wait(new Map([[2, 4]]), 2_000);
  const stopping = new Error("branch 1 is shutting down");
  waiters.rejectAll(stopping);
  await t.rejects(a, stopping);
  await t.rejects(b, stopping);
  t.equal(waiters.size, 0);
  t.equal(clock.pending, 0, "no deadline is left to fire");
  t.notOk(clock.step(), "the clock has nothing left to run");
});
