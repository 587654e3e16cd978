// The history records of a customer session: the core session machine
// (lib/core/session.ts) says what happened, as bodies with version vectors;
// these turn them into history.jsonl's invoke and complete records, stamped
// with the adapter's times. One place, so the gRPC driver and the simulator
// write records of one shape, fields in one order.

import type { CompleteBody, InvokeBody } from "../core/session.js";
import type { CompleteRecord, InvokeRecord } from "./types.js";
import { toJson } from "./vector-json.js";

/** When a record was made: Date.now() and the monotonic time (see types.ts). */
export interface Stamp {
  wallMs: number;
  monoMs: number;
}

export function invokeRecord(b: InvokeBody, at: Stamp, event?: number): Omit<InvokeRecord, "type" | "op"> {
  return {
    session: b.session, requestId: b.requestId, branch: b.branch, kind: b.kind, amountCents: b.amountCents,
    writeSet: toJson(b.writeSet), readSet: toJson(b.readSet), ...(event === undefined ? {} : { event }), wallMs: at.wallMs, monoMs: at.monoMs,
    ...(b.clock > 0 ? { clock: b.clock } : {}),
  };
}

/** Fields in the order the records have always had them (the checker does not care; byte-compared files do). */
export function completeRecord(b: CompleteBody, at: Stamp): Omit<CompleteRecord, "type" | "op"> {
  return {
    session: b.session, branch: b.branch, kind: b.kind, status: b.status,
    ...(b.result === undefined ? {} : { result: b.result }),
    ...(b.witness === undefined ? {} : { witness: toJson(b.witness) }),
    gateWaitMs: b.gateWaitMs, attempts: b.attempts,
    ...(b.error === undefined ? {} : { error: b.error }),
    wallMs: at.wallMs, monoMs: at.monoMs,
    ...(b.writeId === undefined ? {} : { writeId: b.writeId }),
    ...(b.balanceCents === undefined ? {} : { balanceCents: b.balanceCents }),
    ...(b.branchClock === undefined ? {} : { branchClock: b.branchClock }),
  };
}
