// The deterministic simulator (lib/sim/): real Branch instances on real logs
// over simulated disks, simulated network and sessions, virtual time. Dozens
// of seeded fault schedules (network, disks, crashes) must end with the
// checker's clean verdict and every durability invariant holding; a seed must
// replay byte for byte; and a deliberately broken gate must make a seed fail
// with a message that names the seed and how to replay it.

import { addMachineTotals, noMachineTotals } from "../../lib/sim/sim-branches.js";
import t from "tap";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkHistory } from "../../lib/checker/checker.js";
import { parseHistory } from "../../lib/history/reader.js";
import { brokenGateBranches } from "../../lib/sim/broken-gate.js";
import { describeFailure, historyText, saveHistory } from "../../lib/sim/failure.js";
import { addNetworkTotals, noNetworkTotals, SimNetwork } from "../../lib/sim/sim-network.js";
import { configForSeed, passed, simulate, type SimResult } from "../../lib/sim/simulator.js";
import { VirtualClock } from "../../lib/sim/virtual-clock.js";

// Fixed seeds keep CI repeatable; BANK_SIM_TEST_SEED=<n> explores (or replays) others.
const BASE = Number(process.env["BANK_SIM_TEST_SEED"] ?? 1);
const SEEDS = 40;

/** Writes a failing history where it outlives the test, and says where. */
function keep(seed: number, r: SimResult): string {
  return saveHistory(mkdtempSync(join(tmpdir(), "bank-sim-sim-")), seed, r.history);
}

t.test("virtual timers fire in time order, ties in the order they were set, and cleared ones never", async (t) => {
  const clock = new VirtualClock();
  const fired: string[] = [];
  clock.setTimeout(() => fired.push("b@20"), 20);
  clock.setTimeout(() => fired.push("a@10"), 10);
  const gone = clock.setTimeout(() => fired.push("never"), 15);
  clock.setTimeout(() => fired.push("c@20"), 20);
  clock.clearTimeout(gone);
  t.equal(clock.pending, 3);
  while (clock.step()) fired.push(`now=${clock.now()}`);
  t.same(fired, ["a@10", "now=10", "b@20", "now=20", "c@20", "now=20"]);
  t.equal(clock.pending, 0);
});

t.test("a partition drops messages between groups, in flight too, until it heals", async (t) => {
  const clock = new VirtualClock();
  const link = { delayMsMin: 5, delayMsMax: 5, lossRate: 0, duplicateRate: 0, reorderRate: 0 };
  const net = new SimNetwork(clock, () => 0.5, { peer: link, client: link });
  const got: string[] = [];
  net.send("b1", "b2", () => got.push("sent before, arrives during"));
  net.partition([["b1"], ["b2", "s1"]]);
  net.send("b1", "b2", () => got.push("across"));
  net.send("s1", "b2", () => got.push("within"));
  while (clock.step());
  net.heal();
  net.send("b1", "b2", () => got.push("after heal"));
  while (clock.step());
  t.same(got, ["within", "after heal"]);
  t.equal(net.stats.cutByPartition, 2);
});

t.test(`${SEEDS} seeded fault schedules with all guarantees, disk faults and crashes end converged, exactly once, durable, with no violation`, async (t) => {
  t.comment(`seeds ${BASE}..${BASE + SEEDS - 1} (BANK_SIM_TEST_SEED)`);
  const totals = {
    ...noNetworkTotals(), gateRefusals: 0, retries: 0, unknown: 0, operations: 0,
    ...noMachineTotals(),
  };
  for (let seed = BASE; seed < BASE + SEEDS; seed++) {
    const options = configForSeed(seed);
    const r = await simulate(options);
    const bad = r.report.violations.filter((v) => v.severity !== "finding");
    if (!passed(r) || bad.length > 0) {
      t.fail(describeFailure(options, {}, r, keep(seed, r)));
      continue;
    }
    const final = r.history.filter((h) => h.type === "final");
    t.equal(final.length, options.branches, `seed ${seed}: every branch recorded its final state`);
    addNetworkTotals(totals, r.stats.network);
    totals.gateRefusals += r.stats.sessions.gateRefusals;
    totals.retries += r.stats.sessions.retries;
    totals.unknown += r.stats.sessions.unknown;
    totals.operations += r.stats.operations;
    addMachineTotals(totals, r.stats.machines);
  }
  t.comment(`totals: ${JSON.stringify(totals)}`);
  // The schedules really did hurt: every kind of fault, refusals, retries, unknown outcomes, crashes and catch-ups happened.
  for (const [k, n] of Object.entries(totals)) t.ok(n > 0, `${k}: ${n}`);
});

t.test("the same seed twice gives byte-identical histories", async (t) => {
  for (const seed of [BASE, BASE + 7, BASE + 1000]) {
    const a = historyText((await simulate(configForSeed(seed))).history);
    const b = historyText((await simulate(configForSeed(seed))).history);
    t.ok(a === b, `seed ${seed}: ${a.length} bytes both times`);
  }
  const c = historyText((await simulate(configForSeed(BASE))).history);
  const d = historyText((await simulate(configForSeed(BASE + 1))).history);
  t.not(c, d, "different seeds give different histories");
});

t.test("a gate that ignores Monotonic Reads fails some seed, named with its replay command and saved history", async (t) => {
  const flags = { breakGate: ["mr"] as const };
  let failed: { seed: number; r: SimResult; message: string; path: string } | undefined;
  for (let seed = BASE; seed < BASE + 40 && failed === undefined; seed++) {
    const options = { ...configForSeed(seed), makeBranch: brokenGateBranches(flags.breakGate) };
    const r = await simulate(options);
    if (r.report.ok) continue;
    const path = saveHistory(t.testdir(), seed, r.history);
    failed = { seed, r, path, message: describeFailure(options, flags, r, path) };
  }
  if (failed === undefined) return t.fail(`no seed in ${BASE}..${BASE + 39} failed with the MR gate broken`);
  const { seed, r, message, path } = failed;
  t.comment(message.split("\n").slice(0, 3).join("\n"));
  t.ok(r.report.violations.some((v) => v.rule === "MR" && v.severity === "violation"), "the checker names Monotonic Reads");
  t.ok(r.report.violations.every((v) => v.severity !== "violation" || v.rule === "MR"), "and nothing else");
  t.match(message, new RegExp(`^FAILED seed ${seed}: `));
  t.match(message, `replay: npm run soak -- --seed ${seed} --break-gate mr\n`);
  t.match(message, `history: ${path}`);
  t.match(message, "verdict: FAILED");
  const saved = parseHistory(readFileSync(path, "utf8"), path);
  t.same(checkHistory(saved).violations, r.report.violations, "the saved history alone reproduces the verdict");
  const again = await simulate({ ...configForSeed(seed), makeBranch: brokenGateBranches(flags.breakGate) });
  t.ok(historyText(again.history) === historyText(r.history), "the replay is byte-identical");
});
