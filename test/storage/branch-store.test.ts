// A branch with a durable store, without servers: what it acknowledged
// survives a crash, a retry after the crash gets the original outcome, and a
// torn tail is cut.

import { statSync } from "node:fs";
import t from "tap";
import { Branch, type CustomerOp } from "../../lib/core/branch.js";
import { BranchStore } from "../../lib/storage/branch-store.js";
import { GUARANTEE_BITS } from "../../lib/core/gate.js";
import type { Write } from "../../lib/core/ledger.js";
import { appendRawForTest } from "../../lib/storage/wal.js";
import { seededRandom } from "../../lib/core/random.js";
import { NO_DISK_FAULTS, SimDisk } from "../../lib/sim/sim-disk.js";

function open(dir: string, id = 1) {
  const { store, recovered, cutBytes, cutReason } = BranchStore.open(dir, id);
  const applied: string[] = [];
  const propagated: Write[] = [];
  const branch = new Branch(
    { id, branchIds: [1, 2], initialBalanceCents: 1000, gateTimeoutMs: 1000, recovered },
    {
      propagate: (w) => propagated.push(w),
      applied: (ws) => applied.push(...ws.map((w) => `${w.id.branch}.${w.id.seq}`)),
      log: () => undefined,
      persist: (records) => store.persist(records),
      queue: (ws) => store.queue(ws),
    },
  );
  return { store, branch, applied, propagated, recovered, cutBytes, cutReason };
}

const op = (over: Partial<CustomerOp>): CustomerOp => ({
  requestId: "c1#1", session: "c1", kind: "deposit", amountCents: 100,
  writeSet: new Map(), readSet: new Map(), guarantees: GUARANTEE_BITS.mw | GUARANTEE_BITS.ryw, ...over,
});

t.test("acknowledged writes and received writes survive a crash and come back in order", async (t) => {
  const dir = t.testdir({});
  const a = open(dir);
  await a.branch.serve(op({ requestId: "c1#1", amountCents: 500 }));
  await a.branch.receive([{ id: { branch: 2, seq: 1 }, kind: "deposit", amountCents: 7, deps: new Map(), acceptedAtMs: 0 }]);
  const w = await a.branch.serve(op({ requestId: "c1#2", kind: "withdraw", amountCents: 300 }));
  t.same(w.writeId, { branch: 1, seq: 2 });
  t.same(a.applied, ["1.1", "2.1", "1.2"]);
  a.store.crash();
  a.branch.stop();

  const b = open(dir);
  t.same(b.recovered.writes.map((x) => `${x.id.branch}.${x.id.seq}`), ["1.1", "2.1", "1.2"]);
  t.same(b.branch.state(), { branch: 1, balanceCents: 1207, applied: new Map([[1, 2], [2, 1]]), issued: 2, pending: 0 });
  t.same(b.applied, [], "recovery does not report writes as newly applied");
  const next = await b.branch.serve(op({ requestId: "c2#1", session: "c2", amountCents: 1 }));
  t.same(next.writeId, { branch: 1, seq: 3 }, "sequence numbers continue after the recovered ones");
  await b.store.close();
});

t.test("a retry that arrives after the crash gets the original outcome, even a refusal", async (t) => {
  const dir = t.testdir({});
  const a = open(dir);
  const refused = await a.branch.serve(op({ requestId: "c1#1", kind: "withdraw", amountCents: 5000 }));
  t.equal(refused.result, "fail");
  a.store.crash();
  const b = open(dir);
  const again = await b.branch.serve(op({ requestId: "c1#1", kind: "withdraw", amountCents: 5000 }));
  t.equal(again.result, "fail");
  t.ok(again.replayed);
  t.equal(b.branch.state().issued, 0);
  await b.store.close();
});

t.test("a torn record at the end of the log is cut, and the branch recovers what came before", async (t) => {
  const dir = t.testdir({});
  const a = open(dir);
  await a.branch.serve(op({ requestId: "c1#1", amountCents: 250 }));
  await a.store.close();
  const size = statSync(a.store.path).size;
  appendRawForTest(a.store.path, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5]));
  const b = open(dir);
  t.equal(b.cutBytes, 9);
  t.match(b.cutReason, /cut short/);
  t.equal(statSync(b.store.path).size, size);
  t.equal(b.branch.state().balanceCents, 1250);
  await b.store.close();
});

t.test("a branch's own writes can be read back from its log for a peer that missed them", async (t) => {
  const dir = t.testdir({});
  const a = open(dir);
  for (let n = 1; n <= 3; n++) await a.branch.serve(op({ requestId: `c1#${n}`, amountCents: n }));
  await a.branch.receive([{ id: { branch: 2, seq: 1 }, kind: "deposit", amountCents: 7, deps: new Map(), acceptedAtMs: 0 }]);
  t.same(a.store.ownWritesAfter(1, 1).map((w) => w.id.seq), [2, 3]);
  t.same(a.store.ownWritesAfter(1, 3), []);
  await a.store.close();
});

t.test("a peer catching up is never given a decision whose fdatasync has not returned", async (t) => {
  // A disk whose fdatasync waits until the test lets it finish.
  const held: Array<() => void> = [];
  const sleep = () => new Promise<void>((resolve) => held.push(resolve));
  const disk = new SimDisk(seededRandom(5), NO_DISK_FAULTS, { sleep, syncMsMin: 1, syncMsMax: 1 });
  const { store } = BranchStore.open("/s", 1, disk);
  const write: Write = { id: { branch: 1, seq: 1 }, kind: "deposit", amountCents: 5, deps: new Map(), acceptedAtMs: 0 };
  const reply = { branch: 1, kind: "deposit" as const, result: "success" as const, balanceCents: 5, writeId: write.id, witness: new Map([[1, 1]]), gateWaitMs: 0, replayed: false };
  const durable = store.persist([{ kind: "write", write }, { kind: "outcome", session: "c1", n: 1, reply }]);
  while (held.length === 0) await new Promise((r) => setImmediate(r));
  t.ok(disk.read(store.path).length > 0, "the record is in the file (the page cache)");
  t.same(store.ownWritesAfter(1, 0), [], "but not served while its sync may still fail or be lost");
  held.shift()!();
  await durable;
  t.same(store.ownWritesAfter(1, 0).map((w) => w.id.seq), [1], "served once it is durable");
  await store.close();
});

t.test("a received write is logged without its dependencies, an own write with them, and recovery rebuilds what the next write carries", async (t) => {
  const dir = t.testdir({});
  const ids = [1, 2, 3];
  const make = () => {
    const { store, recovered } = BranchStore.open(dir, 1);
    const propagated: Write[] = [];
    const branch = new Branch({ id: 1, branchIds: ids, initialBalanceCents: 1000, gateTimeoutMs: 1000, recovered },
      { propagate: (w) => propagated.push(w), applied: () => undefined, log: () => undefined, persist: (records) => store.persist(records), queue: (ws) => store.queue(ws) });
    return { store, recovered, branch, propagated };
  };
  const recv = (branch: number, seq: number, deps: Array<[number, number]>): Write => ({ id: { branch, seq }, kind: "deposit", amountCents: 10, deps: new Map(deps), acceptedAtMs: 0 });
  const a = make();
  await a.branch.receive([recv(3, 1, [])]);
  await a.branch.receive([recv(2, 1, [[3, 1]])]);
  await a.branch.serve(op({ requestId: "c1#1", kind: "withdraw", amountCents: 5 }));
  t.same(a.propagated[0]?.deps, new Map([[2, 1], [3, 1]]), "the withdraw depends on what was applied here");
  await a.store.close();

  const b = make();
  t.same(b.recovered.writes.map((w) => [`${w.id.branch}.${w.id.seq}`, [...w.deps].sort((x, y) => x[0] - y[0])]), [["3.1", []], ["2.1", []], ["1.1", [[2, 1], [3, 1]]]],
    "2.1's dependency on 3.1 is not in the log (the log's order met it); the own withdraw keeps its dependencies");
  t.same(b.branch.state().applied, new Map([[1, 1], [2, 1], [3, 1]]));
  await b.branch.receive([recv(2, 2, [])]);
  await b.branch.serve(op({ requestId: "c1#2", kind: "withdraw", amountCents: 5 }));
  t.same(b.propagated[0]?.deps, new Map([[2, 2]]), "after recovery a withdraw carries only what its previous write does not imply, as before the crash");
  await b.store.close();
});
