// Where a customer session records its operations: the history writer in a
// real run, an in-memory list in the simulator. Numbers each operation.

import type { CompleteRecord, InvokeRecord } from "./types.js";

export interface OpRecordSink {
  /** Records an invocation; returns its operation number. */
  invoke(r: Omit<InvokeRecord, "type" | "op">): number;
  complete(op: number, r: Omit<CompleteRecord, "type" | "op">): void;
}
