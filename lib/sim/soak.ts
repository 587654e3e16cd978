// `npm run soak`: runs simulator seeds back to back for a while and stops at
// the first failing seed, printing it with its replay command and the path of
// its history (exit 1). `--seed N` replays one seed exactly and prints its
// report. Progress (seeds per minute, faults injected: the network's, the
// disks', crashes and restarts) every few seconds. A seed fails on the
// checker's verdict or on a broken durability invariant (lib/sim/durability.ts).
//
//   npm run soak                        2 minutes from a random starting seed
//   npm run soak -- --minutes 10 --start 1000
//   npm run soak -- --seed 1234         replay one seed
//   npm run soak -- --break-gate mr     test hook: break the gate, watch it fail
//   npm run soak -- --break-durability ack-before-sync   (or forget-outcomes) likewise

import { addMachineTotals, noMachineTotals, type MachineTotals } from "./sim-branches.js";
import { addNetworkTotals, noNetworkTotals, type NetworkTotals } from "./sim-network.js";
import { randomInt } from "node:crypto";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { formatReport } from "../checker/report.js";
import { parseGuarantees, type GuaranteeName } from "../core/gate.js";
import { brokenDurability, parseDurabilityBreak } from "./broken-durability.js";
import { brokenGateBranches } from "./broken-gate.js";
import { describeFailure, replayCommand, saveHistory, type ReplayFlags } from "./failure.js";
import { configForSeed, describeOptions, passed, simulate, type SimOptions, type SimResult } from "./simulator.js";

const USAGE =
  "usage: npm run soak -- [--minutes M] [--start SEED] [--seed SEED] [--guarantees all|none|mw,ryw,mr,wfr] [--break-gate LIST] " +
  "[--break-durability ack-before-sync|forget-outcomes] [--out DIR]";
const PROGRESS_MS = 10_000;
const MINUTES_MAX = 24 * 60;

interface SoakArgs {
  minutes: number;
  start: number | undefined;
  seed: number | undefined;
  flags: ReplayFlags & { guarantees: readonly GuaranteeName[] };
  out: string;
}

function parseSeed(name: string, text: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) > 0xffffffff) throw new Error(`--${name}: expected an integer from 0 to ${0xffffffff}, found ${JSON.stringify(text)}`);
  return Number(text);
}

function parse(argv: string[]): SoakArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: "string" },
      start: { type: "string" },
      seed: { type: "string" },
      guarantees: { type: "string" },
      "break-gate": { type: "string" },
      "break-durability": { type: "string" },
      out: { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  const minutes = values.minutes === undefined ? 2 : Number(values.minutes);
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > MINUTES_MAX) {
    throw new Error(`--minutes: expected a number above 0 and at most ${MINUTES_MAX}, found ${JSON.stringify(values.minutes)}`);
  }
  const guarantees = parseGuarantees(values.guarantees ?? "all");
  const breakGate = parseGuarantees(values["break-gate"] ?? "none");
  const flags: SoakArgs["flags"] = { guarantees, breakGate };
  if (values["break-durability"] !== undefined) flags.breakDurability = parseDurabilityBreak(values["break-durability"]);
  return {
    minutes,
    start: values.start === undefined ? undefined : parseSeed("start", values.start),
    seed: values.seed === undefined ? undefined : parseSeed("seed", values.seed),
    flags,
    out: values.out ?? tmpdir(),
  };
}

function optionsFor(seed: number, flags: SoakArgs["flags"]): SimOptions {
  const o = configForSeed(seed, flags.guarantees);
  if (flags.breakGate !== undefined && flags.breakGate.length > 0) o.makeBranch = brokenGateBranches(flags.breakGate);
  if (flags.breakDurability !== undefined) o.makeBranch = brokenDurability(flags.breakDurability, o.makeBranch);
  return o;
}

async function runOne(o: SimOptions): Promise<SimResult | Error> {
  try {
    return await simulate(o);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

async function replay(args: SoakArgs, seed: number): Promise<number> {
  const o = optionsFor(seed, args.flags);
  const r = await runOne(o);
  if (r instanceof Error) {
    console.error(describeFailure(o, args.flags, r));
    return 1;
  }
  const path = saveHistory(args.out, seed, r.history);
  console.log(describeOptions(o));
  console.log(`stats: ${JSON.stringify(r.stats)}`);
  console.log(`history: ${path}`);
  if (r.breaches.length > 0) console.log(["", "durability invariants broken:", ...r.breaches.map((b) => `  ${b}`)].join("\n"));
  console.log("");
  process.stdout.write(formatReport(r.report, { limitPerRule: 10 }));
  return passed(r) ? 0 : 1;
}

interface Totals extends MachineTotals, NetworkTotals {
  seeds: number; ops: number; unknown: number; partitions: number; overdrafts: number;
}

function add(totals: Totals, r: SimResult): void {
  const m = r.stats.machines;
  totals.seeds++;
  totals.ops += r.stats.operations;
  totals.unknown += r.stats.sessions.unknown;
  addNetworkTotals(totals, r.stats.network);
  totals.partitions += r.stats.partitions;
  totals.overdrafts += r.report.violations.filter((v) => v.rule === "overdraft").length;
  addMachineTotals(totals, m);
}

async function soak(args: SoakArgs): Promise<number> {
  const start = args.start ?? randomInt(0, 0x7fffffff);
  const started = performance.now();
  const deadline = started + args.minutes * 60_000;
  let nextProgress = started + PROGRESS_MS;
  const totals: Totals = {
    seeds: 0, ops: 0, unknown: 0, partitions: 0, overdrafts: 0, ...noNetworkTotals(), ...noMachineTotals(),
  };
  console.log(`soak: ${args.minutes} min from seed ${start}, guarantees ${args.flags.guarantees.join(",") || "none"}${breaks(args.flags)}`);
  const progress = (now: number) => {
    const min = (now - started) / 60_000;
    console.log(
      `soak: ${totals.seeds} seeds in ${min.toFixed(1)} min (${Math.round(totals.seeds / min)} seeds/min); ${totals.ops} ops ` +
        `(${totals.unknown} of unknown outcome); messages lost ${totals.lost}, duplicated ${totals.duplicated}, reordered ` +
        `${totals.reordered}, cut by partitions ${totals.cutByPartition} (${totals.partitions} partitions); ${totals.overdrafts} overdraft findings; ` +
        `power lost ${totals.crashes}, processes killed ${totals.kills}, storage failures ${totals.storageFailures} ` +
        `(torn writes ${totals.torn}, full-disk writes ${totals.full}, failed fsyncs ${totals.syncFailures}), ` +
        `${totals.restarts} restarts, ${totals.caughtUp} writes caught up`,
    );
  };
  for (let i = 0; ; i++) {
    const now = performance.now();
    if (now >= deadline) break;
    if (now >= nextProgress) (progress(now), (nextProgress += PROGRESS_MS));
    const seed = (start + i) >>> 0;
    const o = optionsFor(seed, args.flags);
    const r = await runOne(o);
    if (r instanceof Error || !passed(r)) {
      const path = r instanceof Error ? undefined : saveHistory(args.out, seed, r.history);
      console.error(describeFailure(o, args.flags, r, path));
      console.error(`\nsoak: seed ${seed} failed after ${totals.seeds} passing seeds; replay it with: ${replayCommand(seed, args.flags)}`);
      return 1;
    }
    add(totals, r);
  }
  progress(performance.now());
  console.log(`soak: OK, ${totals.seeds} seeds (${start}..${(start + totals.seeds - 1) >>> 0}) passed`);
  return 0;
}

function breaks(flags: SoakArgs["flags"]): string {
  let out = flags.breakGate?.length ? `, gate broken for ${flags.breakGate.join(",")} (test hook)` : "";
  if (flags.breakDurability !== undefined) out += `, durability broken: ${flags.breakDurability} (test hook)`;
  return out;
}

export async function main(argv: string[]): Promise<number> {
  let args: SoakArgs;
  try {
    args = parse(argv);
  } catch (err) {
    console.error(`soak: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  return args.seed === undefined ? soak(args) : replay(args, args.seed);
}

process.exitCode = await main(process.argv.slice(2));
