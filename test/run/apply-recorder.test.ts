// ApplyRecorder on a VirtualClock: a branch's "applied" events that arrive
// while its merge window is open become one apply record (in the branch's
// order, with the first event's times); flush writes at once; with crashes it
// drops what a branch already reported; every fresh apply is a propagation-lag
// sample; a host's group of four or more replicas becomes one apply-group
// record, a smaller one per-branch records. Virtual time opens and closes the window, so nothing depends on how
// fast the machine is.

import t from "tap";
import { expandGroup } from "../../lib/history/apply-group.js";
import type { HistoryLine } from "../../lib/history/types.js";
import type { AppliedGroup, WireWrite } from "../../lib/hosting/worker-protocol.js";
import { ApplyRecorder, GROUP_MIN, MERGE_MS } from "../../lib/run/apply-recorder.js";
import { PropagationLag } from "../../lib/run/latency-stats.js";
import { VirtualClock } from "../../lib/sim/virtual-clock.js";

const w = (id: string, over: Partial<WireWrite> = {}): WireWrite => ({ id, kind: "deposit", amountCents: 100, acceptedAtMs: 1_000, ...over });

/** Moves the virtual clock forward by `ms`, firing every timer due on the way. */
function advance(clock: VirtualClock, ms: number): void {
  let reached = false;
  clock.setTimeout(() => (reached = true), ms);
  while (!reached && clock.step());
}

function recorder(opts: { dedupe?: boolean; replicas?: number } = {}) {
  const clock = new VirtualClock();
  const records: HistoryLine[] = [];
  const lag = new PropagationLag(opts.replicas ?? 3);
  const rec = new ApplyRecorder({ write: (r) => records.push(r) }, lag, opts.dedupe ?? false, clock);
  /** "branch: ids @wallMs/monoMs" per record, for exact comparisons. */
  const written = () => records.map((r) =>
    r.type === "apply" ? `${r.branch}: ${r.writes.map((x) => x.id).join(" ")} @${r.wallMs}/${r.monoMs}`
    : r.type === "apply-group" ? `[${r.branches.join(" ")}]: ${r.writes.map((x) => x.id).join(" ")} @${r.wallMs}/${r.monoMs}` : r.type);
  return { clock, records, lag, rec, written };
}

t.test("a branch's events within the merge window become one record, in order, with the first event's times", async (t) => {
  const { clock, rec, records, written } = recorder();
  rec.add(1, [w("2.1"), w("3.1")], 5_000, 10);
  advance(clock, 20);
  rec.add(1, [w("2.2")], 5_020, 30);
  advance(clock, MERGE_MS - 21);
  rec.add(1, [w("3.2", { kind: "withdraw", amountCents: 40 })], 5_049, 59);
  t.same(records, [], "nothing is written while the window is open");
  advance(clock, 1);
  t.same(written(), ["1: 2.1 3.1 2.2 3.2 @5000/10"], `written when the window closes, ${MERGE_MS} ms after the first event`);
  const r = records[0];
  if (r?.type === "apply") t.same(r.writes.at(-1), { id: "3.2", kind: "withdraw", amountCents: 40 }, "each write keeps its kind and amount (no acceptance time)");
});

t.test("an event after the window closed starts a new record", async (t) => {
  const { clock, rec, written } = recorder();
  rec.add(2, [w("1.1")], 100, 1);
  advance(clock, MERGE_MS);
  rec.add(2, [w("1.2")], 160, 61);
  t.equal(clock.pending, 1, "a new window opened");
  advance(clock, MERGE_MS);
  t.same(written(), ["2: 1.1 @100/1", "2: 1.2 @160/61"]);
});

t.test("one window serves every branch, each branch getting its own record", async (t) => {
  const { clock, rec, written } = recorder();
  rec.add(3, [w("1.1")], 100, 1);
  rec.add(1, [w("3.1")], 101, 2);
  rec.add(3, [w("1.2")], 102, 3);
  t.equal(clock.pending, 1, "one timer for all branches");
  advance(clock, MERGE_MS);
  t.same(written(), ["3: 1.1 1.2 @100/1", "1: 3.1 @101/2"], "records in the order each branch first reported");
});

t.test("flush writes every pending record at once and cancels the window", async (t) => {
  const { clock, rec, written } = recorder();
  rec.add(1, [w("2.1")], 100, 1);
  rec.flush();
  t.same(written(), ["1: 2.1 @100/1"]);
  t.equal(clock.pending, 0, "the window's timer was cancelled");
  rec.flush();
  t.same(written(), ["1: 2.1 @100/1"], "a flush with nothing pending writes nothing");
});

t.test("with crashes, writes a branch already reported are dropped; other branches still report theirs", async (t) => {
  const { clock, rec, written } = recorder({ dedupe: true });
  rec.add(2, [w("1.1"), w("1.2")], 100, 1);
  rec.flush();
  // Branch 2 restarts and reports everything its log gave back, plus a new one.
  rec.add(2, [w("1.1"), w("1.2"), w("1.3")], 500, 40);
  rec.add(3, [w("1.1")], 501, 41);
  rec.flush();
  t.same(written(), ["2: 1.1 1.2 @100/1", "2: 1.3 @500/40", "3: 1.1 @501/41"]);
  rec.add(2, [w("1.3")], 600, 50);
  t.equal(clock.pending, 0, "an event with nothing new opens no window");
  rec.flush();
  t.equal(written().length, 3, "and writes no record");
});

t.test("without crashes nothing is deduplicated", async (t) => {
  const { rec, written } = recorder({ dedupe: false });
  rec.add(2, [w("1.1")], 100, 1);
  rec.flush();
  rec.add(2, [w("1.1")], 200, 2);
  rec.flush();
  t.same(written(), ["2: 1.1 @100/1", "2: 1.1 @200/2"]);
});

t.test("a write applied at every replica gives one lag sample, from its acceptance to the last apply", async (t) => {
  const { rec, lag } = recorder({ replicas: 3 });
  rec.add(1, [w("1.1", { acceptedAtMs: 1_000 })], 1_000, 0);
  rec.add(2, [w("1.1", { acceptedAtMs: 1_000 })], 1_030, 30);
  t.equal(lag.stats.summary().count, 0, "no sample while a replica lacks it");
  t.equal(lag.incomplete, 1);
  rec.add(3, [w("1.1", { acceptedAtMs: 1_000 })], 1_075, 75);
  const s = lag.stats.summary();
  t.equal(s.count, 1);
  t.equal(s.maxMs, 75, "75 ms from acceptance at the origin to the third replica");
  t.equal(lag.incomplete, 0);
});

t.test("with crashes, a restarted branch's re-report does not count as another replica's apply", async (t) => {
  const { rec, lag } = recorder({ dedupe: true, replicas: 3 });
  rec.add(1, [w("1.1")], 1_000, 0);
  rec.add(2, [w("1.1")], 1_010, 10);
  rec.add(2, [w("1.1")], 1_500, 500); // branch 2 restarted and reports 1.1 again
  t.equal(lag.stats.summary().count, 0, "1.1 is still missing at branch 3");
  rec.add(3, [w("1.1")], 1_040, 40);
  t.equal(lag.stats.summary().count, 1);
  t.equal(lag.stats.summary().maxMs, 40);
});

t.test("clocks go into the record; a restart flushes what came before and marks its own record, even with nothing fresh", async (t) => {
  const { clock, rec, records } = recorder({ dedupe: true });
  rec.add(1, [w("1.1", { clock: 3 }), w("2.1", { clock: 7 })], 100, 1);
  rec.add(1, [w("1.1"), w("2.1")], 120, 2, true);
  rec.add(1, [w("3.1", { clock: 4 })], 130, 3);
  advance(clock, MERGE_MS);
  const applies = records.filter((r) => r.type === "apply");
  t.same(applies.map((r) => [r.writes, r.restart ?? false]), [
    [[{ id: "1.1", kind: "deposit", amountCents: 100, clock: 3 }, { id: "2.1", kind: "deposit", amountCents: 100, clock: 7 }], false],
    [[], true],
    [[{ id: "3.1", kind: "deposit", amountCents: 100, clock: 4 }], false],
  ], "the new incarnation's events follow the restart mark, and what it already reported is not repeated");
});

t.test("a restart's record is written at once, so that every record of the new incarnation follows it", async (t) => {
  // The restarted branch serves customers as soon as it is up; their completions
  // go straight to the history and may repeat clocks of the old incarnation, so
  // the checker must meet the restart mark first (it once waited out the merge window).
  const { rec, records, written } = recorder({ dedupe: true });
  rec.add(2, [w("2.1")], 100, 1);
  rec.add(2, [w("2.1"), w("2.2")], 200, 2, true);
  t.same(written(), ["2: 2.1 @100/1", "2: 2.2 @200/2"], "both records are in the history before the window closes");
  const last = records.at(-1);
  t.equal(last?.type === "apply" && last.restart, true, "the last one is the restart mark");
});

/** Branches `branches` applied `ids` in this order; branch b's clock at the j-th write is 10·b + j + 1. */
function group(branches: number[], ids: string[], wallMs = 100, monoMs = 1): AppliedGroup {
  return { branches, writes: ids.map((id) => w(id)), clocks: branches.flatMap((b) => ids.map((_, j) => 10 * b + j + 1)), wallMs, monoMs };
}

t.test("a group of GROUP_MIN or more replicas becomes one apply-group record, at once, that reads back as theirs", async (t) => {
  const { clock, rec, records, written } = recorder({ replicas: 6 });
  const branches = Array.from({ length: GROUP_MIN }, (_, i) => i + 2);
  rec.addGroup(group(branches, ["1.1", "1.2"]));
  t.equal(clock.pending, 0, "no merge window: the group is written as it comes");
  t.same(written(), [`[${branches.join(" ")}]: 1.1 1.2 @100/1`]);
  const g = records[0]!;
  if (g.type !== "apply-group") return t.fail(`expected an apply-group, found ${g.type}`);
  t.same(g.writes, [{ id: "1.1", kind: "deposit", amountCents: 100 }, { id: "1.2", kind: "deposit", amountCents: 100 }], "each write once, without its acceptance time");
  t.same([...expandGroup(g)].map((r) => [r.branch, r.writes.map((x) => x.clock)]), branches.map((b) => [b, [10 * b + 1, 10 * b + 2]]), "each branch with its own clocks");
});

t.test("a smaller group, or one with a clock not known, is written as each branch's own records", async (t) => {
  const { clock, rec, records, written } = recorder();
  rec.addGroup(group([2, 3, 4].slice(0, GROUP_MIN - 1), ["1.1"]));
  const unknown = group([2, 3, 4, 5, 6, 7].slice(0, GROUP_MIN), ["1.2"], 200, 2);
  unknown.clocks[1] = 0; // branch 3's clock at its one write
  rec.addGroup(unknown);
  advance(clock, MERGE_MS);
  t.same(written(), [2, 3, 4, 5, 6, 7].slice(0, GROUP_MIN).map((b) => (b < 2 + GROUP_MIN - 1 ? `${b}: 1.1 1.2 @100/1` : `${b}: 1.2 @200/2`)));
  const third = records.find((r) => r.type === "apply" && r.branch === 3);
  t.same(third?.type === "apply" && third.writes.map((x) => x.clock), [31, undefined], "the clock that was not known is left out");
});

t.test("a group comes after its branches' pending records, so each branch's order holds", async (t) => {
  const { rec, written } = recorder();
  rec.add(3, [w("2.1")], 90, 0);
  rec.add(9, [w("2.1")], 91, 0);
  const branches = Array.from({ length: GROUP_MIN }, (_, i) => i + 3);
  rec.addGroup(group(branches, ["2.2"]));
  t.same(written(), ["3: 2.1 @90/0", `[${branches.join(" ")}]: 2.2 @100/1`], "branch 3's earlier write first; branch 9's record waits for its window");
});

t.test("every replica of a group counts towards a write's propagation lag", async (t) => {
  const { rec, lag } = recorder({ replicas: GROUP_MIN + 1 });
  rec.add(1, [w("1.1", { acceptedAtMs: 1_000 })], 1_000, 0);
  rec.addGroup({ ...group(Array.from({ length: GROUP_MIN }, (_, i) => i + 2), ["1.1"]), wallMs: 1_060 });
  const s = lag.stats.summary();
  t.equal(s.count, 1, "applied everywhere once the group's replicas have it");
  t.equal(s.maxMs, 60);
});

t.test("with crashes, a branch of a group that reports a write again goes through the deduplicating path", async (t) => {
  const { rec, written } = recorder({ dedupe: true });
  rec.add(2, [w("1.1")], 50, 0);
  rec.flush();
  const branches = Array.from({ length: GROUP_MIN + 1 }, (_, i) => i + 2);
  rec.addGroup(group(branches, ["1.1", "1.2"]));
  rec.flush();
  t.same(written(), ["2: 1.1 @50/0", `[${branches.slice(1).join(" ")}]: 1.1 1.2 @100/1`, "2: 1.2 @100/1"]);
  rec.addGroup(group(branches.slice(1), ["1.2"], 300, 3));
  rec.flush();
  t.equal(written().length, 3, "writes they all reported already are recorded no more");
});
