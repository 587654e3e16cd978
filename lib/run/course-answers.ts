// What output.json needs of every event's outcome (status, result, balance,
// and the customer's clock for Project 2),
// kept in arrays sized to the scenario when the run starts, so recording an
// outcome allocates nothing: a long run's memory stays flat however many
// operations complete.

import type { CourseOutcome, OutcomeOf } from "../scenario/output.js";
import type { EventOutcome, Scenario } from "../scenario/scenario.js";

const STATUSES = ["ok", "failed", "unknown"] as const;
const RESULTS = [undefined, "success", "fail"] as const;

export class CourseAnswers {
  /** Where each customer object's events start in the arrays, by object index. */
  private readonly offsets = new Map<number, number>();
  /** 0: no outcome; else 1 + status * 3 + result (see STATUSES, RESULTS). */
  private readonly codes: Uint8Array;
  /** The balance the branch returned, in cents; NaN for none. */
  private readonly balances: Float64Array;
  /** The customer's Lamport clock at its send (Project 2's customer part); NaN for none. */
  private readonly clocks: Float64Array;

  constructor(scenario: Pick<Scenario, "customers">) {
    let n = 0;
    for (const c of scenario.customers) {
      this.offsets.set(c.objectIndex, n);
      n += c.events.length;
    }
    this.codes = new Uint8Array(n);
    this.balances = new Float64Array(n).fill(NaN);
    this.clocks = new Float64Array(n).fill(NaN);
  }

  record(o: EventOutcome): void {
    const at = this.index(o.objectIndex, o.eventIndex);
    if (at === undefined) throw new Error(`course answers: customer object ${o.objectIndex} has no event ${o.eventIndex}`);
    this.codes[at] = 1 + STATUSES.indexOf(o.status) * 3 + RESULTS.indexOf(o.result);
    this.balances[at] = o.balanceCents ?? NaN;
    this.clocks[at] = o.clock ?? NaN;
  }

  readonly outcomeOf: OutcomeOf = (objectIndex, eventIndex) => {
    const at = this.index(objectIndex, eventIndex);
    const code = at === undefined ? 0 : (this.codes[at] ?? 0);
    if (at === undefined || code === 0) return undefined;
    const o: CourseOutcome = { status: STATUSES[Math.floor((code - 1) / 3)] ?? "unknown" };
    const result = RESULTS[(code - 1) % 3];
    if (result !== undefined) o.result = result;
    const balance = this.balances[at] ?? NaN;
    if (!Number.isNaN(balance)) o.balanceCents = balance;
    const clock = this.clocks[at] ?? NaN;
    if (!Number.isNaN(clock)) o.clock = clock;
    return o;
  };

  private index(objectIndex: number, eventIndex: number): number | undefined {
    const start = this.offsets.get(objectIndex);
    return start === undefined ? undefined : start + eventIndex;
  }
}
