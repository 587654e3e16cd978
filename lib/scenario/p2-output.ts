// Project 2's outputs (the course's logical clock project), in the shapes of
// the course's example and of its grader scripts' inputs:
//   customers (output.json): one {"id","type":"customer","events":[...]} per
//     customer object, each request's send: {"customer-request-id",
//     "logical_clock","interface","comment":"event_sent from customer C"};
//   branches (output.branches.json): one {"id","type":"branch","events":[...]}
//     per branch, ascending, its events ordered by logical clock: receipts of
//     requests ("event_recv from customer C"), propagation sends
//     ("event_sent to branch B", interface "propogate_deposit" or
//     "propogate_withdraw", as the course spells it), propagation receipts
//     ("event_recv from branch B");
//   all events (output.all.json): every event of both, one flat list of
//     {"id","customer-request-id","type","logical_clock","interface","comment"},
//     ordered by logical clock (ties: customers first, then by id).
// Pure: the run gathers the events from its history (lib/run/p2-events.ts).

import type { EventOutcome, Scenario } from "./scenario.js";

/** One event of Project 2's output: a customer's or a branch's. */
export interface ClockEvent {
  type: "customer" | "branch";
  /** The customer's or the branch's id. */
  id: number;
  customerRequestId: number;
  clock: number;
  /** deposit, withdraw, propogate_deposit, propogate_withdraw. */
  interface: string;
  comment: string;
}

/** The course's spelling of a propagation's interface. */
export function propagationInterface(kind: "deposit" | "withdraw"): string {
  return `propogate_${kind}`;
}

/** The customers' part: every request's send, in file order, with its clock (an event with no outcome is left out). */
export function customerPart(scenario: Pick<Scenario, "customers">, outcomeOf: (objectIndex: number, eventIndex: number) => Pick<EventOutcome, "clock"> | undefined): unknown[] {
  return scenario.customers.map((c) => ({
    id: c.customerId,
    type: "customer",
    events: c.events.flatMap((e, j) => {
      const clock = outcomeOf(c.objectIndex, j)?.clock;
      if (clock === undefined) return [];
      return [{ "customer-request-id": e.id, logical_clock: clock, interface: e.interface, comment: `event_sent from customer ${c.customerId}` }];
    }),
  }));
}

/** The customers' sends as events, for the all-events part. */
export function customerEvents(scenario: Pick<Scenario, "customers">, outcomeOf: (objectIndex: number, eventIndex: number) => Pick<EventOutcome, "clock"> | undefined): ClockEvent[] {
  return scenario.customers.flatMap((c) => c.events.flatMap((e, j) => {
    const clock = outcomeOf(c.objectIndex, j)?.clock;
    if (clock === undefined) return [];
    return [{ type: "customer" as const, id: c.customerId, customerRequestId: e.id, clock, interface: e.interface, comment: `event_sent from customer ${c.customerId}` }];
  }));
}

const byClock = (a: ClockEvent, b: ClockEvent) => a.clock - b.clock || (a.type === b.type ? 0 : a.type === "customer" ? -1 : 1) || a.id - b.id;

/** The branches' part: each branch of `branchIds` (ascending), its events by clock. */
export function branchPart(events: readonly ClockEvent[], branchIds: readonly number[]): unknown[] {
  const per = new Map<number, ClockEvent[]>([...branchIds].sort((a, b) => a - b).map((b) => [b, []]));
  for (const e of events) if (e.type === "branch") per.get(e.id)?.push(e);
  return [...per].map(([id, list]) => ({
    id,
    type: "branch",
    events: list.sort(byClock).map((e) => ({ "customer-request-id": e.customerRequestId, logical_clock: e.clock, interface: e.interface, comment: e.comment })),
  }));
}

/** Every event in one list, by clock. */
export function allEventsPart(events: readonly ClockEvent[]): unknown[] {
  return [...events].sort(byClock).map((e) => ({
    id: e.id, "customer-request-id": e.customerRequestId, type: e.type, logical_clock: e.clock, interface: e.interface, comment: e.comment,
  }));
}
