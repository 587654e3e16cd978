import t from "tap";
import { Ledger, type Write } from "../../lib/core/ledger.js";
import { seededRandom } from "../../lib/core/random.js";

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

t.test("a later write carries only what its origin's previous write does not imply", async (t) => {
  const l = new Ledger(2, 0);
  l.receive(w(1, 1, "deposit", 500));
  l.receive(w(3, 1, "deposit", 500));
  t.same([...(l.decide("withdraw", 100, new Map(), 0).write?.deps ?? [])], [[1, 1], [3, 1]]);
  l.receive(w(3, 2, "deposit", 5));
  t.same([...(l.decide("deposit", 1, new Map(), 0).write?.deps ?? [])], [], "a deposit carries only the session's dependencies");
  const second = l.decide("withdraw", 100, new Map([[1, 1]]), 0).write;
  t.same([...(second?.deps ?? [])], [[3, 2]], "what 2 applied since 2.1; the session's 1.1 came with 2.1");
  l.receive(w(1, 2, "deposit", 5));
  l.receive(w(3, 3, "deposit", 5));
  t.same([...(l.decide("deposit", 1, new Map([[1, 2], [3, 1], [2, 3]]), 0).write?.deps ?? [])], [[1, 2]], "a deposit: only the session's dependencies beyond what 2's earlier writes carried");
  t.same([...(l.decide("withdraw", 1, new Map(), 0).write?.deps ?? [])], [[3, 3]], "only what 2 applied since its previous write");
  t.same([...(l.decide("withdraw", 1, new Map(), 0).write?.deps ?? [])], [], "nothing new since");
});

t.test("a replica that applies a write holds everything it depends on", async (t) => {
  // Random histories: the origin (2) interleaves writes received from 1 and 3 with its own;
  // a replica (4) receiving everything in a random order never applies a withdraw of 2
  // before the writes 2 had applied when it decided it, nor a deposit before what its session asked for.
  for (let seed = 1; seed <= 200; seed++) {
    const random = seededRandom(seed);
    const rand = (n: number) => Math.floor(random() * n);
    const origin = new Ledger(2, 1_000_000);
    const all: Write[] = [];
    const seen = new Map<string, Map<number, number>>();
    const seqs = new Map([[1, 0], [3, 0]]);
    for (let i = 0; i < 30; i++) {
      const r = rand(4);
      if (r < 2) {
        const from = r === 0 ? 1 : 3;
        const seq = seqs.get(from)! + 1;
        seqs.set(from, seq);
        const write = w(from, seq, "deposit", 10);
        all.push(write);
        origin.receive(write);
      } else {
        // The session asks for a random part of what 2 has applied (the gate saw to it).
        const asked = new Map([...origin.appliedVector].filter(([b]) => b !== 2 && rand(2) === 0).map(([b, s]) => [b, 1 + rand(s)]));
        const d = origin.decide(r === 2 ? "withdraw" : "deposit", 1, asked, 0);
        if (d.write) {
          all.push(d.write);
          const had = r === 2 ? new Map(origin.appliedVector) : asked;
          had.delete(2);
          seen.set(`${d.write.id.seq}`, had);
        }
      }
    }
    const replica = new Ledger(4, 1_000_000);
    const order = [...all].sort(() => rand(3) - 1);
    for (const write of order) {
      for (const applied of replica.receive(write)) {
        if (applied.id.branch !== 2) continue;
        const had = seen.get(`${applied.id.seq}`)!;
        for (const [b, s] of had) t.ok((replica.appliedVector.get(b) ?? 0) >= s, `seed ${seed}: 2.${applied.id.seq} applied after ${b}.${s}`);
      }
    }
    t.equal(replica.appliedVector.get(2) ?? 0, origin.issued, `seed ${seed}: every write of 2 applied`);
  }
});
