// Storage faults and crashes in the simulator (lib/sim/sim-branches.ts,
// lib/sim/durability.ts): seeds under one fault kind at a time (a disk that
// fills mid-run, torn writes, failed fsyncs, power lost after N appends) end
// converged, with every acknowledged write at every branch, no request run
// twice and a clean checker; deliberately broken durability makes some seed
// fail, so the invariants can fail; and the invariants name what broke.

import { addMachineTotals, noMachineTotals } from "../../lib/sim/sim-branches.js";
import t, { type Test } from "tap";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brokenDurability, type DurabilityBreak } from "../../lib/sim/broken-durability.js";
import { durabilityBreaches, type Decision } from "../../lib/sim/durability.js";
import { describeFailure, saveHistory } from "../../lib/sim/failure.js";
import { NO_CRASHES, NO_DISK_PROFILE, type CrashProfile, type DiskProfile } from "../../lib/sim/faults.js";
import { configForSeed, passed, simulate, type SimOptions, type SimResult } from "../../lib/sim/simulator.js";
import type { HistoryRecord } from "../../lib/history/types.js";

const BASE = Number(process.env["BANK_SIM_TEST_SEED"] ?? 1);
const SEEDS = 8;
const DISK: DiskProfile = { ...NO_DISK_PROFILE, syncMsMin: 0.05, syncMsMax: 2 };
const DOWN = { ...NO_CRASHES, downMsMin: 5, downMsMax: 300 };

/** The seed's shape and network faults, with only the given machine faults. */
function profile(seed: number, disk: Partial<DiskProfile>, crashes: Partial<CrashProfile> = {}): SimOptions {
  const o = configForSeed(seed);
  return { ...o, faults: { ...o.faults, disk: { ...DISK, ...disk }, crashes: { ...DOWN, ...crashes } } };
}

function keep(seed: number, r: SimResult): string {
  return saveHistory(mkdtempSync(join(tmpdir(), "bank-sim-durability-")), seed, r.history);
}

/** Runs SEEDS seeds of a profile; each must pass; returns the machine counters summed. */
async function allPass(t: Test, make: (seed: number) => SimOptions) {
  const sum = { ...noMachineTotals(), acked: 0 };
  for (let seed = BASE; seed < BASE + SEEDS; seed++) {
    const o = make(seed);
    const r = await simulate(o);
    if (!passed(r)) {
      t.fail(describeFailure(o, {}, r, keep(seed, r)));
      continue;
    }
    const finals = r.history.filter((h) => h.type === "final");
    t.equal(new Set(finals.map((f) => JSON.stringify([f.balanceCents, f.applied]))).size, 1, `seed ${seed}: every branch ends with the same writes and balance`);
    addMachineTotals(sum, r.stats.machines);
    sum.acked += r.history.filter((h) => h.type === "complete" && h.writeId !== undefined).length;
  }
  t.comment(JSON.stringify(sum));
  return sum;
}

t.test("disks that fill mid-run fail their branches, which restart with room and lose no acknowledged write", async (t) => {
  const sum = await allPass(t, (seed) => profile(seed, { full: { gapMsMin: 50, gapMsMax: 400, roomBytesMax: 2048 } }));
  t.ok(sum.full > 0, `writes that found the disk full: ${sum.full}`);
  t.ok(sum.storageFailures > 0 && sum.restarts > 0, `storage failures ${sum.storageFailures}, restarts ${sum.restarts}`);
});

t.test("torn writes fail their branches, which restart from what the log holds and lose no acknowledged write", async (t) => {
  const sum = await allPass(t, (seed) => profile(seed, { tornWriteRate: 0.05 }));
  t.ok(sum.torn > 0 && sum.restarts > 0, `torn writes ${sum.torn}, restarts ${sum.restarts}`);
});

t.test("failed fsyncs fail their branches, which restart from what the log holds and lose no acknowledged write", async (t) => {
  const sum = await allPass(t, (seed) => profile(seed, { syncFailRate: 0.05 }));
  t.ok(sum.syncFailures > 0 && sum.restarts > 0, `failed fsyncs ${sum.syncFailures}, restarts ${sum.restarts}`);
});

t.test("power lost in the middle of an append, after a few dozen appends, costs no acknowledged write and runs no request twice", async (t) => {
  const sum = await allPass(t, (seed) => profile(seed, {}, { afterAppends: { appendsMin: 5, appendsMax: 40 } }));
  t.ok(sum.crashes > SEEDS && sum.restarts >= sum.crashes, `power losses ${sum.crashes}, restarts ${sum.restarts}`);
  t.ok(sum.acked > 0, `acknowledged writes ${sum.acked}`);
});

/** The first seed in BASE.. that a broken branch fails, with the broken variant's replay flags. */
async function firstFailure(broken: DurabilityBreak) {
  for (let seed = BASE; seed < BASE + 40; seed++) {
    const o = { ...profile(seed, {}, { afterAppends: { appendsMin: 5, appendsMax: 60 }, byTime: { gapMsMin: 100, gapMsMax: 600 } }) };
    o.makeBranch = brokenDurability(broken);
    const r = await simulate(o);
    if (!passed(r)) return { seed, o, r };
  }
  return undefined;
}

t.test("a store that acknowledges before it syncs loses an acknowledged write under crashes, and the invariants say which", async (t) => {
  const failed = await firstFailure("ack-before-sync");
  if (failed === undefined) return t.fail(`no seed in ${BASE}..${BASE + 39} failed with acknowledgements before sync`);
  const message = describeFailure(failed.o, { breakDurability: "ack-before-sync" }, failed.r);
  t.comment(message.split("\n").slice(0, 6).join("\n"));
  t.match(failed.r.breaches.join("\n"), /acknowledged as write \d+\.\d+, (is not|but branch)/);
  t.match(message, `replay: npm run soak -- --seed ${failed.seed} --break-durability ack-before-sync\n`);
  t.match(message, "durability invariants broken:");
});

t.test("a branch that forgets its outcomes across a restart runs a retried request twice, and the invariants name the request", async (t) => {
  const failed = await firstFailure("forget-outcomes");
  if (failed === undefined) return t.fail(`no seed in ${BASE}..${BASE + 39} failed with outcomes forgotten`);
  t.match(failed.r.breaches.join("\n"), /request s\d+#\d+ was executed 2 times: the logs hold writes \d+\.\d+, \d+\.\d+ decided for it/);
  t.notOk(failed.r.report.ok, "the history checker sees it too (exactly-once)");
});

const write = (origin: number, seq: number, amountCents = 10): Decision["write"] => ({ id: { branch: origin, seq }, kind: "deposit", amountCents, deps: new Map(), acceptedAtMs: 0 });
const state = (branch: number, applied: Array<[number, number]>) => ({ branch, balanceCents: 0, applied: new Map(applied), issued: 0, pending: 0 });

function acked(requestId: string, writeId: string, amountCents = 10): HistoryRecord[] {
  const op = Number(requestId.split("#")[1]);
  return [
    { type: "invoke", op, session: requestId.split("#")[0]!, requestId, branch: 1, kind: "deposit", amountCents, writeSet: {}, readSet: {}, wallMs: 0, monoMs: 0 },
    { type: "complete", op, session: requestId.split("#")[0]!, branch: 1, kind: "deposit", status: "ok", result: "success", writeId, gateWaitMs: 0, attempts: 1, wallMs: 0, monoMs: 0 },
  ];
}

t.test("the invariants hold for acknowledged writes that every branch applied and their origin logged for their request", async (t) => {
  const decisions = new Map([[1, [{ write: write(1, 1), session: "s1", n: 1 }, { write: write(1, 2), session: "s1", n: 2 }]]]);
  t.same(durabilityBreaches([...acked("s1#1", "1.1"), ...acked("s1#2", "1.2")], [state(1, [[1, 2]]), state(2, [[1, 2]])], decisions), []);
});

t.test("the invariants name an acknowledged write a branch lacks, or that its origin's log gave to another request", async (t) => {
  const decisions = new Map([[1, [{ write: write(1, 1), session: "s1", n: 1 }, { write: write(1, 2, 99), session: "s2", n: 7 }]]]);
  const breaches = durabilityBreaches([...acked("s1#2", "1.2")], [state(1, [[1, 2]]), state(2, [[1, 1]])], decisions);
  t.same(breaches, [
    "s1#2 (deposit of 10c at branch 1), acknowledged as write 1.2, is not applied at branch(es) 2 at the end",
    "s1#2 (deposit of 10c at branch 1), acknowledged as write 1.2, but branch 1's log holds 1.2 as deposit of 99c for s2#7",
  ]);
});

t.test("the invariants name a request decided twice and a write applied beyond what its origin logged", async (t) => {
  const decisions = new Map([[1, [{ write: write(1, 1), session: "s1", n: 1 }, { write: write(1, 2), session: "s1", n: 1 }]]]);
  t.same(durabilityBreaches([], [state(1, [[1, 2]]), state(2, [[1, 3]])], decisions), [
    "request s1#1 was executed 2 times: the logs hold writes 1.1, 1.2 decided for it",
    "branch 2 applied writes of branch 1 up to 1.3, but branch 1's log holds only 2",
  ]);
});
