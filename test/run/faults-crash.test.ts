// The fault matrix on a real cluster, crashes: a branch crashes and restarts
// from its log, and a worker thread is terminated with every branch it hosts,
// on the workload of test/helpers/fault-matrix.ts (its comment on HOLD says
// why each crash certainly happens and certainly makes a customer retry).
// Each run must show the crash, the recovery from the log and the restart in
// results.json, converge, lose no acknowledged write, and check clean. A crash
// needs the log: without one it is refused up front.

import t from "tap";
import { eventAt, faultCase, heldRequestRetried, HOLD, recoveredAfter, scenario, type Case } from "../helpers/fault-matrix.js";
import { runText } from "../helpers/run-scenario.js";

const cases: Case[] = [
  {
    name: "a crash and restart", faults: "crash=2@100ms:1500ms", delay: HOLD,
    injected: (t, r) => {
      const events = r.summary.faults.events;
      const crashed = eventAt(t, events, /^crashed branch 2 at \d+ ms$/);
      recoveredAfter(t, events, 2, crashed);
      heldRequestRetried(t, r);
    },
  },
  {
    name: "a worker thread terminated with its branches", faults: "crash-worker=2@100ms:1500ms", delay: HOLD,
    injected: (t, r) => {
      const events = r.summary.faults.events;
      const terminated = eventAt(t, events, /^terminated the worker of branch 2 \(branches [\d, ]+\) at \d+ ms$/);
      const down = (/\(branches ([\d, ]+)\)/.exec(events[terminated] ?? "")?.[1] ?? "").split(", ").map(Number);
      t.ok(down.includes(2), `the terminated worker hosted branch 2 (it hosted ${down.join(", ")})`);
      for (const b of down) recoveredAfter(t, events, b, terminated);
      heldRequestRetried(t, r);
    },
  },
];

for (const c of cases) faultCase(t, c);

t.test("a branch keeps no log with --no-durable, and then a crash is refused up front", async (t) => {
  await t.rejects(runText(t, scenario, "s", { durable: false, faults: "crash=1@10ms" }), { message: /a branch can only recover from a crash with its log/ });
});
