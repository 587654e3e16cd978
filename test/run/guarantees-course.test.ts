// The course's MW and RYW fixtures end to end on a real cluster: with the
// guarantees off (--guarantees none --delay D on every link) each shows its
// anomaly, and with the default guarantees it does not, at the cost of a wait
// at the gate. The anomalies are certain for the reason test/helpers/
// guarantees.ts gives: a delay of seconds against a customer's next request,
// which needs milliseconds.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import type { TestRun as RunReport } from "../helpers/run-scenario.js";
import { balanceOf, check, D, eventOf, found, GATE_TIMEOUT_MS } from "../helpers/guarantees.js";
import { COURSE } from "../helpers/paths.js";
import { runFile } from "../helpers/run-scenario.js";

t.test(`course fixtures under --guarantees none --delay ${D}ms show the anomalies, and not with the default guarantees`, async (t) => {
  const mwFile = join(COURSE, "p3_CliffordCheefoon_monotonic_writes.json");
  const rywFile = join(COURSE, "p3_CliffordCheefoon_read_your_writes.json");
  const output = (run: RunReport) => JSON.parse(readFileSync(join(run.outDir, "output.json"), "utf8")) as unknown;
  const expected = (name: string) => JSON.parse(readFileSync(join(COURSE, name), "utf8")) as unknown;
  const delay = `${D}ms`;

  t.test("MW fixture, guarantees off: the withdraw at branch 2 fails and the 400 stays", async (t) => {
    const run = await runFile(t, mwFile, { guarantees: "none", delay });
    t.ok(run.ok && run.converged);
    t.equal(eventOf(run, 2).result, "fail", "the withdraw at branch 2 is refused: the deposit has not arrived");
    t.equal(balanceOf(run, 3), 0, "the query at branch 2 returns 0 (as in the expected output, by coincidence)");
    t.same(run.finals.map((f) => f.balanceCents), [40_000, 40_000], "every branch ends with the 400 the withdraw should have taken");
    const report = await check(t, run);
    t.ok(report.ok);
    // The refused withdraw read the balance too, so it misses the session's deposit as a read (RYW) and as a decided write (MW).
    t.same(found(report), ["MW anomaly c1 2 #1,#2", "RYW anomaly c1 2 #1,#2", "RYW anomaly c1 2 #1,#3"]);
  });

  t.test("MW fixture, default guarantees: the withdraw waits for the deposit and succeeds", async (t) => {
    const run = await runFile(t, mwFile, { delay, gateTimeout: GATE_TIMEOUT_MS });
    t.ok(run.ok && run.converged);
    t.same(output(run), expected("p3_CliffordCheefoon_monotonic_writes.expected.json"));
    const withdraw = eventOf(run, 2);
    t.equal(withdraw.result, "success");
    t.ok(withdraw.gateWaitMs >= D / 2, `the withdraw waited ${withdraw.gateWaitMs} ms at the gate`);
    t.same(run.finals.map((f) => f.balanceCents), [0, 0]);
    const report = await check(t, run);
    t.ok(report.ok);
    t.same(found(report), []);
  });

  t.test("RYW fixture, guarantees off: the query at branch 2 returns 0", async (t) => {
    const run = await runFile(t, rywFile, { guarantees: "none", delay });
    t.ok(run.ok && run.converged);
    t.same(output(run), [{ id: 1, balance: 0 }]);
    const report = await check(t, run);
    t.ok(report.ok);
    t.same(found(report), ["RYW anomaly c1 2 #1,#2"]);
  });

  t.test("RYW fixture, default guarantees: the query waits and returns 400", async (t) => {
    const run = await runFile(t, rywFile, { delay, gateTimeout: GATE_TIMEOUT_MS });
    t.ok(run.ok && run.converged);
    t.same(output(run), expected("p3_CliffordCheefoon_read_your_writes.expected.json"));
    const query = eventOf(run, 2);
    t.ok(query.gateWaitMs >= D / 2, `the query waited ${query.gateWaitMs} ms at the gate`);
    const report = await check(t, run);
    t.ok(report.ok);
    t.same(found(report), []);
  });
});
