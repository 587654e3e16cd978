// The operations a run's account names (lib/cli/run-story.ts) and the
// summary's gate holds, gathered as operations complete in constant memory:
// how many did not complete and how many withdraws were refused, each with
// the first few; the requests the gate held, their total, the longest, and
// how many each guarantee asked for.

import type { EventOutcome } from "../scenario/scenario.js";
import { HELD_MS, type HeldAtGate } from "./results.js";

/** How many of each kind are kept by name. */
export const NAMED_MAX = 3;

export interface Named {
  count: number;
  /** The first NAMED_MAX, in the order they completed. */
  first: EventOutcome[];
}

export class NotableOutcomes {
  readonly incomplete: Named = { count: 0, first: [] };
  readonly refused: Named = { count: 0, first: [] };
  /** Held requests by each guarantee that asked the branch for writes (a request counts under each of its guarantees). */
  readonly heldByGuarantee = new Map<string, number>();
  private held = 0;
  private heldMs = 0;
  private longest: EventOutcome | undefined;

  add(o: EventOutcome): void {
    if (o.status !== "ok") name(this.incomplete, o);
    else if (o.result === "fail") name(this.refused, o);
    if (o.gateWaitMs <= HELD_MS) return;
    this.held++;
    this.heldMs += o.gateWaitMs;
    if (this.longest === undefined || o.gateWaitMs > this.longest.gateWaitMs) this.longest = o;
    for (const g of o.asking) this.heldByGuarantee.set(g, (this.heldByGuarantee.get(g) ?? 0) + 1);
  }

  /** The requests the gate held, and the longest hold. */
  heldAtGate(): HeldAtGate {
    const l = this.longest;
    return {
      requests: this.held,
      totalMs: this.heldMs,
      longest: l === undefined ? null : {
        op: l.op, customer: l.customerId, event: l.event.id, branch: l.servedBy ?? l.event.branch,
        gateWaitMs: Math.round(l.gateWaitMs * 1000) / 1000, guarantees: l.asking,
      },
    };
  }
}

function name(into: Named, o: EventOutcome): void {
  into.count++;
  if (into.first.length < NAMED_MAX) into.first.push(o);
}
