// results.json: every event with its branch, result, balance, write id,
// latency and wait at the gate; each branch's final state; the run's summary.
// Pure shaping; money printed as plain numbers (formatMoney). Its contract is
// schemas/results.schema.json (`version` names it): every key is always
// there, a value that does not apply is null.

/** results.json's format version (schemas/results.schema.json). */
export const RESULTS_VERSION = 1;

import type { BranchState } from "../core/branch.js";
import type { LatencySummary } from "./latency-stats.js";
import { formatMoney } from "../core/money.js";
import type { RunConfig } from "./run-config.js";
import type { EventOutcome, Scenario } from "../scenario/scenario.js";
import { toJsonEach } from "../history/vector-json.js";
import type { LinkStats } from "../hosting/worker-protocol.js";

export interface RunSummary {
  wallMs: number;
  startupMs: number;
  customersMs: number;
  /** Waiting for every branch to apply every write, and the convergence check. */
  settleMs: number;
  /** Stopping branches, hosts and workers. */
  stopMs: number;
  operations: number;
  opsPerSec: number;
  latency: LatencySummary;
  gateWait: LatencySummary;
  propagationLag: LatencySummary;
  links: LinkStats;
  /** Writes created in the run (summed over origins). */
  writes: number;
  /** Mean size of a customer request on the wire, in bytes (sampled). */
  requestBytes: number;
  /** Peak resident memory of the whole process (main thread and workers), MB. */
  peakRssMb: number;
  /**
   * Resident memory of the whole process, MB, when a quarter, a half, three
   * quarters and all of the planned operations had completed (fewer when the
   * run made fewer operations, or stopped early): flat past warm-up.
   */
  rssMbByQuarter: number[];
  /** What the injected faults did, and what customers went through. */
  faults: { events: string[]; retries: number; unknownOutcomes: number; failedOperations: number };
  /** Requests the session gate held (made to wait) before serving them. */
  heldAtGate: HeldAtGate;
}

/** A request was held at the gate when it waited there more than this (a branch reports 0 for a request it served at once). */
export const HELD_MS = 0;

export interface HeldAtGate {
  requests: number;
  totalMs: number;
  /** The longest hold, or null when none was held. */
  longest: { op: number; customer: number; event: number; branch: number; gateWaitMs: number; guarantees: readonly string[] } | null;
}

/** What results.json is made of: everything but its events (those are shaped one by one, eventEntry). */
export interface ResultsFacts {
  scenario: Scenario;
  cfg: RunConfig;
  finals: readonly BranchState[];
  converged: boolean;
  ok: boolean;
  error: string | undefined;
  summary: RunSummary;
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const orNull = <T>(x: T | undefined): T | null => (x === undefined ? null : x);

/** The whole of results.json at once (for a list of outcomes in hand; a run streams its events instead, results-file.ts). */
export function buildResults(r: ResultsFacts & { outcomes: readonly EventOutcome[] }): unknown {
  return { ...resultsHead(r), events: r.outcomes.map(eventEntry) };
}

/** results.json without its events; `events`, its last key, is an empty list here. */
export function resultsHead(r: ResultsFacts): Record<string, unknown> {
  const json = toJsonEach();
  return {
    version: RESULTS_VERSION,
    ok: r.ok,
    error: orNull(r.error),
    source: r.scenario.source,
    warnings: r.scenario.warnings,
    config: {
      branches: r.scenario.branches.length,
      workers: r.cfg.workers,
      guarantees: r.cfg.guarantees,
      concurrent: r.cfg.concurrent,
      overdraftGuard: r.cfg.overdraftGuard,
      delay: r.cfg.delaySpec === "" ? null : r.cfg.delaySpec,
      durable: r.cfg.durable,
      faults: r.cfg.faults,
      seed: r.cfg.seed,
      gateTimeoutMs: r.cfg.gateTimeoutMs,
    },
    summary: {
      ...r.summary, wallMs: round(r.summary.wallMs), startupMs: round(r.summary.startupMs), customersMs: round(r.summary.customersMs),
      settleMs: round(r.summary.settleMs), stopMs: round(r.summary.stopMs), opsPerSec: round(r.summary.opsPerSec),
      heldAtGate: { ...r.summary.heldAtGate, totalMs: round(r.summary.heldAtGate.totalMs) },
    },
    converged: r.converged,
    finalBalances: Object.fromEntries(r.finals.map((s) => [String(s.branch), formatMoney(s.balanceCents)])),
    branches: r.finals.map((s) => ({ branch: s.branch, balance: formatMoney(s.balanceCents), applied: json(s.applied), issued: s.issued })),
    events: [],
  };
}

/** One event's entry in results.json's events. */
export function eventEntry(o: EventOutcome): Record<string, unknown> {
  return {
    op: o.op,
    customer: o.customerId,
    object: o.objectIndex,
    event: o.event.id,
    path: o.event.path,
    interface: o.event.interface,
    branch: o.event.branch,
    servedBy: orNull(o.servedBy),
    amount: o.event.interface === "query" ? null : formatMoney(o.event.amountCents),
    status: o.status,
    result: orNull(o.result),
    balance: o.balanceCents === undefined ? null : formatMoney(o.balanceCents),
    writeId: orNull(o.writeId),
    latencyMs: round(o.latencyMs),
    gateWaitMs: round(o.gateWaitMs),
    heldFor: o.gateWaitMs > HELD_MS ? o.asking : [],
    attempts: o.attempts,
    error: orNull(o.error),
  };
}
