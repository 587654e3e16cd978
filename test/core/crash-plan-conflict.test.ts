// A crash plan is checked against where the branches actually run: a worker
// crash takes down every branch on its worker, so no other crash of one of
// them may fall in its window.

import t from "tap";
import { crashPlanConflict, parseFaults } from "../../lib/core/fault-plan.js";

const placement = new Map([[1, 10], [2, 10], [3, 11], [4, 11]]);
const workerOf = (b: number) => placement.get(b);

t.test("a branch crash inside a worker crash of its own worker is a conflict, named with both crashes", async (t) => {
  const plan = parseFaults("crash-worker=1@100ms:300ms,crash=2@200ms:100ms", [1, 2, 3, 4]);
  t.equal(crashPlanConflict(plan, workerOf), "--faults: crash=2@200ms:100ms overlaps crash-worker=1@100ms:300ms: branch 2 runs on the same worker as branch 1, which is down from 100 to 400 ms");
});

t.test("two worker crashes of one worker that overlap conflict; ones that do not, or of other workers, do not", async (t) => {
  t.match(crashPlanConflict(parseFaults("crash-worker=1@100ms:300ms,crash-worker=2@350ms:100ms", [1, 2, 3, 4]), workerOf), /crash-worker=2@350ms:100ms overlaps crash-worker=1@100ms:300ms/);
  t.equal(crashPlanConflict(parseFaults("crash-worker=1@100ms:300ms,crash=2@500ms:100ms", [1, 2, 3, 4]), workerOf), undefined, "after the restart");
  t.equal(crashPlanConflict(parseFaults("crash-worker=1@100ms:300ms,crash=3@200ms:100ms", [1, 2, 3, 4]), workerOf), undefined, "another worker");
  t.equal(crashPlanConflict(parseFaults("crash=1@100ms:300ms,crash=2@200ms:100ms", [1, 2, 3, 4]), workerOf), undefined, "branch crashes alone never take a neighbour down");
});
