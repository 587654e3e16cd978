import t from "tap";
import { Ledger, type Write } from "../../lib/core/ledger.js";

const w = (branch: number, seq: number, kind: "deposit" | "withdraw", amountCents: number, deps: Array<[number, number]> = []): Write => ({
  id: { branch, seq }, kind, amountCents, deps: new Map(deps), acceptedAtMs: 0,
});

t.test("the origin numbers its writes and applies them at once", async (t) => {
  const l = new Ledger(1, 40000);
  const d = l.decide("deposit", 17000, new Map(), 0);
  t.equal(d.result, "success");
  t.same(d.write?.id, { branch: 1, seq: 1 });
  t.equal(l.balanceCents, 57000);
  t.equal(l.decide("deposit", 1, new Map(), 0).write?.id.seq, 2);
  t.equal(l.issued, 2);
});

t.test("a withdraw that would overdraw fails and changes nothing", async (t) => {
  const l = new Ledger(1, 1000);
  const d = l.decide("withdraw", 1001, new Map(), 0);
  t.equal(d.result, "fail");
  t.equal(d.write, undefined);
  t.equal(d.balanceCents, 1000);
  t.equal(l.balanceCents, 1000);
  t.equal(l.issued, 0);
});

t.test("a withdraw carries everything its origin had applied as dependencies", async (t) => {
  const l = new Ledger(2, 0);
  l.receive(w(1, 1, "deposit", 500));
  const d = l.decide("withdraw", 500, new Map(), 0);
  t.same([...(d.write?.deps ?? [])], [[1, 1]]);
});

t.test("writes from one origin apply in sequence order, whatever order they arrive in", async (t) => {
  const l = new Ledger(2, 0);
  t.same(l.receive(w(1, 2, "deposit", 20)), []);
  t.equal(l.pendingWrites, 1);
  t.equal(l.balanceCents, 0);
  const applied = l.receive(w(1, 1, "deposit", 10));
  t.same(applied.map((x) => x.id.seq), [1, 2]);
  t.equal(l.balanceCents, 30);
  t.equal(l.pendingWrites, 0);
});

t.test("a write waits for its dependencies from other origins", async (t) => {
  const l = new Ledger(3, 0);
  // 2.1 is a withdraw that depended on 1.1 (a deposit it saw at branch 2).
  t.same(l.receive(w(2, 1, "withdraw", 100, [[1, 1]])), []);
  t.equal(l.balanceCents, 0, "the debit is not applied without its credit");
  const applied = l.receive(w(1, 1, "deposit", 100));
  t.same(applied.map((x) => `${x.id.branch}.${x.id.seq}`), ["1.1", "2.1"]);
  t.equal(l.balanceCents, 0);
});

t.test("duplicates and echoes of its own writes change nothing", async (t) => {
  const l = new Ledger(2, 0);
  l.receive(w(1, 1, "deposit", 10));
  t.same(l.receive(w(1, 1, "deposit", 10)), []);
  const own = l.decide("deposit", 5, new Map(), 0).write!;
  t.same(l.receive(own), []);
  l.receive(w(1, 3, "deposit", 1));
  t.same(l.receive(w(1, 3, "deposit", 1)), [], "a duplicate of a buffered write");
  t.equal(l.pendingWrites, 1);
  t.equal(l.balanceCents, 15);
});

t.test("covers compares the applied prefix per origin", async (t) => {
  const l = new Ledger(2, 0);
  l.receive(w(1, 1, "deposit", 10));
  t.ok(l.covers(new Map([[1, 1]])));
  t.notOk(l.covers(new Map([[1, 2]])));
  t.notOk(l.covers(new Map([[3, 1]])));
  t.ok(l.covers(new Map()));
});
