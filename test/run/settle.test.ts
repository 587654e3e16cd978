// Settling on a fake cluster: what is waited for (every write issued, not
// only the acknowledged ones), when replicas count as converged, the message
// when they do not, and Ctrl-C while waiting.

import t from "tap";
import type { BranchState } from "../../lib/core/branch.js";
import type { VersionVector } from "../../lib/core/version-vector.js";
import { Interruption } from "../../lib/run/interruption.js";
import { convergenceError, issuedBy, settle } from "../../lib/run/settle.js";

const state = (branch: number, balanceCents: number, applied: Array<[number, number]>, issued = 0): BranchState =>
  ({ branch, balanceCents, applied: new Map(applied), issued, pending: 0 });

function fakeCluster(answers: BranchState[][]) {
  const asked: Array<{ need: Array<[number, number]>; timeoutMs: number }> = [];
  return {
    asked,
    awaitApplied: async (need: VersionVector, timeoutMs: number) => {
      asked.push({ need: [...need].sort(), timeoutMs });
      return answers[asked.length - 1] ?? [];
    },
  };
}

t.test("settling asks for the state now, then waits for every write any branch issued, acknowledged or not", async (t) => {
  const now = [state(1, 0, [], 3), state(2, 0, [], 0), state(3, 0, [], 1)];
  const done = [state(1, 500, [[1, 3], [3, 1]], 3), state(2, 500, [[1, 3], [3, 1]]), state(3, 500, [[3, 1], [1, 3]], 1)];
  const cluster = fakeCluster([now, done]);
  const s = await settle(cluster, 1_234, new Interruption(undefined));
  t.same(cluster.asked, [{ need: [], timeoutMs: 1_234 }, { need: [[1, 3], [3, 1]], timeoutMs: 1_234 }]);
  t.equal(s.finals, done);
  t.equal(s.converged, true);
  t.notOk("error" in s);
});

t.test("the issued vector names each origin that issued writes, with its highest sequence number", async (t) => {
  t.same([...issuedBy([state(1, 0, [], 2), state(2, 0, [], 0), state(4, 0, [], 7)])], [[1, 2], [4, 7]]);
  t.same([...issuedBy([])], []);
});

t.test("replicas that differ in balance or in applied set have not converged, and the message gives every branch's state", async (t) => {
  t.equal(convergenceError([state(1, 500, [[1, 1]]), state(2, 500, [[1, 1]])]), undefined);
  t.equal(convergenceError([state(1, 500, [[1, 1]]), state(2, 400, [[1, 1]])]),
    'replicas did not converge: branch 1 balance 500c applied {"1":1}; branch 2 balance 400c applied {"1":1}');
  t.equal(convergenceError([state(1, 500, [[1, 1], [2, 1]]), state(2, 500, [[1, 1]])]),
    'replicas did not converge: branch 1 balance 500c applied {"1":1,"2":1}; branch 2 balance 500c applied {"1":1}');
});

t.test("a settle whose replicas disagree reports it as its error", async (t) => {
  const cluster = fakeCluster([[state(1, 0, [], 1)], [state(1, 100, [[1, 1]], 1), state(2, 0, [[1, 1]])]]);
  const s = await settle(cluster, 10, new Interruption(undefined));
  t.equal(s.converged, false);
  t.equal(s.error, 'replicas did not converge: branch 1 balance 100c applied {"1":1}; branch 2 balance 0c applied {"1":1}');
});

t.test("Ctrl-C stops a settle that is still waiting", async (t) => {
  const abort = new AbortController();
  const settling = settle({ awaitApplied: () => new Promise(() => undefined) }, 60_000, new Interruption(abort.signal));
  abort.abort();
  await t.rejects(settling, { message: "interrupted" });
});
