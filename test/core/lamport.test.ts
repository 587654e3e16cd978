// Lamport clocks in the core: the clock itself, the stamp of each of a write's
// sends, and a Branch that ticks on every receipt (a request, a peer's
// write) and once per other branch when it decides a write, and resumes its
// clock after a restart from what its log holds.

import t from "tap";
import { Branch, type CustomerOp, type Recovered } from "../../lib/core/branch.js";
import { LamportClock, ranks, sendOrder, sendStamp } from "../../lib/core/lamport.js";
import type { Write } from "../../lib/core/ledger.js";

t.test("a send ticks; a receipt takes max(local, stamp) + 1; sends to N destinations take N ticks", async (t) => {
  const c = new LamportClock();
  t.equal(c.tick(), 1);
  t.equal(c.receive(7), 8);
  t.equal(c.receive(3), 9, "a stamp below the local clock still ticks it");
  t.equal(c.sends(3), 10, "the first of three sends");
  t.equal(c.value, 12);
  t.equal(new LamportClock(40).tick(), 41, "a clock resumes where it is told");
});

t.test("a write's sends go to the other branches in ascending id order, one tick each", async (t) => {
  const ids = [5, 1, 3, 9];
  const r = ranks(ids);
  t.same(sendOrder(ids, 3), [1, 5, 9]);
  t.same(sendOrder(ids, 3).map((to) => sendStamp(20, 3, to, r)), [20, 21, 22]);
  t.equal(sendStamp(20, 1, 9, r), 22);
});

function branch(id: number, recovered?: Recovered) {
  const applied: Array<[string, number]> = [];
  const b = new Branch(
    { id, branchIds: [1, 2, 3], initialBalanceCents: 1000, gateTimeoutMs: 1_000, ...(recovered ? { recovered } : {}) },
    { propagate: () => undefined, applied: (ws, clocks) => ws.forEach((w, i) => applied.push([`${w.id.branch}.${w.id.seq}`, clocks[i]!])), log: () => undefined },
  );
  return { b, applied };
}

const op = (n: number, kind: CustomerOp["kind"], clock: number): CustomerOp => ({
  requestId: `c1#${n}`, session: "c1", kind, amountCents: kind === "query" ? 0 : 100, writeSet: new Map(), readSet: new Map(), guarantees: 0, clock,
});

t.test("a branch stamps its receipt of a request, and its write's sends after it", async (t) => {
  const { b, applied } = branch(1);
  const dep = await b.serve(op(1, "deposit", 5));
  t.equal(dep.clock, 6, "receipt: max(0, 5) + 1");
  t.same(applied, [["1.1", 7]], "its two sends (to 2 and 3) are stamped 7 and 8");
  t.equal(b.lamportClock, 8);
  const q = await b.serve(op(2, "query", 1));
  t.equal(q.clock, 9, "a stamp below the branch's clock: the branch's clock + 1");
  const again = await b.serve(op(2, "query", 1));
  t.equal(again.clock, 9, "a retried request gets its original outcome, receipt clock included");
  t.equal(b.lamportClock, 9, "and is no new event");
});

t.test("a replica stamps its receipt of a peer's write above the send that reached it", async (t) => {
  const { b, applied } = branch(3);
  const w: Write = { id: { branch: 1, seq: 1 }, kind: "deposit", amountCents: 100, deps: new Map(), acceptedAtMs: 0, clock: 40 };
  await b.receive([w]);
  t.same(applied, [["1.1", 42]], "branch 1's second send (to 3) was stamped 41");
  await b.receive([w]);
  t.same(applied.length, 1, "a duplicate is no new receipt");
});

t.test("a restarted branch resumes its clock from the largest its log shows", async (t) => {
  const own: Write = { id: { branch: 2, seq: 1 }, kind: "deposit", amountCents: 100, deps: new Map(), acceptedAtMs: 0, clock: 30 };
  const peer: Write = { id: { branch: 1, seq: 1 }, kind: "deposit", amountCents: 100, deps: new Map(), acceptedAtMs: 0, clock: 10 };
  const reply = { branch: 2, kind: "deposit" as const, result: "success" as const, balanceCents: 1100, witness: new Map([[2, 1]]), gateWaitMs: 0, replayed: false, clock: 29 };
  const { b } = branch(2, { writes: [peer, own], outcomes: [{ session: "c1", n: 1, reply }] });
  t.equal(b.lamportClock, 31, "its own write's last send was 31 (two sends from 30)");
});
