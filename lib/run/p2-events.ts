// The events of Project 2's output, gathered from a run's history.jsonl (the
// clocks the sessions and the branches recorded there), named as the course
// names them: each request by its customer-request-id, each propagation by
// the request whose write it carries. So the three parts of a P2 output
// (lib/scenario/p2-output.ts) come from the same record `bank-sim check`
// judges.
//
// A session's n-th request (`c<id>#<n>`) is its customer's n-th request in
// file order; a write is named by the request that made it (its complete
// record's writeId). A write whose request's outcome stayed unknown cannot be
// named, and is left out.

import { sendOrder } from "../core/lamport.js";
import { readHistoryRecords } from "../history/reader.js";
import type { HistoryRecord } from "../history/types.js";
import { propagationInterface, type ClockEvent } from "../scenario/p2-output.js";
import type { Scenario } from "../scenario/scenario.js";

/** Every customer's and branch's clock event the history records, as Project 2 names them. */
export async function p2EventsOfHistory(scenario: Pick<Scenario, "customers" | "branches">, historyPath: string): Promise<ClockEvent[]> {
  const gather = new P2Events(scenario);
  for await (const { record } of readHistoryRecords(historyPath, undefined, true)) gather.add(record);
  return gather.events();
}

interface Request {
  customerId: number;
  customerRequestId: number;
}

interface AppliedEntry {
  branch: number;
  id: string;
  kind: "deposit" | "withdraw";
  clock: number;
}

export class P2Events {
  /** Per customer id, its requests' ids in session order. */
  private readonly requestIds = new Map<number, number[]>();
  private readonly branches: number[];
  private readonly ops = new Map<number, Request>();
  private readonly writes = new Map<string, Request>();
  private readonly applied: AppliedEntry[] = [];
  private readonly out: ClockEvent[] = [];

  constructor(scenario: Pick<Scenario, "customers" | "branches">) {
    this.branches = scenario.branches;
    for (const c of scenario.customers) {
      const list = this.requestIds.get(c.customerId) ?? [];
      for (const e of c.events) list.push(e.id);
      this.requestIds.set(c.customerId, list);
    }
  }

  add(r: HistoryRecord): void {
    if (r.type === "invoke") {
      const req = this.request(r.requestId);
      if (!req) return;
      this.ops.set(r.op, req);
      if (r.clock !== undefined) {
        this.out.push({ type: "customer", id: req.customerId, customerRequestId: req.customerRequestId, clock: r.clock, interface: r.kind, comment: `event_sent from customer ${req.customerId}` });
      }
    } else if (r.type === "complete") {
      const req = this.ops.get(r.op);
      if (!req) return;
      if (r.writeId !== undefined) this.writes.set(r.writeId, req);
      if (r.branchClock !== undefined) {
        this.out.push({ type: "branch", id: r.branch, customerRequestId: req.customerRequestId, clock: r.branchClock, interface: r.kind, comment: `event_recv from customer ${req.customerId}` });
      }
    } else if (r.type === "apply") {
      for (const w of r.writes) if (w.clock !== undefined) this.applied.push({ branch: r.branch, id: w.id, kind: w.kind, clock: w.clock });
    }
  }

  /** The events gathered, once every record is in (a write is named by a complete record that may come after its apply records). */
  events(): ClockEvent[] {
    const out = [...this.out];
    for (const a of this.applied) {
      const req = this.writes.get(a.id);
      if (!req) continue;
      const origin = Number(a.id.slice(0, a.id.indexOf(".")));
      const iface = propagationInterface(a.kind);
      if (origin !== a.branch) {
        out.push({ type: "branch", id: a.branch, customerRequestId: req.customerRequestId, clock: a.clock, interface: iface, comment: `event_recv from branch ${origin}` });
        continue;
      }
      sendOrder(this.branches, origin).forEach((to, k) => {
        out.push({ type: "branch", id: origin, customerRequestId: req.customerRequestId, clock: a.clock + k, interface: iface, comment: `event_sent to branch ${to}` });
      });
    }
    return out;
  }

  /** `c<id>#<n>`: customer id's n-th request. */
  private request(requestId: string): Request | undefined {
    const m = /^c(\d+)#(\d+)$/.exec(requestId);
    if (!m) return undefined;
    const customerId = Number(m[1]);
    const customerRequestId = this.requestIds.get(customerId)?.[Number(m[2]) - 1];
    return customerRequestId === undefined ? undefined : { customerId, customerRequestId };
  }
}
