// Whole clusters: real gRPC servers in real worker threads, driven in process.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { refuses } from "../helpers/ports.js";
import t from "tap";
import { Cluster } from "../../lib/cluster/cluster.js";
import { BranchClients } from "../../lib/driver/branch-clients.js";
import { Session } from "../../lib/driver/customer.js";
import { seededRandom } from "../../lib/core/random.js";
import { awaitApplied, branchState } from "../helpers/admin-rpc.js";
import { checkHistory } from "../../lib/checker/checker.js";
import { generateScenario } from "../../lib/scenario/gen.js";
import type { CompleteRecord, HistoryRecord, InvokeRecord } from "../../lib/history/types.js";
import { COURSE } from "../helpers/paths.js";
import { runFile, runText } from "../helpers/run-scenario.js";

// Bounds on starting a cluster and on each call: generous, for a loaded
// machine. They catch a hang; none of them is what a test asserts.
const START_TIMEOUT_MS = 60_000;
const CALL_TIMEOUT_MS = 30_000;

function readHistoryLines(outDir: string): HistoryRecord[] {
  return readFileSync(join(outDir, "history.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as HistoryRecord);
}


function threadCount(): number {
  const m = /^Threads:\s+(\d+)/m.exec(readFileSync("/proc/self/status", "utf8"));
  return Number(m?.[1]);
}

t.test("--branches 25 runs a course scenario on 25 converged branches", async (t) => {
  const report = await runFile(t, join(COURSE, "p3_codlocker_input.json"), { branches: 25 });
  t.ok(report.ok, report.error ?? "run ok");
  t.equal(report.finals.length, 25);
  t.ok(report.finals.every((f) => f.balanceCents === 40000 && f.applied.get(1) === 1), "every branch applied 1.1 and holds 400");
  const output = JSON.parse(readFileSync(join(report.outDir, "output.json"), "utf8"));
  t.same(output, JSON.parse(readFileSync(join(COURSE, "p3_codlocker_input.expected.json"), "utf8")));
});

t.test("a concurrent generated workload converges and every query reflects its session's earlier writes", async (t) => {
  const seed = 11;
  t.comment(`seed ${seed}`);
  const scenario = generateScenario({ branches: 10, customers: 10, events: 20, seed, mix: { deposit: 4, withdraw: 3, query: 3 } });
  const report = await runText(t, JSON.stringify(scenario), `<gen seed ${seed}>`, { concurrent: true });
  t.ok(report.ok, report.error ?? "run ok");
  t.ok(report.converged);
  t.equal(report.outcomes.length, 200);
  t.ok(report.outcomes.every((o) => o.status === "ok"), "every operation completed");

  // From the history alone: each query's witness holds every write its session
  // had acknowledged before the query was invoked (Read Your Writes).
  const records = readHistoryLines(report.outDir);
  const invokes = new Map<number, InvokeRecord>();
  const written = new Map<string, Array<{ id: string; at: number }>>();
  const queries: Array<{ inv: InvokeRecord; done: CompleteRecord }> = [];
  for (const r of records) {
    if (r.type === "invoke") invokes.set(r.op, r);
    if (r.type === "complete" && r.status === "ok") {
      const inv = invokes.get(r.op)!;
      if (r.writeId) written.set(r.session, [...(written.get(r.session) ?? []), { id: r.writeId, at: r.monoMs }]);
      if (r.kind === "query") queries.push({ inv, done: r });
    }
  }
  let checked = 0;
  for (const { inv, done } of queries) {
    for (const w of written.get(inv.session) ?? []) {
      if (w.at > inv.monoMs) continue;
      const [b, s] = w.id.split(".").map(Number) as [number, number];
      const seen = (done.witness?.[String(b)] ?? 0) >= s;
      if (!seen) t.fail(`query op ${inv.op} of ${inv.session} at branch ${inv.branch} did not reflect ${w.id}`);
      checked++;
    }
  }
  t.ok(queries.length > 20, `${queries.length} queries`);
  t.ok(checked > 0, `${checked} (query, earlier write) pairs checked`);
  const finals = records.filter((r) => r.type === "final");
  t.equal(finals.length, 10);
});

t.test("with --overdraft-guard home no withdrawal overdraws, however customers interleave", async (t) => {
  const seed = 5;
  t.comment(`seed ${seed}`);
  const scenario = generateScenario({ branches: 5, customers: 10, events: 20, seed, mix: { deposit: 1, withdraw: 4, query: 1 } });
  const report = await runText(t, JSON.stringify(scenario), `<gen seed ${seed}>`, { concurrent: true, delay: "5..40ms", guarantees: "all", overdraftGuard: "home" });
  t.ok(report.ok, report.error ?? "run ok");
  const withdraws = report.outcomes.filter((o) => o.event.interface === "withdraw");
  t.ok(withdraws.length > 50);
  t.ok(withdraws.every((o) => o.servedBy === 1 || o.event.branch === 1), "branch 1 decided every withdraw");
  t.ok(report.outcomes.every((o) => o.balanceCents === undefined || o.balanceCents >= 0), "no reply showed a negative balance");
  t.ok(report.finals.every((f) => f.balanceCents >= 0));
  const check = checkHistory(readHistoryLines(report.outDir));
  t.ok(check.ok);
  t.same(check.violations.filter((v) => v.rule === "overdraft"), []);
});

t.test("stopping a cluster closes every port and ends every worker thread", async (t) => {
  const before = threadCount();
  const cluster = await Cluster.start({
    branchIds: [1, 2, 3, 4, 5], initialBalanceCents: 0, workers: 2, bindHost: "127.0.0.1", basePort: 0,
    gateTimeoutMs: 1000, batchMax: 64, inFlightMax: 4, delaySpec: "", delaySeed: 1, startTimeoutMs: START_TIMEOUT_MS, secret: "cluster-test-secret",
    onMessage: () => undefined,
  });
  t.teardown(() => cluster.stop());
  const addresses = [...cluster.addresses.values(), ...cluster.hosts.map((h) => h.address)];
  t.equal(addresses.length, 5 + cluster.hosts.length);
  t.ok(threadCount() > before, "workers are running");
  for (const a of addresses) t.notOk(await refuses(a), `${a} listens while the cluster runs`);
  await cluster.stop();
  for (const a of addresses) t.ok(await refuses(a), `${a} refuses connections after stop`);
  t.equal(threadCount(), before, "no worker thread outlives the cluster");
});

t.test("the State and AwaitApplied RPCs report a branch's state, and wait for writes it lacks", async (t) => {
  const cluster = await Cluster.start({
    branchIds: [1, 2], initialBalanceCents: 500, workers: 2, bindHost: "127.0.0.1", basePort: 0,
    gateTimeoutMs: 1000, batchMax: 64, inFlightMax: 4, delaySpec: "", delaySeed: 1, startTimeoutMs: START_TIMEOUT_MS, secret: "cluster-test-secret",
    onMessage: () => undefined,
  });
  t.teardown(() => cluster.stop());
  const clients = new BranchClients(cluster.addresses, cluster.secret);
  t.teardown(() => clients.close());
  const s = await branchState(clients, 2, CALL_TIMEOUT_MS);
  t.same({ ...s, applied: [...s.applied] }, { branch: 2, balanceCents: 500, applied: [], issued: 0, pending: 0 });
  await t.rejects(awaitApplied(clients, 2, new Map([[1, 1]]), 100), { message: /branch 2: branch 2 still missing 1\.1 after \d+ ms/ });
  const session = new Session("c1", 0, clients, { attemptsMax: 1, backoffMsMin: 1, backoffMsMax: 1, callTimeoutMs: CALL_TIMEOUT_MS }, { invoke: () => 1, complete: () => undefined }, seededRandom(1));
  const dep = await session.perform("deposit", 250, 1);
  t.equal(dep.writeId, "1.1");
  const after = await awaitApplied(clients, 2, new Map([[1, 1]]), CALL_TIMEOUT_MS);
  t.equal(after.balanceCents, 750);
  t.same([...after.applied], [[1, 1]]);
});

// Vectors cross the ports packed (vector-frame.ts), and a branch that applied
// exactly what it was asked to await answers without its vector: the states
// must come back whole either way.
t.test("awaitApplied gives each branch's applied set, whether it is exactly the need or more", async (t) => {
  const cluster = await Cluster.start({
    branchIds: [1, 2, 3], initialBalanceCents: 0, workers: 2, bindHost: "127.0.0.1", basePort: 0,
    gateTimeoutMs: 1000, batchMax: 64, inFlightMax: 4, delaySpec: "", delaySeed: 1, startTimeoutMs: START_TIMEOUT_MS, secret: "cluster-test-secret",
    onMessage: () => undefined,
  });
  t.teardown(() => cluster.stop());
  const clients = new BranchClients(cluster.addresses, cluster.secret);
  t.teardown(() => clients.close());
  const config = { attemptsMax: 1, backoffMsMin: 1, backoffMsMax: 1, callTimeoutMs: CALL_TIMEOUT_MS };
  const recorder = { invoke: () => 1, complete: () => undefined };
  t.equal((await new Session("c1", 0, clients, config, recorder, seededRandom(1)).perform("deposit", 250, 1)).writeId, "1.1");
  t.equal((await new Session("c3", 0, clients, config, recorder, seededRandom(1)).perform("deposit", 2 ** 40, 3)).writeId, "3.1");
  const all = new Map([[1, 1], [3, 1]]);
  const exact = await cluster.awaitApplied(all, CALL_TIMEOUT_MS);
  t.same(exact.map((s) => [s.branch, s.balanceCents, [...s.applied].sort()]), [1, 2, 3].map((b) => [b, 250 + 2 ** 40, [[1, 1], [3, 1]]]));
  all.set(2, 9);
  t.same([...exact[0]!.applied].sort(), [[1, 1], [3, 1]], "a state does not change with the vector it was asked for");
  const more = await cluster.awaitApplied(new Map([[1, 1]]), CALL_TIMEOUT_MS);
  t.same(more.map((s) => [s.branch, [...s.applied].sort()]), [1, 2, 3].map((b) => [b, [[1, 1], [3, 1]]]), "more than the need: each branch's own vector");
  const now = await cluster.awaitApplied(new Map(), CALL_TIMEOUT_MS);
  t.same(now.map((s) => [s.branch, s.issued, [...s.applied].sort()]), [[1, 1, [[1, 1], [3, 1]]], [2, 0, [[1, 1], [3, 1]]], [3, 1, [[1, 1], [3, 1]]]]);
});

t.test("a thread's messages reach the main thread in the order it sent them: a restart mark before the new incarnation's ready, a state after the applies before it", async (t) => {
  const seen: string[] = [];
  const cluster = await Cluster.start({
    branchIds: [1, 2, 3], initialBalanceCents: 0, workers: 2, bindHost: "127.0.0.1", basePort: 0, storeDir: t.testdir({}),
    gateTimeoutMs: 1000, batchMax: 64, inFlightMax: 4, delaySpec: "", delaySeed: 1, startTimeoutMs: START_TIMEOUT_MS, secret: "cluster-test-secret",
    onMessage: (m) => {
      if (m.type === "reports") for (const g of m.groups) for (const b of g.branches) seen.push(`applied ${b} ${g.writes.map((w) => w.id).join(",")}`);
      else seen.push(`${m.type} ${m.branchId}`);
    },
  });
  t.teardown(() => cluster.stop());
  const clients = new BranchClients(cluster.addresses, cluster.secret);
  t.teardown(() => clients.close());
  const session = new Session("c1", 0, clients, { attemptsMax: 1, backoffMsMin: 1, backoffMsMax: 1, callTimeoutMs: CALL_TIMEOUT_MS }, { invoke: () => 1, complete: () => undefined }, seededRandom(1));
  t.equal((await session.perform("deposit", 250, 1)).writeId, "1.1");
  const [state2] = (await cluster.awaitApplied(new Map([[1, 1]]), CALL_TIMEOUT_MS)).filter((s) => s.branch === 2);
  t.equal(state2?.balanceCents, 250);
  t.ok(seen.indexOf("applied 2 1.1") >= 0 && seen.indexOf("applied 2 1.1") < seen.indexOf("state 2"), "branch 2's apply of 1.1 came before its state");
  await cluster.crash(2);
  const crashedAt = seen.length;
  await cluster.restart(2, Date.now());
  const after = seen.slice(crashedAt);
  t.ok(after.includes("recovered 2") && after.indexOf("recovered 2") < after.indexOf("ready 2"), `the restart mark before the new incarnation's ready: ${after.join("; ")}`);
});

t.test("a branch that cannot start stops the whole cluster and says why", async (t) => {
  const blocker = await import("node:net").then((net) => new Promise<import("node:net").Server>((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => resolve(s));
  }));
  t.teardown(() => new Promise<void>((r) => blocker.close(() => r())));
  const port = (blocker.address() as { port: number }).port;
  const before = threadCount();
  await t.rejects(Cluster.start({
    branchIds: [1, 2], initialBalanceCents: 0, workers: 2, bindHost: "127.0.0.1", basePort: port - 2,
    gateTimeoutMs: 1000, batchMax: 64, inFlightMax: 4, delaySpec: "", delaySeed: 1, startTimeoutMs: START_TIMEOUT_MS, secret: "cluster-test-secret",
    onMessage: () => undefined,
  }), { message: new RegExp(`branch 2: cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`) });
  t.equal(threadCount(), before, "the workers of the failed start are gone");
});
