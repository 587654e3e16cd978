// Every queue a peer or a customer can fill is bounded, with a clear failure:
// a replica's pending writes (writes with gaps or missing dependencies) and
// the requests held at a branch's gate.

import t from "tap";
import { appliedIds, appliedLine } from "../../lib/core/applied-line.js";
import { Branch, type BranchHooks, type CustomerOp } from "../../lib/core/branch.js";
import { GUARANTEE_BITS } from "../../lib/core/gate.js";
import { Ledger, PendingFull, type Write } from "../../lib/core/ledger.js";

const write = (branch: number, seq: number): Write => ({ id: { branch, seq }, kind: "deposit", amountCents: 1, deps: new Map(), acceptedAtMs: 0 });

t.test("a replica holds at most pendingMax writes with gaps, and refuses the next one without changing anything", async (t) => {
  const ledger = new Ledger(2, 0, 3);
  for (const seq of [2, 3, 4]) t.same(ledger.receive(write(1, seq)), [], `1.${seq} waits for 1.1`);
  t.throws(() => ledger.receive(write(1, 5)), new PendingFull("replica 2 holds 3 writes waiting for their dependencies (at most 3); 1.5 was not taken"));
  t.equal(ledger.pendingWrites, 3);
  t.same(ledger.receive(write(1, 1)).map((w) => w.id.seq), [1, 2, 3, 4], "the gap filled, the held writes apply");
  t.same(ledger.receive(write(1, 5)).map((w) => w.id.seq), [5], "and there is room again");
});

/** Hooks' `applied` for replica 2: the ids into `applied`, and the applied line, where the branch owes it, into `logs` (as a worker's reader builds it). */
function reportInto(applied: string[], logs: string[]): BranchHooks["applied"] {
  return (ws, _clocks, balanceAfter) => {
    const ids = ws.map((w) => `${w.id.branch}.${w.id.seq}`);
    applied.push(...ids);
    if (balanceAfter !== undefined) logs.push(appliedLine(2, appliedIds(ids), balanceAfter));
  };
}

t.test("a batch a replica cannot take whole is not acknowledged, and what it took is still applied and reported", async (t) => {
  const applied: string[] = [];
  const logs: string[] = [];
  const branch = new Branch(
    { id: 2, branchIds: [1, 2], initialBalanceCents: 0, gateTimeoutMs: 100, pendingMax: 1 },
    { propagate: () => undefined, applied: reportInto(applied, logs), log: (l) => logs.push(l) },
  );
  await t.rejects(branch.receive([write(1, 1), write(1, 3), write(1, 4)]), { name: "PendingFull" });
  t.same(applied, ["1.1"], "1.1 applied and reported");
  t.equal(branch.state().pending, 1, "1.3 waits; 1.4 was refused");
  t.match(logs, ["replica 2 holds 1.3 until 1.2 arrives", "replica 2 applied 1.1 (balance=1c)", /replica 2 holds 1 writes waiting .* 1\.4 was not taken/],
    "the log says what it held and for what, what it applied, and what it refused");
  await branch.receive([write(1, 2), write(1, 3), write(1, 4)]);
  t.same(applied, ["1.1", "1.2", "1.3", "1.4"], "the resent batch completes the order");
});

t.test("a branch holds at most waitersMax requests at its gate and refuses more as busy", async (t) => {
  const branch = new Branch(
    { id: 2, branchIds: [1, 2], initialBalanceCents: 0, gateTimeoutMs: 60_000, waitersMax: 2 },
    { propagate: () => undefined, applied: () => undefined, log: () => undefined },
  );
  t.teardown(() => branch.stop());
  const query = (n: number): CustomerOp => ({
    requestId: `c${n}#1`, session: `c${n}`, kind: "query", amountCents: 0,
    writeSet: new Map([[1, 1]]), readSet: new Map(), guarantees: GUARANTEE_BITS.ryw,
  });
  const held = [branch.serve(query(1)), branch.serve(query(2))];
  await t.rejects(branch.serve(query(3)), { code: "busy", message: "branch 2 is busy: 2 requests are already waiting here (at most 2)" });
  await branch.receive([write(1, 1)]);
  t.same((await Promise.all(held)).map((r) => r.balanceCents), [1, 1], "the held ones are served once 1.1 arrives");
});

// A host fans a batch out to hundreds of replicas with `take`, which makes no
// promise: everything a replica does with a batch is done when it returns.
t.test("take applies, logs, queues and reports what it can before it returns, and returns the refusal", async (t) => {
  const applied: string[] = [];
  const logs: string[] = [];
  const queued: string[] = [];
  const branch = new Branch(
    { id: 2, branchIds: [1, 2], initialBalanceCents: 0, gateTimeoutMs: 100, pendingMax: 1 },
    {
      propagate: () => undefined, applied: reportInto(applied, logs), log: (l) => logs.push(l),
      persist: (records) => {
        for (const r of records) if (r.kind === "write") queued.push(`${r.write.id.branch}.${r.write.id.seq} synced`);
        return Promise.resolve();
      },
      queue: (ws) => queued.push(...ws.map((w) => `${w.id.branch}.${w.id.seq}`)),
    },
  );
  const refused = branch.take([write(1, 1), write(1, 3), write(1, 4)]);
  t.match(refused, { name: "PendingFull", message: /1\.4 was not taken/ });
  t.same(applied, ["1.1"], "1.1 reported");
  t.same(queued, ["1.1"], "and queued for the log, unsynced");
  t.equal(branch.state().balanceCents, 1);
  t.equal(logs.length, 3, "held, applied and refused, each logged");
  t.equal(branch.take([write(1, 2), write(1, 3), write(1, 4)]), undefined, "the resent batch is taken whole");
  t.same(applied, ["1.1", "1.2", "1.3", "1.4"]);
  t.same(queued, ["1.1", "1.2", "1.3", "1.4"]);
  t.equal(branch.take([write(1, 2)]), undefined, "a duplicate is taken, and changes nothing");
  t.same(applied, ["1.1", "1.2", "1.3", "1.4"]);
});
