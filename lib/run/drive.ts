// Driving the customers: each customer's events in order, through its
// session. By default customers go one after another in file order, with a
// quiescence barrier after each (every branch has applied every acknowledged
// write, so later customers see earlier ones: the course's "sleep until
// propagated", done exactly); with --concurrent every session runs at once.
// It needs only sessions and a barrier, so it runs without a cluster too.

import type { OpKind } from "../core/branch.js";
import { addWrite, parseWriteId, type VersionVector } from "../core/version-vector.js";
import { RequestSizes, type SessionOpOutcome } from "../driver/customer.js";
import type { CustomerRun, EventOutcome, Scenario } from "../scenario/scenario.js";
import type { Interruption } from "./interruption.js";
import { LatencyStats } from "./latency-stats.js";
import { MemoryMarks } from "./memory-marks.js";
import { NotableOutcomes } from "./notable.js";
import type { RunConfig } from "./run-config.js";

/** What driving needs of a customer's session. */
export interface CustomerSession {
  perform(kind: OpKind, amountCents: number, branch: number, event?: number): Promise<SessionOpOutcome>;
}

/** How many operations completed, and how. */
export interface OperationCounts {
  operations: number;
  /** Attempts beyond each operation's first. */
  retries: number;
  failed: number;
  unknown: number;
  /** The error of the first operation that ended failed or unknown. */
  firstIncomplete: string | undefined;
}

/**
 * What the customers' operations came to: counts and latency histograms,
 * kept in constant memory; each outcome, in the order they completed, goes
 * to `onOutcome` (results.json's events and output.json's answers), not
 * into a list.
 */
export class CustomerTally implements OperationCounts {
  readonly latency = new LatencyStats();
  readonly gateWait = new LatencyStats();
  /** Sampled request sizes, filled by the sessions. */
  readonly sizes = new RequestSizes();
  /** The operations the run's account names, and the gate's holds. */
  readonly notable = new NotableOutcomes();
  operations = 0;
  retries = 0;
  failed = 0;
  unknown = 0;
  firstIncomplete: string | undefined;
  /** Resident memory at a quarter, half, three quarters and all of the planned operations. */
  readonly memory: MemoryMarks;
  private readonly onOutcome: (o: EventOutcome) => void;

  /** `onOutcome`: told of every operation as it completes (results.json, output.json, progress); `planned`: how many the run will make. */
  constructor(onOutcome: (o: EventOutcome) => void = () => undefined, planned = 0) {
    this.onOutcome = onOutcome;
    this.memory = new MemoryMarks(planned);
  }

  record(o: EventOutcome): void {
    this.latency.record(o.latencyMs);
    this.gateWait.record(o.gateWaitMs);
    this.operations++;
    this.retries += o.attempts - 1;
    if (o.status !== "ok") {
      if (o.status === "failed") this.failed++;
      else this.unknown++;
      if (this.failed + this.unknown === 1) this.firstIncomplete = o.error ?? "";
    }
    this.notable.add(o);
    this.onOutcome(o);
    this.memory.passed(this.operations);
  }
}

export interface DriveDeps {
  /** The session of a customer id: the same one every time the id comes up. */
  session: (customerId: number) => CustomerSession;
  /** Resolves once every branch has applied every write in `acked`. */
  barrier: (acked: VersionVector) => Promise<unknown>;
  interruption: Interruption;
  tally: CustomerTally;
}

export async function driveCustomers(
  scenario: Pick<Scenario, "branches" | "customers">,
  cfg: Pick<RunConfig, "concurrent" | "overdraftGuard">,
  deps: DriveDeps,
): Promise<void> {
  const acked: VersionVector = new Map();
  const home = Math.min(...scenario.branches);
  const runCustomer = async (run: CustomerRun) => {
    const session = deps.session(run.customerId);
    for (const [eventIndex, event] of run.events.entries()) {
      deps.interruption.check();
      // With the guard, one branch decides every withdraw, so no two branches
      // approve debits against the same funds without seeing each other.
      const target = cfg.overdraftGuard === "home" && event.interface === "withdraw" ? home : event.branch;
      const o = await session.perform(event.interface, event.amountCents, target, event.id);
      if (o.writeId) addWrite(acked, parseWriteId(o.writeId));
      deps.tally.record({ customerId: run.customerId, objectIndex: run.objectIndex, eventIndex, event, ...o, ...(target === event.branch ? {} : { servedBy: target }) });
    }
  };
  if (cfg.concurrent) await allAtOnce(scenario.customers, runCustomer, deps.interruption);
  else {
    for (const run of scenario.customers) {
      await deps.interruption.race(runCustomer(run));
      await deps.interruption.race(deps.barrier(acked));
    }
  }
}

/**
 * Every session at once, each running its customer objects in file order.
 * Every session finishes (or fails) before this returns, so none keeps
 * writing history after it closes; then the first failure is thrown.
 */
async function allAtOnce(runs: readonly CustomerRun[], runCustomer: (run: CustomerRun) => Promise<void>, interruption: Interruption): Promise<void> {
  const bySession = new Map<number, CustomerRun[]>();
  for (const run of runs) bySession.set(run.customerId, [...(bySession.get(run.customerId) ?? []), run]);
  const results = await interruption.race(Promise.allSettled([...bySession.values()].map(async (mine) => {
    for (const run of mine) await runCustomer(run);
  })));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}
