// The probe behind the benchmark case `fanout` (fanout-bench.ts), run as a
// process of its own: what one host spends on each co-hosted replica for
// each write it fans out, the cost that makes CPU per operation grow with the
// number of branches. It builds `replicas` branches as a worker does (Branch,
// its reporter on the thread's HostReports, its BranchStore in a temporary
// directory unless in memory), hands each of them every write from peers
// with `take` as Host.deliverLocal does, and reads the reports back as the
// main thread does (the port's other end, each log line built): measured
// alone, in one thread, without the runs' noise of sockets and other threads.
//
// Usage: node fanout-probe.js <replicas> <writes> durable|mem [<parent dir>]
// (the stores go in a fresh directory under the parent, the system's temp
// directory by default, removed at the end). Prints one JSON line
// (FanoutProbe); exits 1 if a replica or a report is missing.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MessageChannel } from "node:worker_threads";
import { Branch, type BranchHooks } from "../core/branch.js";
import type { Write } from "../core/ledger.js";
import { logEntries } from "../hosting/applied-groups.js";
import { HostReports } from "../hosting/host-reports.js";
import type { ToMain } from "../hosting/worker-protocol.js";
import { BranchStore } from "../storage/branch-store.js";

export interface FanoutProbe {
  replicas: number;
  writes: number;
  durable: boolean;
  /** CPU of the measured writes (after a warm-up of a fifth as many), this process, ms. */
  cpuMs: number;
  /** cpuMs per replica per write, µs. */
  usPerApply: number;
  /** Replica-applies the reports named, and log lines read back: both replicas × writes (warm-up included). */
  reportedApplies: number;
  lines: number;
}

/** Writes from ten origins outside the host, a third of them withdraws that depend on the previous origin's latest. */
function peerWrites(n: number): Write[] {
  const seqs = new Array<number>(11).fill(0);
  return Array.from({ length: n }, (_, i) => {
    const origin = 1 + (i % 10);
    const deps = new Map<number, number>();
    if (i % 3 === 0 && origin > 1 && seqs[origin - 1]! > 0) deps.set(origin - 1, seqs[origin - 1]!);
    return { id: { branch: origin, seq: ++seqs[origin]! }, kind: i % 3 === 0 ? "withdraw" : "deposit", amountCents: 100, deps, acceptedAtMs: Date.now(), clock: i + 1 };
  });
}

function hooksFor(id: number, reports: HostReports, store: BranchStore | undefined): BranchHooks {
  const r = reports.forBranch(id);
  return {
    propagate: () => undefined,
    applied: (ws, clocks, balanceAfter) => r.applied(ws, clocks, balanceAfter),
    buffered: (ws) => r.held(ws),
    log: (line) => r.log(line),
    ...(store ? { persist: (records) => store.persist(records), queue: (ws) => store.queue(ws) } : {}),
  };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function probe(replicas: number, writes: number, durable: boolean, parent = tmpdir()): Promise<FanoutProbe> {
  const dir = mkdtempSync(join(parent, "bank-sim-fanout-"));
  const { port1, port2 } = new MessageChannel();
  const read = { applies: 0, lines: 0 };
  port2.on("message", (msg: ToMain) => {
    if (msg.type !== "reports") return;
    for (const g of msg.groups) read.applies += g.branches.length * g.writes.length;
    for (const _ of logEntries(msg)) read.lines++;
  });
  const reports = new HostReports();
  reports.adopt(port1);
  const ids = Array.from({ length: 10 + replicas }, (_, i) => i + 1);
  const stores: BranchStore[] = [];
  const branches = ids.slice(10).map((id) => {
    const store = durable ? BranchStore.open(dir, id).store : undefined;
    if (store) stores.push(store);
    return new Branch({ id, branchIds: ids, initialBalanceCents: 1_000_000_000, gateTimeoutMs: 5_000 }, hooksFor(id, reports, store));
  });
  try {
    const warm = Math.ceil(writes / 5);
    const all = peerWrites(warm + writes);
    // A host hands a window's writes on in one turn, then the loop runs its timers (the reports, the logs' flushes).
    const deliver = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        for (const b of branches) b.take([all[i]!]);
        if (i % 4 === 3) await turn();
      }
      await pause(30);
    };
    await deliver(0, warm);
    const before = process.cpuUsage();
    await deliver(warm, all.length);
    const used = process.cpuUsage(before);
    const cpuMs = (used.user + used.system) / 1000;
    const balances = new Set(branches.map((b) => b.state().balanceCents));
    if (balances.size !== 1) throw new Error(`fanout: the replicas disagree: balances ${[...balances].join(", ")}`);
    return { replicas, writes, durable, cpuMs: Math.round(cpuMs), usPerApply: Number(((1000 * cpuMs) / (replicas * writes)).toFixed(2)), reportedApplies: read.applies, lines: read.lines };
  } finally {
    for (const s of stores) await s.close();
    port1.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [replicas, writes, mode] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
  if (!Number.isSafeInteger(replicas) || replicas < 1 || !Number.isSafeInteger(writes) || writes < 1 || (mode !== "durable" && mode !== "mem")) {
    process.stderr.write("usage: fanout-probe <replicas ≥ 1> <writes ≥ 1> durable|mem\n");
    process.exit(2);
  }
  const r = await probe(replicas, writes, mode === "durable", process.argv[5]);
  const expected = replicas * Math.ceil(writes / 5) + replicas * writes;
  process.stdout.write(JSON.stringify(r) + "\n");
  if (r.reportedApplies !== expected || r.lines !== expected) {
    process.stderr.write(`fanout: expected ${expected} reported applies and lines, found ${r.reportedApplies} and ${r.lines}\n`);
    process.exit(1);
  }
}
