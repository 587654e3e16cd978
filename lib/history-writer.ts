// Appends history.jsonl records as the run goes, numbering operations. The
// file is written through one stream; `close` flushes it.

import { createWriteStream, type WriteStream } from "node:fs";
import type { CompleteRecord, HistoryRecord, InvokeRecord } from "./history-types.js";
import type { OpRecordSink } from "./customer.js";

export class HistoryWriter implements OpRecordSink {
  private readonly out: WriteStream;
  private nextOp = 1;

  constructor(path: string) {
    this.out = createWriteStream(path);
  }

  write(record: HistoryRecord): void {
    this.out.write(JSON.stringify(record) + "\n");
  }

  invoke(r: Omit<InvokeRecord, "type" | "op">): number {
    const op = this.nextOp++;
    this.write({ type: "invoke", op, ...r });
    return op;
  }

  complete(op: number, r: Omit<CompleteRecord, "type" | "op">): void {
    this.write({ type: "complete", op, ...r });
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.out.end((err?: Error | null) => (err ? reject(err) : resolve()));
    });
  }
}
