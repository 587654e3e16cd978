// Run configuration in stages: raw CLI flags → `resolveRunConfig` fills the
// defaults (one DEFAULTS object) and validates → RunConfig, whose fields are
// all required, with units last in their names.

import { availableParallelism } from "node:os";
import { MAX_GATE_TIMEOUT_MS, MAX_WORKERS } from "../core/limits.js";
import { parseDelaySpec } from "../core/delay.js";
import { parseFaults, type FaultPlan } from "../core/fault-plan.js";
import { DEFAULT_GUARANTEES, parseGuarantees, type GuaranteeName } from "../core/gate.js";

export interface RunConfig {
  outDir: string;
  workers: number;
  bindHost: string;
  basePort: number;
  guarantees: GuaranteeName[];
  concurrent: boolean;
  /** "none": a withdraw is decided where it is sent; "home": every withdraw goes to the lowest-numbered branch. */
  overdraftGuard: "none" | "home";
  verbose: boolean;
  strict: boolean;
  gateTimeoutMs: number;
  attemptsMax: number;
  backoffMsMin: number;
  backoffMsMax: number;
  barrierTimeoutMs: number;
  startTimeoutMs: number;
  batchMax: number;
  inFlightMax: number;
  delaySpec: string;
  seed: number;
  /** Each branch logs to <outDir>/store before it acknowledges (off: memory only). */
  durable: boolean;
  faults: FaultPlan;
  /** How long a replication batch may go unacknowledged before it is resent. */
  ackTimeoutMs: number;
}


/** Worker threads when --workers is not given: one per core, at most 4, never more than branches. */
export function defaultWorkers(branches: number): number {
  return Math.max(1, Math.min(branches, availableParallelism(), 4));
}

export const DEFAULTS = {
  outDir: "out",
  bindHost: "127.0.0.1",
  basePort: 0,
  guarantees: "mw,ryw",
  gateTimeoutMs: 5_000,
  attemptsMax: 6,
  backoffMsMin: 20,
  backoffMsMax: 1_000,
  barrierTimeoutMs: 60_000,
  startTimeoutMs: 30_000,
  batchMax: 256,
  inFlightMax: 8,
  delay: "",
  seed: 1,
} as const;

export interface RawRunFlags {
  out?: string;
  workers?: string | number;
  host?: string;
  basePort?: string | number;
  guarantees?: string;
  concurrent?: boolean;
  overdraftGuard?: string;
  verbose?: boolean;
  strict?: boolean;
  gateTimeout?: string | number;
  delay?: string;
  seed?: string | number;
  durable?: boolean;
  faults?: string;
}

export class UsageError extends Error {
  override name = "UsageError";
}

function intFlag(name: string, value: string | number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  // Digits only: Number() would also take "0x10", "1e3", " 7 " and "" (as 0).
  const n = typeof value === "number" ? value : /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${name}: expected an integer from ${min} to ${max}, found ${JSON.stringify(value)}`);
  }
  return n;
}

function parseOverdraftGuard(text: string): RunConfig["overdraftGuard"] {
  if (text === "none" || text === "home") return text;
  throw new UsageError(`--overdraft-guard: expected none or home, found ${JSON.stringify(text)}`);
}

export function resolveRunConfig(raw: RawRunFlags, branchIds: readonly number[]): RunConfig {
  const branchCount = branchIds.length;
  const delaySpec = raw.delay ?? DEFAULTS.delay;
  try {
    parseDelaySpec(delaySpec, branchIds);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let guarantees: GuaranteeName[];
  try {
    guarantees = parseGuarantees(raw.guarantees ?? DEFAULTS.guarantees);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let faults: FaultPlan;
  try {
    faults = parseFaults(raw.faults ?? "", branchIds);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const durable = raw.durable ?? true;
  if (faults.crashes.length > 0 && !durable) throw new UsageError("--faults crash=...: a branch can only recover from a crash with its log; drop --no-durable");
  // Acknowledgements wait for delayed and partitioned deliveries: give them that long before resending.
  const maxDelayMs = Math.max(0, ...parseDelaySpec(delaySpec).map((r) => r.maxMs));
  const maxPartitionMs = Math.max(0, ...faults.partitions.map((p) => p.forMs));
  const basePort = intFlag("--base-port", raw.basePort, DEFAULTS.basePort, 0, 65535);
  if (basePort > 0 && basePort + branchCount > 65535) {
    throw new UsageError(`--base-port: ${basePort} + ${branchCount} branches runs past port 65535`);
  }
  return {
    outDir: raw.out ?? DEFAULTS.outDir,
    workers: intFlag("--workers", raw.workers, defaultWorkers(branchCount), 1, MAX_WORKERS),
    bindHost: raw.host ?? DEFAULTS.bindHost,
    basePort,
    guarantees,
    concurrent: raw.concurrent ?? false,
    overdraftGuard: parseOverdraftGuard(raw.overdraftGuard ?? "none"),
    verbose: raw.verbose ?? false,
    strict: raw.strict ?? false,
    gateTimeoutMs: intFlag("--gate-timeout", raw.gateTimeout, DEFAULTS.gateTimeoutMs, 1, MAX_GATE_TIMEOUT_MS),
    attemptsMax: DEFAULTS.attemptsMax,
    backoffMsMin: DEFAULTS.backoffMsMin,
    backoffMsMax: DEFAULTS.backoffMsMax,
    barrierTimeoutMs: DEFAULTS.barrierTimeoutMs,
    startTimeoutMs: DEFAULTS.startTimeoutMs,
    batchMax: DEFAULTS.batchMax,
    inFlightMax: DEFAULTS.inFlightMax,
    delaySpec,
    seed: intFlag("--seed", raw.seed, DEFAULTS.seed, 0, 2 ** 32 - 1),
    durable,
    faults,
    ackTimeoutMs: 250 + 2 * maxDelayMs + maxPartitionMs,
    // Customers ride out crashes and partitions: more attempts when faults are planned.
    ...(faults.crashes.length + faults.partitions.length > 0 ? { attemptsMax: 12 } : {}),
  };
}
