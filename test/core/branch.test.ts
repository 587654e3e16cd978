// The branch's request handling, without servers: the gate, retries and
// validation, with peers simulated by handing writes to `receive`. Tests that
// wait at the gate run on a VirtualClock, so how long a request waits, and
// when the gate gives up, is decided by the test and not by the machine's load.

import t from "tap";
import { Branch, type CustomerOp } from "../../lib/core/branch.js";
import { GUARANTEE_BITS } from "../../lib/core/gate.js";
import type { Write } from "../../lib/core/ledger.js";
import { VirtualClock } from "../../lib/sim/virtual-clock.js";

/** Lets every promise callback that is ready run: whatever can settle without time passing has settled. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Moves the virtual clock forward by `ms`, firing every timer due on the way. */
function advance(clock: VirtualClock, ms: number): void {
  let reached = false;
  clock.setTimeout(() => (reached = true), ms);
  while (!reached && clock.step());
}

function makeBranch(id: number, opts: { gateTimeoutMs?: number; balance?: number; clock?: VirtualClock } = {}) {
  const propagated: Write[] = [];
  const applied: string[] = [];
  const branch = new Branch(
    { id, branchIds: [1, 2, 3], initialBalanceCents: opts.balance ?? 0, gateTimeoutMs: opts.gateTimeoutMs ?? 2_000, ...(opts.clock ? { clock: opts.clock } : {}) },
    {
      propagate: (w) => propagated.push(w),
      applied: (ws) => applied.push(...ws.map((w) => `${w.id.branch}.${w.id.seq}`)),
      log: () => undefined,
    },
  );
  return { branch, propagated, applied };
}

const op = (over: Partial<CustomerOp>): CustomerOp => ({
  requestId: "c1#1", session: "c1", kind: "query", amountCents: 0,
  writeSet: new Map(), readSet: new Map(), guarantees: GUARANTEE_BITS.mw | GUARANTEE_BITS.ryw, ...over,
});

t.test("a deposit is decided, applied, answered with its write id and handed on for propagation", async (t) => {
  const { branch, propagated, applied } = makeBranch(1);
  const r = await branch.serve(op({ kind: "deposit", amountCents: 40000 }));
  t.equal(r.result, "success");
  t.same(r.writeId, { branch: 1, seq: 1 });
  t.equal(r.balanceCents, 40000);
  t.same([...r.witness], [[1, 1]]);
  t.equal(propagated.length, 1);
  t.same(applied, ["1.1"]);
});

t.test("a query at a lagging branch waits for the session's deposit", async (t) => {
  const clock = new VirtualClock();
  const one = makeBranch(1, { clock });
  const two = makeBranch(2, { clock });
  t.teardown(() => (one.branch.stop(), two.branch.stop()));
  const dep = await one.branch.serve(op({ kind: "deposit", amountCents: 40000 }));
  const query = two.branch.serve(op({ requestId: "c1#2", writeSet: new Map([[1, dep.writeId!.seq]]) }));
  let answered = false;
  void query.then(() => (answered = true), () => (answered = true));
  await settle();
  advance(clock, 30);
  await settle();
  t.notOk(answered, "held at the gate for 30 ms while 1.1 has not arrived");
  two.branch.receive(one.propagated);
  const r = await query;
  t.equal(r.balanceCents, 40000);
  t.equal(r.gateWaitMs, 30, "it waited exactly until 1.1 arrived");
  t.equal(clock.pending, 0, "its gate deadline was cancelled");
});

t.test("without Read Your Writes the same query answers at once with the stale balance", async (t) => {
  const { branch } = makeBranch(2);
  const r = await branch.serve(op({ requestId: "c1#2", writeSet: new Map([[1, 1]]), guarantees: 0 }));
  t.equal(r.balanceCents, 0);
});

t.test("the gate gives up at its deadline and names the missing write ids", async (t) => {
  const clock = new VirtualClock();
  const { branch } = makeBranch(2, { gateTimeoutMs: 50, clock });
  const served = branch.serve(op({ requestId: "c1#2", writeSet: new Map([[1, 2], [3, 1]]) }));
  let settled = false;
  void served.then(() => (settled = true), () => (settled = true));
  await settle();
  advance(clock, 49);
  await settle();
  t.notOk(settled, "still waiting 1 ms before the deadline");
  advance(clock, 1);
  await t.rejects(served, {
    name: "BranchError",
    code: "gate",
    message: /branch 2 has not applied 1\.1, 1\.2, 3\.1 that session c1 needs for Read Your Writes \(still missing 1\.1, 1\.2, 3\.1 after 50 ms\)/,
  });
});

t.test("a retried request returns the original outcome and is not executed twice", async (t) => {
  const { branch, propagated } = makeBranch(1, { balance: 1000 });
  const first = await branch.serve(op({ requestId: "c1#1", kind: "withdraw", amountCents: 5000 }));
  t.equal(first.result, "fail", "an overdrawing withdraw is refused");
  const again = await branch.serve(op({ requestId: "c1#1", kind: "withdraw", amountCents: 5000 }));
  t.equal(again.result, "fail");
  t.ok(again.replayed);
  const dep = await branch.serve(op({ requestId: "c1#2", kind: "deposit", amountCents: 10 }));
  const dep2 = await branch.serve(op({ requestId: "c1#2", kind: "deposit", amountCents: 10 }));
  t.same(dep2.writeId, dep.writeId);
  t.equal(propagated.length, 1, "the deposit was executed once");
  t.equal(branch.state().balanceCents, 1010);
});

t.test("a refused attempt at the gate executed nothing, so its retry runs afresh", async (t) => {
  const clock = new VirtualClock();
  const two = makeBranch(2, { gateTimeoutMs: 30, clock });
  const one = makeBranch(1, { clock });
  const dep = await one.branch.serve(op({ kind: "deposit", amountCents: 500 }));
  const req = op({ requestId: "c1#2", kind: "withdraw", amountCents: 500, writeSet: new Map([[1, dep.writeId!.seq]]) });
  const refused = two.branch.serve(req);
  await settle();
  advance(clock, 30);
  await t.rejects(refused, { code: "gate" });
  two.branch.receive(one.propagated);
  const r = await two.branch.serve(req);
  t.equal(r.result, "success");
  t.notOk(r.replayed);
  t.equal(two.branch.state().balanceCents, 0);
});

t.test("requests that can never succeed are refused at once", async (t) => {
  const { branch } = makeBranch(1);
  const cases: Array<[Partial<CustomerOp>, RegExp]> = [
    [{ kind: "deposit", amountCents: -5 }, /deposit amount must be whole cents between 0 and/],
    [{ kind: "withdraw", amountCents: 1.5 }, /withdraw amount must be whole cents/],
    [{ writeSet: new Map([[9, 1]]) }, /write set names write 9\.1 of unknown branch 9/],
    [{ readSet: new Map([[1, 4]]) }, /read set names write 1\.4, but branch 1 has issued only 0/],
    [{ requestId: "c2#1" }, /request id must be "<session>#<n>" for session "c1", found "c2#1"/],
    [{ requestId: "c1" }, /request id must be/],
  ];
  for (const [over, message] of cases) {
    await t.rejects(branch.serve(op(over)), { code: "invalid", message }, String(message));
  }
});

t.test("writes from unknown branches are dropped, not applied", async (t) => {
  const { branch } = makeBranch(1);
  branch.receive([{ id: { branch: 7, seq: 1 }, kind: "deposit", amountCents: 5, deps: new Map(), acceptedAtMs: 0 }]);
  t.equal(branch.state().balanceCents, 0);
});

t.test("a stopping branch refuses new requests and releases waiting ones", async (t) => {
  const { branch } = makeBranch(2);
  const waiting = branch.serve(op({ requestId: "c1#2", writeSet: new Map([[1, 1]]) }));
  branch.stop();
  await t.rejects(waiting, { code: "stopping" });
  await t.rejects(branch.serve(op({ requestId: "c9#1", session: "c9" })), { code: "stopping" });
});

t.test("a write that must wait for its dependencies is reported as buffered once, then as applied", async (t) => {
  const buffered: string[] = [];
  const applied: string[] = [];
  const branch = new Branch(
    { id: 3, branchIds: [1, 2, 3], initialBalanceCents: 0, gateTimeoutMs: 2_000 },
    {
      propagate: () => undefined,
      applied: (ws) => applied.push(...ws.map((w) => `${w.id.branch}.${w.id.seq}`)),
      buffered: (ws) => buffered.push(...ws.map((w) => `${w.id.branch}.${w.id.seq}`)),
      log: () => undefined,
    },
  );
  t.teardown(() => branch.stop());
  const w11: Write = { id: { branch: 1, seq: 1 }, kind: "deposit", amountCents: 100, deps: new Map(), acceptedAtMs: 0 };
  const w21: Write = { id: { branch: 2, seq: 1 }, kind: "deposit", amountCents: 50, deps: new Map([[1, 1]]), acceptedAtMs: 0 };
  const w12: Write = { id: { branch: 1, seq: 2 }, kind: "deposit", amountCents: 7, deps: new Map(), acceptedAtMs: 0 };
  await branch.receive([w21]);
  await branch.receive([w21, w12]);
  t.same(buffered, ["2.1", "1.2"], "2.1 waits for 1.1 (a dependency), 1.2 for 1.1 (its origin's earlier write); a resend is not reported again");
  t.same(applied, []);
  await branch.receive([w11]);
  t.same(applied, ["1.1", "2.1", "1.2"], "all three applied once 1.1 arrives");
  t.same(buffered, ["2.1", "1.2"], "a write applied at once is never reported as buffered");
});
