// The benchmark case `netns-4h`: the same workload as b10-c10-e100, on a
// served cluster of 4 hosts, each a `bank-sim serve` in its own network
// namespace with 1 ms of netem delay on its link (when the kernel has netem;
// the report says when it does not), driven by `bank-sim run --cluster` from
// a fifth namespace; and, beside it, the same scenario on the in-process
// cluster. Both histories go through the checker. Needs root and `ip netns`.
// Everything it makes (namespaces, processes, the temp dir) is removed at
// the end, also on failure and on Ctrl-C.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkHistoryFile } from "../checker/check-file.js";
import { initCluster } from "../cluster/cluster-init.js";
import type { RunSummary } from "../run/results.js";
import { DEFAULT_MIX, generateScenario } from "../scenario/gen.js";
import { Network, netemUnavailable, netnsUnavailable } from "./netns.js";

const BIN = fileURLToPath(new URL("../../../bin/bank-sim", import.meta.url));
const HOSTS = 4;

export interface NetnsRow {
  cluster: string;
  wallMs: number;
  opsPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  violations: number;
  converged: boolean;
}

export interface NetnsReport {
  case: "netns-4h";
  netem: string;
  rows: NetnsRow[];
}

function spawnBin(args: string[], prefix: string[] = []): ChildProcess {
  const argv = [...prefix, process.execPath, BIN, ...args];
  return spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
}

function finished(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stderr })));
}

function ready(child: ChildProcess, id: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.includes(`host ${id} ready`)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`serve host ${id} exited (${code}) before it was ready`)));
  });
}

async function timedRun(args: string[], out: string, prefix: string[], label: string): Promise<NetnsRow> {
  const started = performance.now();
  const r = await finished(spawnBin([...args, "--out", out, "--concurrent", "--guarantees", "all"], prefix));
  const wallMs = performance.now() - started;
  if (r.code !== 0) throw new Error(`netns-4h: ${label} run exited ${r.code}: ${r.stderr}`);
  const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as { summary: RunSummary; converged: boolean };
  const report = await checkHistoryFile(out);
  return {
    cluster: label, wallMs, opsPerSec: results.summary.opsPerSec, latencyP50Ms: results.summary.latency.p50Ms ?? 0, latencyP99Ms: results.summary.latency.p99Ms ?? 0,
    violations: report.counts.violations, converged: results.converged,
  };
}

export async function runNetnsBench(log: (line: string) => void): Promise<NetnsReport> {
  const why = netnsUnavailable();
  if (why) throw new Error(`netns-4h: ${why}`);
  const netem = netemUnavailable();
  const dir = mkdtempSync(join(tmpdir(), "bank-sim-netns-"));
  const cleanups: Array<() => unknown> = [];
  const cleanup = () => {
    for (const f of cleanups.splice(0).reverse()) f();
  };
  const onSignal = () => {
    cleanup();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const net = Network.create({ teardown: (f) => cleanups.push(f) }, HOSTS + 1);
    if (!netem) for (let i = 1; i <= HOSTS + 1; i++) net.netem(i, ["delay", "1ms"]);
    const file = join(dir, "cluster.json");
    initCluster({
      out: file, branches: 10, hosts: HOSTS, addresses: Array.from({ length: HOSTS }, (_, i) => Network.address(i + 1)),
      basePort: 7400, initialBalanceCents: 40_000, guarantees: ["mw", "ryw", "mr", "wfr"], insecure: false,
    });
    const scenario = join(dir, "s.json");
    writeFileSync(scenario, JSON.stringify(generateScenario({ branches: 10, customers: 10, events: 100, seed: 1, mix: DEFAULT_MIX })));
    const serves = Array.from({ length: HOSTS }, (_, i) => spawnBin(["serve", "--cluster", file, "--host-id", String(i + 1)], net.exec(i + 1)));
    for (const s of serves) cleanups.push(() => s.exitCode === null && s.signalCode === null && s.kill("SIGKILL"));
    await Promise.all(serves.map((s, i) => ready(s, i + 1)));
    log(`netns-4h: ${HOSTS} hosts ready${netem ? ` (no netem delay: ${netem})` : ", 1 ms netem delay on every link"}`);
    const served = await timedRun(["run", scenario, "--cluster", file], join(dir, "out-served"), net.exec(HOSTS + 1), `served, ${HOSTS} hosts in namespaces`);
    await Promise.all(serves.map((s) => (s.kill("SIGTERM"), finished(s))));
    const local = await timedRun(["run", scenario], join(dir, "out-local"), [], "in-process (worker threads)");
    return { case: "netns-4h", netem: netem ? `unavailable: ${netem}` : "delay 1ms on every link", rows: [served, local] };
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    cleanup();
  }
}

export function formatNetnsTable(r: NetnsReport): string {
  const lines = [`netns-4h: 10 branches, 10 customers × 100, --concurrent --guarantees all; netem: ${r.netem}`,
    "| cluster | wall s | ops/s | latency p50/p99 ms | violations | converged |", "|---|---|---|---|---|---|"];
  for (const x of r.rows) {
    lines.push(`| ${x.cluster} | ${(x.wallMs / 1000).toFixed(2)} | ${Math.round(x.opsPerSec)} | ${x.latencyP50Ms.toFixed(1)}/${x.latencyP99Ms.toFixed(1)} | ${x.violations} | ${x.converged ? "yes" : "no"} |`);
  }
  return lines.join("\n") + "\n";
}
