// What a run records from the branches' messages, without a cluster: the
// meta record first, branch log lines, apply records (deduplicated when a
// restarted branch reports its log again), fault events, and the finals.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import type { HistoryRecord } from "../../lib/history/types.js";
import type { ToMain } from "../../lib/hosting/worker-protocol.js";
import { NO_FAULTS } from "../../lib/core/fault-plan.js";
import { outPaths } from "../../lib/run/out-dir.js";
import { RunRecorder } from "../../lib/run/run-recorder.js";

const scenario = { source: "bank.json", branches: [1, 2], initialBalanceCents: 40_000 };
const crashPlan = { ...NO_FAULTS, crashes: [{ branch: 2, atMs: 10, restartAfterMs: 10, scope: "branch" as const }] };

function recorder(t: Test, opts: { crashes?: boolean; echo?: string[] } = {}) {
  const dir = t.testdir({ branches: {} });
  const cfg = { guarantees: ["mw" as const, "ryw" as const], concurrent: true, faults: opts.crashes ? crashPlan : NO_FAULTS };
  const r = new RunRecorder(scenario, cfg, outPaths(dir), opts.echo ? (l) => opts.echo!.push(l) : undefined);
  const history = () => readFileSync(outPaths(dir).history, "utf8").trim().split("\n").map((l) => JSON.parse(l) as HistoryRecord);
  return { r, dir, history };
}

const write = (id: string) => ({ id, kind: "deposit" as const, amountCents: 100, acceptedAtMs: 1_000 });

t.test("the history starts with a meta record describing the run", async (t) => {
  const { r, history } = recorder(t);
  await r.close();
  const [meta, ...rest] = history();
  t.match(meta, { type: "meta", version: 1, source: "bank.json", branches: [1, 2], initialBalanceCents: 40_000, guarantees: ["mw", "ryw"], concurrent: true });
  t.same(rest, []);
});

t.test("a branch's log lines land in its log file with their time, and are echoed with -v", async (t) => {
  const echo: string[] = [];
  const { r, dir } = recorder(t, { echo });
  r.onMessage({ type: "reports", logs: { branches: [2], wallMs: [Date.UTC(2024, 0, 2, 3, 4, 5, 6)], lines: ["branch 2 listening"], balances: [0] }, buffered: [], groups: [] });
  await r.close();
  t.equal(readFileSync(join(dir, "branches", "branch-2.log"), "utf8"), "2024-01-02T03:04:05.006Z branch 2 listening\n");
  t.same(echo, ["[branch 2] branch 2 listening"]);
});

/** A host's report that `branches` applied `ids`, branch b with clock 10·b at each. */
const applied = (branches: number[], ids: string[], wallMs = 5, monoMs = 6): ToMain => ({
  type: "reports", logs: { branches: [], wallMs: [], lines: [], balances: [] }, buffered: [], groups: [{ branches, writes: ids.map(write), clocks: branches.flatMap((b) => ids.map(() => 10 * b)), wallMs, monoMs }],
});

t.test("applied writes become apply records, and the finals come after every pending apply", async (t) => {
  const { r, history } = recorder(t);
  r.onMessage(applied([1], ["1.1"]));
  r.recordFinals([{ branch: 1, balanceCents: 40_100, applied: new Map([[1, 1]]), issued: 1, pending: 0 }]);
  await r.close();
  t.same(history().slice(1), [
    { type: "apply", branch: 1, writes: [{ id: "1.1", kind: "deposit", amountCents: 100, clock: 10 }], wallMs: 5, monoMs: 6 },
    { type: "final", branch: 1, balanceCents: 40_100, applied: { "1": 1 } },
  ]);
});

t.test("a host's report: held writes become buffer records ahead of its groups' apply records", async (t) => {
  const { r, history } = recorder(t);
  r.onMessage({ ...applied([2], ["1.2"], 8, 9), buffered: [{ branch: 2, ids: ["1.2"], wallMs: 7, monoMs: 8 }] } as ToMain);
  await r.close();
  t.same(history().slice(1), [
    { type: "buffer", branch: 2, writes: ["1.2"], wallMs: 7, monoMs: 8 },
    { type: "apply", branch: 2, writes: [{ id: "1.2", kind: "deposit", amountCents: 100, clock: 20 }], wallMs: 8, monoMs: 9 },
  ]);
});

t.test("a restarted branch's recovery is a fault event, and writes it had reported already are not recorded twice", async (t) => {
  const { r, history } = recorder(t, { crashes: true });
  r.onMessage(applied([2], ["1.1"]));
  r.onMessage({ type: "recovered", branchId: 2, applied: [write("1.1"), write("2.1")], outcomes: 1, cutBytes: 12, cutReason: "torn record" });
  r.onMessage({ type: "recovered", branchId: 1, applied: [], outcomes: 0, cutBytes: 0 });
  await r.close();
  t.same(r.faultEvents, [
    "branch 2 recovered 2 writes and 1 outcomes from its log, cutting 12 bytes (torn record)",
    "branch 1 recovered 0 writes and 0 outcomes from its log",
  ]);
  const recorded = history().flatMap((h) => (h.type === "apply" ? h.writes.map((w) => `${h.branch}:${w.id}`) : []));
  t.same(recorded, ["2:1.1", "2:2.1"]);
});

t.test("fault events are kept in the order they happened", async (t) => {
  const { r } = recorder(t);
  r.fault("crashed branch 2 at 100 ms");
  r.fault("restarted branch 2 at 400 ms on 127.0.0.1:5002");
  await r.close();
  t.same(r.faultEvents, ["crashed branch 2 at 100 ms", "restarted branch 2 at 400 ms on 127.0.0.1:5002"]);
});
