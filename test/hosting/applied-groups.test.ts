// AppliedGroups, the pure grouping of what a host's branches applied: replicas
// that applied the same writes in the same order share a group (the writes
// once, each replica's clocks); a branch never joins a group older than its
// last, so reading the groups in order gives every branch its own order;
// held writes come first; a crashed branch's reports are forgotten.

import t from "tap";
import fc from "fast-check";
import type { Write } from "../../lib/core/ledger.js";
import { appliedIds } from "../../lib/core/applied-line.js";
import { LOG_WRITE_IDS_MAX } from "../../lib/core/limits.js";
import { AppliedGroups, logEntries, type Stamp } from "../../lib/hosting/applied-groups.js";

const write = (branch: number, seq: number): Write => ({
  id: { branch, seq }, kind: seq % 2 ? "deposit" : "withdraw", amountCents: 100 * seq, deps: new Map(), acceptedAtMs: 1_000 + seq,
});

/** A clock that ticks once per reading. */
function ticking(): () => Stamp {
  let n = 0;
  return () => (n++, { wallMs: 5_000 + n, monoMs: n });
}

t.test("replicas that applied the same writes share one group, with each one's clocks, stamped when the first did", async (t) => {
  const g = new AppliedGroups();
  const now = ticking();
  const [a, b] = [write(1, 1), write(1, 2)];
  g.applied(2, [a, b], [7, 8], now);
  g.applied(3, [a, b], [9, 10], now);
  g.applied(4, [a], [11], now);
  const { groups, buffered } = g.take();
  t.same(buffered, []);
  t.same(groups, [
    {
      branches: [2, 3], clocks: [7, 8, 9, 10], wallMs: 5_001, monoMs: 1,
      writes: [{ id: "1.1", kind: "deposit", amountCents: 100, acceptedAtMs: 1_001 }, { id: "1.2", kind: "withdraw", amountCents: 200, acceptedAtMs: 1_002 }],
    },
    { branches: [4], clocks: [11], wallMs: 5_002, monoMs: 2, writes: [{ id: "1.1", kind: "deposit", amountCents: 100, acceptedAtMs: 1_001 }] },
  ]);
  t.ok(g.empty, "take starts afresh");
  t.same(g.take().groups, []);
});

t.test("a branch does not join an older group than its last: read in order, every branch's writes keep their order", async (t) => {
  const g = new AppliedGroups();
  const now = ticking();
  const [x, y] = [write(1, 1), write(2, 1)];
  g.applied(5, [x], [1], now); // group 0: x
  g.applied(6, [y], [1], now); // group 1: y
  g.applied(6, [x], [2], now); // branch 6 applied y, then x: not into group 0
  g.applied(7, [x], [1], now); // branch 7 may join the newest x group
  const groups = g.take().groups;
  t.same(groups.map((gr) => [gr.writes.map((w) => w.id).join(), gr.branches]), [["1.1", [5]], ["2.1", [6]], ["1.1", [6, 7]]]);
});

t.test("any interleaving of reports reads back, branch by branch, exactly as reported", async (t) => {
  const ids = [write(1, 1), write(1, 2), write(2, 1), write(3, 1)];
  const report = fc.record({ branch: fc.integer({ min: 1, max: 5 }), writes: fc.subarray(ids, { minLength: 1 }) });
  fc.assert(fc.property(fc.array(report, { maxLength: 40 }), (reports) => {
    const g = new AppliedGroups();
    const now = ticking();
    const expected = new Map<number, string[]>();
    reports.forEach((r, i) => {
      g.applied(r.branch, r.writes, r.writes.map((_, j) => 100 * i + j + 1), now);
      expected.set(r.branch, [...(expected.get(r.branch) ?? []), ...r.writes.map((w, j) => `${w.id.branch}.${w.id.seq}@${100 * i + j + 1}`)]);
    });
    const got = new Map<number, string[]>();
    for (const gr of g.take().groups) {
      gr.branches.forEach((b, k) => got.set(b, [...(got.get(b) ?? []), ...gr.writes.map((w, j) => `${w.id}@${gr.clocks[k * gr.writes.length + j]}`)]));
    }
    t.same(got, expected);
    return true;
  }), { numRuns: 300 });
});

t.test("held writes are reported per branch and taken ahead of the groups", async (t) => {
  const g = new AppliedGroups();
  const now = ticking();
  g.applied(2, [write(1, 1)], [3], now);
  g.held(2, [write(1, 3), write(2, 2)], now);
  g.held(4, [], now);
  const out = g.take();
  t.same(out.buffered, [{ branch: 2, ids: ["1.3", "2.2"], wallMs: 5_002, monoMs: 2 }], "an empty hold is no report");
  t.equal(out.groups.length, 1);
});

t.test("drop forgets a crashed branch's reports and keeps everyone else's, in order", async (t) => {
  const g = new AppliedGroups();
  const now = ticking();
  const [x, y] = [write(1, 1), write(1, 2)];
  g.applied(2, [x], [1], now);
  g.applied(3, [x], [2], now);
  g.applied(3, [y], [3], now);
  g.held(3, [write(2, 5)], now);
  g.held(2, [write(2, 5)], now);
  g.log(2, 10, "two before");
  g.log(3, 11, "three");
  g.log(2, 12, "two after");
  g.drop(3);
  g.applied(2, [y], [4], now);
  g.applied(4, [x], [5], now);
  const out = g.take();
  t.same(out.buffered.map((b) => b.branch), [2]);
  t.same(out.groups.map((gr) => [gr.writes[0]!.id, gr.branches, gr.clocks]), [["1.1", [2], [1]], ["1.2", [2], [4]], ["1.1", [4], [5]]],
    "branch 3 is gone; later reports open new groups after the survivors");
  t.same(out.logs, { branches: [2, 2], wallMs: [10, 12], lines: ["two before", "two after"], balances: [0, 0] }, "its lines are gone, the others' kept with their times, in order");
});

t.test("a replica's applied line is sent as its group and balance, and read back as the line, in its place among the others", async (t) => {
  const g = new AppliedGroups();
  const now = ticking();
  const [a, b] = [write(1, 1), write(1, 2)];
  g.log(2, 10, "before");
  g.applied(2, [a, b], [1, 2], now, { wallMs: 11, balanceCents: 300 });
  g.applied(3, [a, b], [3, 4], now, { wallMs: 12, balanceCents: 4_300 });
  g.applied(1, [a], [5], now); // the origin's own write: no line
  g.log(3, 13, "after");
  const out = g.take();
  t.same(out.logs.lines, ["before", 0, 0, "after"], "the two replicas' lines name their shared group, not a string each");
  t.same([...logEntries(out)], [
    [2, 10, "before"], [2, 11, "replica 2 applied 1.1, 1.2 (balance=300c)"], [3, 12, "replica 3 applied 1.1, 1.2 (balance=4300c)"], [3, 13, "after"],
  ]);
});

t.test("dropping a crashed branch renumbers the groups, and the survivors' applied lines still name their own writes", async (t) => {
  const report = fc.record({ branch: fc.integer({ min: 1, max: 4 }), seqs: fc.subarray([1, 2, 3], { minLength: 1 }), line: fc.boolean() });
  fc.assert(fc.property(fc.array(report, { maxLength: 30 }), fc.integer({ min: 1, max: 4 }), (reports, crashed) => {
    const g = new AppliedGroups();
    const now = ticking();
    const expected: string[] = [];
    reports.forEach((r, i) => {
      g.applied(r.branch, r.seqs.map((s) => write(1, s)), r.seqs.map(() => 0), now, r.line ? { wallMs: i, balanceCents: i } : undefined);
      if (r.line && r.branch !== crashed) expected.push(`replica ${r.branch} applied ${r.seqs.map((s) => `1.${s}`).join(", ")} (balance=${i}c)`);
    });
    g.drop(crashed);
    t.same([...logEntries(g.take())].map(([, , line]) => line), expected);
    return true;
  }), { numRuns: 200 });
});

t.test("an applied line names at most LOG_WRITE_IDS_MAX writes, then how many more", async (t) => {
  const ids = Array.from({ length: LOG_WRITE_IDS_MAX + 3 }, (_, i) => `1.${i + 1}`);
  t.equal(appliedIds(ids.slice(0, 2)), "1.1, 1.2");
  t.equal(appliedIds(ids), `${ids.slice(0, LOG_WRITE_IDS_MAX).join(", ")} and 3 more`);
});
