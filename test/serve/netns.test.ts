// A served cluster across real network boundaries: each host a `bank-sim
// serve` in its own network namespace, the driver (`bank-sim run --cluster`)
// in another, all joined by veth pairs to a bridge, with real faults on the
// links: a partition (a host's link down, then up), `kill -9` of a host and
// its restart from its store, random loss of TCP segments and a partition
// between two hosts by nftables drop rules (where `nft` runs), and, where the
// kernel has netem, delay, loss and reordering. With every guarantee on the checker is clean and every
// branch ends with every write. Skipped, with the reason, without root or
// `ip netns`.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import { runCli, spawnCli, type CliResult, type LiveProcess } from "../helpers/run-cli.js";
import { initTestCluster } from "../helpers/served.js";
import { namespacesOf, Network, netemUnavailable, netnsUnavailable, nftUnavailable } from "../helpers/netns.js";

// This file's own time bound (tap's default is 120 s): about 3 minutes idle (nine clusters, each 3 hosts started as processes in namespaces, and their runs); a busy machine takes several times that.
t.setTimeout(900_000);

const skip = netnsUnavailable();
const noNetem = skip ?? netemUnavailable();
const noNft = skip ?? nftUnavailable();
const HOSTS = 3;
const DRIVER = HOSTS + 1;

interface Served {
  net: Network;
  dir: string;
  file: string;
  hosts: LiveProcess[];
}

async function serveIn(t: Test, net: Network, file: string, id: number): Promise<LiveProcess> {
  const p = spawnCli(t, ["serve", "--cluster", file, "--host-id", String(id)], { prefix: net.exec(id) });
  await p.waitFor(new RegExp(`host ${id} ready`));
  return p;
}

async function startServed(t: Test, net: Network, branches = HOSTS, guarantees = "all"): Promise<Served> {
  const addresses = Array.from({ length: HOSTS }, (_, i) => Network.address(i + 1));
  const { dir, file } = await initTestCluster(t, { branches, hosts: HOSTS, addresses, basePort: 7400 });
  const json = JSON.parse(readFileSync(file, "utf8")) as { guarantees: string[] };
  json.guarantees = guarantees === "none" ? [] : ["mw", "ryw", "mr", "wfr"];
  writeFileSync(file, JSON.stringify(json));
  const hosts = await Promise.all(Array.from({ length: HOSTS }, (_, i) => serveIn(t, net, file, i + 1)));
  return { net, dir, file, hosts };
}

async function workload(t: Test, s: Served, seed: number, events = 30): Promise<string> {
  const gen = await runCli(t, ["gen", "--branches", String(HOSTS), "--customers", "4", "--events", String(events), "--seed", String(seed), "--balance", "100"]);
  const path = join(s.dir, `w${seed}.json`);
  writeFileSync(path, gen.stdout);
  return path;
}

/** Runs from the driver's namespace; resolves with the result and the out dir. */
async function drive(t: Test, s: Served, scenario: string, extra: string[] = [], out = newOut(s)): Promise<{ run: CliResult; out: string }> {
  const run = await runDriver(t, s.net, ["run", scenario, "--cluster", s.file, "--out", out, ...extra]);
  return { run, out };
}

function newOut(s: Served): string {
  return join(s.dir, `out-${Math.random().toString(36).slice(2, 8)}`);
}

/** Resolves once the run writing `out` has invoked `n` operations (faults then hit a run in full flight). */
async function invoked(out: string, n: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let text = "";
    try {
      text = readFileSync(join(out, "history.jsonl"), "utf8");
    } catch {
      // not yet created
    }
    if ((text.match(/"type":"invoke"/g) ?? []).length >= n) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the run in ${out} did not reach ${n} operations`);
}

function runDriver(t: Test, net: Network, args: string[]): Promise<CliResult> {
  const p = spawnCli(t, args, { prefix: net.exec(DRIVER) });
  return p.stop("SIGCONT").then((e) => ({ code: e.code, signal: e.signal, stdout: p.stdout(), stderr: p.stderr() }));
}

interface CheckJson { verdict: string; counts: { violations: number; anomalies: number } }

async function checkOut(t: Test, out: string): Promise<CheckJson> {
  const r = await runCli(t, ["check", out, "--json"]);
  return JSON.parse(r.stdout) as CheckJson;
}

function results(out: string): { converged: boolean; summary: { operations: number; faults: { retries: number; unknownOutcomes: number } }; branches: Array<{ applied: unknown }> } {
  return JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
}

/** The resend counts the hosts print as they stop. */
async function stopAll(t: Test, s: Served): Promise<number> {
  let resent = 0;
  for (const h of s.hosts) {
    const e = await h.stop("SIGTERM");
    t.equal(e.code, 0, `serve stops cleanly: ${h.stderr().slice(-500)}`);
    resent += Number(/(\d+) resent/.exec(h.stderr())?.[1] ?? 0);
  }
  return resent;
}

function faultRow(t: Test, fault: string, injected: string, resent: number, out: string, check: CheckJson): void {
  const r = results(out);
  t.comment(`fault table: ${fault} | ${injected} | resends ${resent} | retries ${r.summary.faults.retries} | unknown ${r.summary.faults.unknownOutcomes} | violations ${check.counts.violations}`);
}

/** Drops counted by every host's nft rules, and TCP segments every node (driver too) retransmitted. */
function lossCounts(net: Network): { dropped: number; retransmits: number } {
  let dropped = 0, retransmits = 0;
  for (let i = 1; i <= HOSTS; i++) dropped += net.dropped(i);
  for (let i = 1; i <= DRIVER; i++) retransmits += net.tcpRetransmits(i);
  return { dropped, retransmits };
}

/** Every branch ended with the same applied set: every acknowledged write is everywhere. */
function everyWriteEverywhere(t: Test, out: string): void {
  const r = results(out);
  t.ok(r.converged, "converged");
  const sets = r.branches.map((b) => JSON.stringify(b.applied));
  t.equal(new Set(sets).size, 1, "every branch applied the same writes");
}

/** A run that ended clean: the checker says ok with no violation, every write is everywhere, the hosts stop cleanly (their resends). */
async function endedClean(t: Test, s: Served, out: string): Promise<{ check: CheckJson; resent: number }> {
  const check = await checkOut(t, out);
  t.equal(check.verdict, "ok");
  t.equal(check.counts.violations, 0, "no violations");
  everyWriteEverywhere(t, out);
  return { check, resent: await stopAll(t, s) };
}

t.test("served hosts in network namespaces", { skip: skip ?? false }, async (t) => {
  const net = Network.create(t, DRIVER);
  const tag = net.tag;

  t.test("a partition: host 3's link down, then healed; links resend, nothing is lost", async (t) => {
    const s = await startServed(t, net);
    const scenario = await workload(t, s, 11, 150);
    const out = newOut(s);
    const driving = drive(t, s, scenario, ["--concurrent"], out);
    t.teardown(() => net.setLink(3, true));
    await invoked(out, 40);
    net.setLink(3, false);
    await new Promise((r) => setTimeout(r, 2_000));
    net.setLink(3, true);
    const { run } = await driving;
    t.equal(run.code, 0, run.stderr);
    const { check, resent } = await endedClean(t, s, out);
    faultRow(t, "partition (host 3 link down 2 s)", "1 partition", resent, out, check);
  });

  t.test("kill -9 of a host mid-run, restarted from its store", async (t) => {
    const s = await startServed(t, net);
    const scenario = await workload(t, s, 12, 150);
    const out = newOut(s);
    const driving = drive(t, s, scenario, ["--concurrent"], out);
    await invoked(out, 40);
    const killed = await s.hosts[1]!.stop("SIGKILL");
    t.equal(killed.signal, "SIGKILL");
    await new Promise((r) => setTimeout(r, 500));
    s.hosts[1] = await serveIn(t, net, s.file, 2);
    t.match(s.hosts[1].stderr() + s.hosts[1].stdout(), /ready/);
    const { run } = await driving;
    t.ok(run.code === 0 || /did not complete/.test(run.stderr), run.stderr);
    const { check, resent } = await endedClean(t, s, out);
    faultRow(t, "kill -9 host 2, restart 0.5 s later", "1 kill", resent, out, check);
  });

  t.test("netem delay: anomalies with guarantees none, none with them on", { skip: noNetem ?? false }, async (t) => {
    for (const guarantees of ["none", "all"]) {
      const s = await startServed(t, net, HOSTS, guarantees);
      for (let i = 1; i <= HOSTS; i++) net.netem(i, ["delay", "150ms", "50ms"]);
      t.teardown(() => { for (let i = 1; i <= HOSTS; i++) net.netem(i, []); });
      const scenario = await workload(t, s, 13, 25);
      const { run, out } = await drive(t, s, scenario, ["--concurrent"]);
      t.equal(run.code, 0, run.stderr);
      const check = await checkOut(t, out);
      if (guarantees === "none") t.ok(check.counts.anomalies > 0, `anomalies with guarantees none: ${check.counts.anomalies}`);
      else t.equal(check.counts.anomalies + check.counts.violations, 0, "none with every guarantee on");
      for (let i = 1; i <= HOSTS; i++) net.netem(i, []);
      const resent = await stopAll(t, s);
      faultRow(t, `netem delay 150±50 ms, guarantees ${guarantees}`, "every link", resent, out, check);
    }
  });

  t.test("delay by the fault shim (serve --delay): anomalies with guarantees none, none with every guarantee on", async (t) => {
    for (const g of ["none", "all"]) {
      const addresses = Array.from({ length: HOSTS }, (_, i) => Network.address(i + 1));
      const { dir, file } = await initTestCluster(t, { branches: HOSTS, hosts: HOSTS, addresses, basePort: 7400 });
      const hosts = await Promise.all(Array.from({ length: HOSTS }, async (_, i) => {
        const p = spawnCli(t, ["serve", "--cluster", file, "--host-id", String(i + 1), "--delay", "20..200ms"], { prefix: net.exec(i + 1) });
        await p.waitFor(new RegExp(`host ${i + 1} ready`));
        return p;
      }));
      const s: Served = { net, dir, file, hosts };
      const scenario = await workload(t, s, 15, 25);
      const { run, out } = await drive(t, s, scenario, ["--concurrent", "-g", g]);
      t.equal(run.code, 0, run.stderr);
      const check = await checkOut(t, out);
      t.equal(check.counts.violations, 0, `guarantees ${g}: no violations`);
      if (g === "none") t.ok(check.counts.anomalies > 0, `guarantees none: ${check.counts.anomalies} anomalies`);
      else t.equal(check.counts.anomalies, 0, "every guarantee on: no anomalies");
      everyWriteEverywhere(t, out);
      const resent = await stopAll(t, s);
      faultRow(t, `serve --delay 20..200ms, guarantees ${g}`, "every write", resent, out, check);
    }
  });

  t.test("netem loss and reordering: links resend, nothing lost", { skip: noNetem ?? false }, async (t) => {
    const s = await startServed(t, net);
    for (let i = 1; i <= HOSTS; i++) net.netem(i, ["delay", "10ms", "reorder", "25%", "50%", "loss", "10%"]);
    t.teardown(() => { for (let i = 1; i <= HOSTS; i++) net.netem(i, []); });
    const scenario = await workload(t, s, 14, 30);
    const { run, out } = await drive(t, s, scenario, ["--concurrent"]);
    t.equal(run.code, 0, run.stderr);
    const check = await checkOut(t, out);
    t.equal(check.verdict, "ok");
    everyWriteEverywhere(t, out);
    const resent = await stopAll(t, s);
    faultRow(t, "netem loss 10%, reorder 25%", "every link", resent, out, check);
  });

  t.test("nft random loss of 15% of the TCP segments arriving at every host: TCP and the links resend, nothing lost", { skip: noNft ?? false }, async (t) => {
    const s = await startServed(t, net);
    const undrop = (): void => { for (let i = 1; i <= HOSTS; i++) net.undrop(i); };
    t.teardown(undrop);
    const before = lossCounts(net);
    for (let i = 1; i <= HOSTS; i++) net.drop(i, "meta l4proto tcp numgen random mod 100 < 15");
    const scenario = await workload(t, s, 16, 150);
    const { run, out } = await drive(t, s, scenario, ["--concurrent"]);
    const after = lossCounts(net);
    undrop();
    t.equal(run.code, 0, run.stderr);
    const { check, resent } = await endedClean(t, s, out);
    const dropped = after.dropped - before.dropped;
    const retransmits = after.retransmits - before.retransmits;
    t.ok(dropped > 0, `the kernel dropped segments: ${dropped}`);
    t.ok(resent + retransmits > 0, `lost segments were sent again: ${retransmits} TCP retransmits, ${resent} link resends`);
    faultRow(t, "nft drop 15% of TCP into every host", `${dropped} segments dropped, ${retransmits} TCP retransmits`, resent, out, check);
  });

  t.test("a partition by nft: every packet between hosts 2 and 3 dropped for 2 s, then the rules deleted", { skip: noNft ?? false }, async (t) => {
    const s = await startServed(t, net);
    const heal = (): void => { net.undrop(2); net.undrop(3); };
    t.teardown(heal);
    const scenario = await workload(t, s, 17, 150);
    const out = newOut(s);
    const driving = drive(t, s, scenario, ["--concurrent"], out);
    await invoked(out, 40);
    net.drop(2, `ip saddr ${Network.address(3)}`);
    net.drop(3, `ip saddr ${Network.address(2)}`);
    await new Promise((r) => setTimeout(r, 2_000));
    const dropped = net.dropped(2) + net.dropped(3);
    heal();
    const { run } = await driving;
    t.equal(run.code, 0, run.stderr);
    const { check, resent } = await endedClean(t, s, out);
    t.ok(dropped > 0, `the partition dropped packets: ${dropped}`);
    faultRow(t, "partition by nft (hosts 2 and 3 apart 2 s)", `${dropped} packets dropped`, resent, out, check);
  });

  t.test("the network is removed", async (t) => {
    net.destroy();
    t.same(namespacesOf(tag), [], "no namespace outlives the test");
  });
});
