// A branch whose log cannot store a decision (a full disk, a failed sync):
// the decision was applied in memory only, so no reply, peer or retry may
// ever see it, and no retry may decide the request again. The branch fails
// for good, says why once, and refuses everything after.

import t from "tap";
import { Branch, BranchError, type CustomerOp, type Durable } from "../../lib/core/branch.js";
import { GUARANTEE_BITS } from "../../lib/core/gate.js";
import type { Write } from "../../lib/core/ledger.js";

function failingBranch() {
  let diskFull = false;
  const propagated: Write[] = [];
  const failures: string[] = [];
  const branch = new Branch(
    { id: 3, branchIds: [1, 2, 3], initialBalanceCents: 0, gateTimeoutMs: 1_000 },
    {
      propagate: (w) => propagated.push(w),
      applied: () => undefined,
      log: () => undefined,
      failed: (reason) => failures.push(reason),
      persist: (_records: Durable[]) => (diskFull ? Promise.reject(new Error("out/store/branch-3.wal: ENOSPC: no space left on device, write")) : Promise.resolve()),
    },
  );
  return { branch, propagated, failures, fillDisk: () => (diskFull = true) };
}

const deposit = (n: number): CustomerOp => ({
  requestId: `c3#${n}`, session: "c3", kind: "deposit", amountCents: 40_200,
  writeSet: new Map(), readSet: new Map(), guarantees: GUARANTEE_BITS.mw | GUARANTEE_BITS.ryw,
});

t.test("a deposit whose decision cannot be stored is never executed twice, however often it is retried", async (t) => {
  const { branch, propagated, failures, fillDisk } = failingBranch();
  await branch.serve(deposit(18));
  fillDisk();
  for (let attempt = 1; attempt <= 3; attempt++) {
    await t.rejects(branch.serve(deposit(19)), { name: "BranchError", code: "failed" }, `attempt ${attempt} is refused`);
  }
  t.equal(branch.state().issued, 2, "one decision for c3#19, not one per attempt");
  t.equal(propagated.length, 1, "the unstored write never left the branch");
  t.same(failures, ["out/store/branch-3.wal: ENOSPC: no space left on device, write"], "the cause is reported once, naming the file");
});

t.test("a failed branch refuses queries, new requests and waits, with the reason", async (t) => {
  const { branch, fillDisk } = failingBranch();
  const waiting = branch.awaitApplied(new Map([[1, 5]]), 60_000);
  fillDisk();
  await t.rejects(branch.serve(deposit(1)), BranchError);
  await t.rejects(waiting, { code: "failed" }, "a wait in progress ends at once");
  await t.rejects(branch.serve({ ...deposit(2), kind: "query" }), /branch 3 has stopped serving: it cannot store its decisions \(out\/store\/branch-3\.wal: ENOSPC/);
  await t.rejects(branch.awaitApplied(new Map(), 1_000), { code: "failed" });
  t.match(branch.failedReason, /ENOSPC/);
});
