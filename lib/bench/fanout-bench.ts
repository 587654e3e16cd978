// The benchmark case `fanout`: the per-replica cost of replication on one
// host (fanout-probe.ts), the part of CPU per operation that grows with the
// number of branches, at 10, 100 and 500 co-hosted replicas (what each of
// the two workers holds at 1,000 branches), durable and in memory. Each
// size runs the same number of replica-applies, in a process of its own;
// repetitions interleave the sizes. Free of the runs' sockets and threads,
// it tells a change to the fan-out path apart from the machine's noise
// where whole runs cannot (their CPU moves by a tenth from run to run).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FanoutProbe } from "./fanout-probe.js";
import { cleanUpOnSignal, median, timed } from "./timed.js";

const PROBE = fileURLToPath(new URL("./fanout-probe.js", import.meta.url));
const SIZES = [10, 100, 500];
/** Replica-applies per size: about a second of CPU each. */
const APPLIES = 300_000;

export interface FanoutRow {
  replicas: number;
  writes: number;
  durable: boolean;
  /** Every repetition's µs per replica-apply, and their median. */
  usPerApply: number[];
  medianUsPerApply: number;
}

export interface FanoutReport {
  case: "fanout";
  rows: FanoutRow[];
}

async function once(replicas: number, durable: boolean, dir: string, scale: number): Promise<FanoutProbe> {
  const writes = Math.max(1, Math.round((scale * APPLIES) / replicas));
  const u = await timed([PROBE, String(replicas), String(writes), durable ? "durable" : "mem", dir], join(dir, "usage.json"));
  if (u.code !== 0) throw new Error(`bench fanout: the probe (${replicas} replicas, ${writes} writes) exited ${u.code}\n${u.stderr}`);
  return JSON.parse(u.stdout) as FanoutProbe;
}

/** `scale` shrinks the work (a test's quick look); 1 for the benchmark. */
export async function runFanoutBench(reps: number, log: (line: string) => void, scale = 1): Promise<FanoutReport> {
  const dir = mkdtempSync(join(tmpdir(), "bank-sim-bench-"));
  const release = cleanUpOnSignal(() => rmSync(dir, { recursive: true, force: true }));
  try {
    return await fanoutRows(reps, dir, log, scale);
  } finally {
    release();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fanoutRows(reps: number, dir: string, log: (line: string) => void, scale: number): Promise<FanoutReport> {
  const rows: FanoutRow[] = [];
  for (const durable of [true, false]) for (const replicas of SIZES) rows.push({ replicas, writes: 0, durable, usPerApply: [], medianUsPerApply: 0 });
  for (let rep = 1; rep <= reps; rep++) {
    log(`fanout: repetition ${rep} of ${reps}...`);
    for (const row of rows) {
      const p = await once(row.replicas, row.durable, dir, scale);
      row.writes = p.writes;
      row.usPerApply.push(p.usPerApply);
    }
  }
  for (const row of rows) row.medianUsPerApply = median(row.usPerApply);
  return { case: "fanout", rows };
}

export function formatFanoutTable(r: FanoutReport): string {
  const base = (durable: boolean) => r.rows.find((x) => x.durable === durable && x.replicas === SIZES[0])?.medianUsPerApply ?? NaN;
  const lines = [
    "fanout: one host hands every write from peers to each co-hosted replica (take), logs it (durable) and reports it; CPU µs per replica per write, medians",
    "| replicas | writes | mode | µs per replica-apply (each) | µs per replica-apply | × at 10 replicas |",
    "|---|---|---|---|---|---|",
    ...r.rows.map((x) => `| ${x.replicas} | ${x.writes} | ${x.durable ? "durable" : "mem"} | ${x.usPerApply.join(", ")} | ${x.medianUsPerApply.toFixed(2)} | ${(x.medianUsPerApply / base(x.durable)).toFixed(2)} |`),
  ];
  return lines.join("\n") + "\n";
}
