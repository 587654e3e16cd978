import t from "tap";
import { parseFaults, partitioned } from "../../lib/core/fault-plan.js";

const branches = [1, 2, 3, 4];

t.test("a fault plan parses every kind of fault", async (t) => {
  t.same(parseFaults("loss=0.05, dup=0.02,reorder=0.1,partition=1.2|3@300ms:1s,crash=2@400ms:600ms,crash=4@2s", branches), {
    loss: 0.05, dup: 0.02, reorder: 0.1,
    partitions: [{ groups: [[1, 2], [3]], atMs: 300, forMs: 1000 }],
    crashes: [{ branch: 2, atMs: 400, restartAfterMs: 600, scope: "branch" }, { branch: 4, atMs: 2000, restartAfterMs: 500, scope: "branch" }],
  });
  t.same(parseFaults("", branches).crashes, []);
});

t.test("bad plans name the fault and what was expected", async (t) => {
  const cases: Array<[string, string]> = [
    ["loss=1.5", '--faults: loss: expected a probability from 0 to below 1, found "1.5"'],
    ["loss=abc", '--faults: loss: expected a probability from 0 to below 1, found "abc"'],
    ["crash=9@1s", '--faults: crash: expected an existing branch id, found "9"'],
    ["crash=2", '--faults: crash: expected branch@time[:restart-after] like 2@400ms:600ms, found "2"'],
    ["partition=1.2@1s:1s", '--faults: partition: expected at least two groups separated by |, found "1.2"'],
    ["partition=1.2|2@1s:1s", "--faults: partition: branch 2 is in two groups"],
    ["partition=1|2@soon:1s", '--faults: partition start: expected a duration like 300ms or 2s, found "soon"'],
    ["crash=2@100ms:500ms,crash=2@200ms:100ms", "--faults: crash: branch 2 crashes at 200 ms while it is still down from its crash at 100 ms"],
    ["meteor=1", '--faults: expected loss=, dup=, reorder=, partition=, crash= or crash-worker=, found "meteor=1"'],
  ];
  for (const [spec, message] of cases) t.throws(() => parseFaults(spec, branches), { name: "FaultSpecError", message }, spec);
});

t.test("a partition separates its groups only while it lasts, and says how long is left", async (t) => {
  const plan = parseFaults("partition=1.2|3@100ms:200ms", branches);
  t.equal(partitioned(plan, 1, 3, 50), undefined, "before");
  t.equal(partitioned(plan, 1, 3, 150), 150, "during: 150 ms left");
  t.equal(partitioned(plan, 3, 2, 299), 1);
  t.equal(partitioned(plan, 1, 2, 150), undefined, "same group");
  t.equal(partitioned(plan, 1, 4, 150), undefined, "branch 4 is in no group");
  t.equal(partitioned(plan, 1, 3, 300), undefined, "healed");
});
