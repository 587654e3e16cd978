// The validated scenario: what lib/fixture.ts produces from a course file and
// what the cluster runs. Plain data, no I/O. Money is integer cents.

export type Interface = "deposit" | "withdraw" | "query";

/**
 * Which course output shape the input asks for:
 * - "dest":   events carry `dest`; output is one `{id, balance}` per customer.
 * - "branch": events carry `branch`; output is one `{id, recv:[...]}` per event.
 * - "recv":   events carry no target (customer i uses branch i); output is one
 *             `{id, recv:[...]}` per customer object.
 * - "p2":     Project 2's "customer-requests" (customer i uses branch i); output
 *             is the course's three parts of Lamport clock events (p2-output.ts).
 */
export type OutputShape = "dest" | "branch" | "recv" | "p2";

export interface ScenarioEvent {
  /** The event's id from the file (P2: its customer-request-id), or its 1-based position when the file has none. */
  id: number;
  interface: Interface;
  /** Integer cents; 0 for queries. */
  amountCents: number;
  /** Target branch id. */
  branch: number;
  /** JSON path of the event in the file, e.g. `[0].events[2]` or `[0].customer-requests[1]`, for messages. */
  path: string;
}

export interface CustomerRun {
  /** The customer (session) id; the same id may appear in several runs: the session continues. */
  customerId: number;
  /** Index of the customer object in the file's array. */
  objectIndex: number;
  events: ScenarioEvent[];
}

export interface Scenario {
  /** Where it came from (a file path, or "<generated>"). */
  source: string;
  /** Branch ids in ascending order. */
  branches: number[];
  /** Every branch's starting balance, in cents. */
  initialBalanceCents: number;
  /** Customer objects in file order. */
  customers: CustomerRun[];
  shape: OutputShape;
  /** Problems that do not stop the run (e.g. a duplicate event id). */
  warnings: string[];
}

/** The outcome of one customer event, as the run reports it. */
export interface EventOutcome {
  /** The operation's number in history.jsonl (what `check` calls op #N). */
  op: number;
  /** The guarantees that asked the branch for writes before serving it (those that could hold it at the gate). */
  asking: readonly string[];
  customerId: number;
  objectIndex: number;
  eventIndex: number;
  event: ScenarioEvent;
  /**
   * "ok": the branch answered (see `result`); "failed": definitely not executed
   * (e.g. the gate refused every attempt); "unknown": the request may or may not
   * have taken effect (a deadline passed after it left).
   */
  status: "ok" | "failed" | "unknown";
  result?: "success" | "fail";
  /** Balance the branch returned (queries; withdraws also read it). */
  balanceCents?: number;
  writeId?: string;
  /** The branch that served the event, when not its target (--overdraft-guard home). */
  servedBy?: number;
  /** The customer's Lamport clock at its send of this event's request, and the branch's at its receipt (when it answered). */
  clock?: number;
  branchClock?: number;
  latencyMs: number;
  gateWaitMs: number;
  attempts: number;
  error?: string;
}
