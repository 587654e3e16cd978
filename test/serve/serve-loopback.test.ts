// A served cluster end to end, on loopback: `cluster init` makes a cluster
// file with certificates, two `bank-sim serve` processes run its hosts,
// `bank-sim run --cluster` drives them and `check` judges the history; a host
// killed with SIGKILL comes back from its store and catches up; SIGTERM stops
// both, leaving no port listening and no lock file.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { clientTls, loadClusterFile, branchAddresses } from "../../lib/cluster/cluster-file.js";
import { ServedCluster } from "../../lib/driver/served-cluster.js";
import { issuedBy } from "../../lib/run/settle.js";
import { refuses } from "../helpers/ports.js";
import { ROOT } from "../helpers/paths.js";
import { runCli } from "../helpers/run-cli.js";
import { initTestCluster, serveHost } from "../helpers/served.js";

// This file's own time bound (tap's default is 120 s): about a minute idle (four served clusters started as processes); a busy machine takes several times that.
t.setTimeout(480_000);

function served(file: string): ServedCluster {
  const spec = loadClusterFile(file);
  const hostOf = new Map([...spec.branches].map(([b, p]) => [b, p.host]));
  return new ServedCluster({ addresses: branchAddresses(spec), hostOf, secret: spec.secret, tls: clientTls(spec)! });
}

t.test("two serve processes, driven by run --cluster, checked clean; a host killed -9 recovers from its store", async (t) => {
  const { dir, file } = await initTestCluster(t, { branches: 3, hosts: 2 });
  const h1 = await serveHost(t, file, 1);
  let h2 = await serveHost(t, file, 2);
  t.match(h1.stdout(), /branch 1 on 127\.0\.0\.1:\d+, branch 3 on 127\.0\.0\.1:\d+; replication on 127\.0\.0\.1:\d+; mutual TLS/);

  const gen = await runCli(t, ["gen", "--branches", "3", "--customers", "4", "--events", "15", "--seed", "5", "--balance", "100"]);
  const scenario = join(dir, "s.json");
  writeFileSync(scenario, gen.stdout);
  const out = join(dir, "out");
  const run = await runCli(t, ["run", scenario, "--cluster", file, "--out", out, "--concurrent", "--guarantees", "all"]);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /60 operations on 3 branches \(concurrent, guarantees mw,ryw,mr,wfr\).*converged/);
  const check = await runCli(t, ["check", out, "--json"]);
  t.equal(check.code, 0, check.stdout);
  const report = JSON.parse(check.stdout) as { verdict: string; counts: { violations: number }; summary: Array<{ rule: string; checked: number }> };
  t.equal(report.verdict, "ok");
  t.ok((report.summary.find((r) => r.rule === "MW")?.checked ?? 0) > 0, "apply records reached the history (MW judged)");

  // A second run on the same cluster is refused: its history could not be judged from the cluster's start.
  const again = await runCli(t, ["run", scenario, "--cluster", file, "--out", join(dir, "out2")]);
  t.equal(again.code, 2);
  t.match(again.stderr, /already holds writes/);

  const cluster = served(file);
  t.teardown(() => cluster.close());
  const before = await cluster.awaitApplied(new Map(), 10_000);
  const killed = await h2.stop("SIGKILL");
  t.equal(killed.signal, "SIGKILL");
  t.ok(existsSync(join(dir, "store/host-2/serve.lock")), "kill -9 leaves its lock behind");
  h2 = await serveHost(t, file, 2);
  // Every branch, host 2's restarted one included, holds every write again.
  const after = await cluster.awaitApplied(issuedBy(before), 30_000);
  t.same(after.map((s) => [s.branch, s.balanceCents, [...s.applied]]), before.map((s) => [s.branch, s.balanceCents, [...s.applied]]));

  const addresses = [...branchAddresses(loadClusterFile(file)).values()];
  for (const h of [h1, h2]) {
    const e = await h.stop("SIGTERM");
    t.equal(e.code, 0, `serve exits 0 on SIGTERM: ${h.stderr()}`);
    t.match(h.stderr(), /stopping/);
  }
  for (const a of addresses) t.ok(await refuses(a), `${a} no longer listens`);
  t.notOk(existsSync(join(dir, "store/host-1/serve.lock")), "no lock left behind");
  t.notOk(existsSync(join(dir, "store/host-2/serve.lock")), "no lock left behind");
});

t.test("a second serve of the same host is refused while the first runs", async (t) => {
  const { file } = await initTestCluster(t, { branches: 2, hosts: 2 });
  await serveHost(t, file, 1);
  const second = await runCli(t, ["serve", "--cluster", file, "--host-id", "1"]);
  t.equal(second.code, 2);
  t.match(second.stderr, /the store is in use by process \d+/);
});

t.test("a served cluster shows the RYW anomaly with guarantees none and prevents it with ryw", async (t) => {
  const scenario = join(ROOT, "examples", "anomalies", "ryw.json");
  for (const [g, anomalies, balance] of [["none", 1, 0], ["ryw", 0, 100]] as const) {
    const { dir, file } = await initTestCluster(t, { branches: 2, hosts: 2, initialBalanceCents: 0 });
    // Writes from branch 1 reach branch 2's host 2 s late (the fault shim: this kernel may have no netem).
    await serveHost(t, file, 1);
    await serveHost(t, file, 2, ["--delay", "1-2:2s"]);
    const out = join(dir, "out");
    const run = await runCli(t, ["run", scenario, "--cluster", file, "--out", out, "-g", g]);
    t.equal(run.code, 0, run.stderr);
    const recv = (JSON.parse(readFileSync(join(out, "output.json"), "utf8")) as Array<{ recv: Array<{ interface: string; balance?: number }> }>).flatMap((o) => o.recv);
    t.equal(recv.find((r) => r.interface === "query")?.balance, balance, `guarantees ${g}: the query at branch 2 returns ${balance}`);
    const check = await runCli(t, ["check", out, "--json"]);
    const report = JSON.parse(check.stdout) as { verdict: string; counts: { violations: number; anomalies: number } };
    t.equal(check.code, 0);
    t.same([report.counts.violations, report.counts.anomalies], [0, anomalies], `guarantees ${g}: ${anomalies} anomaly, no violation`);
  }
});
