// Appends history.jsonl records as the run goes, numbering operations.
// `close` flushes the file.

import { BufferedFile } from "../storage/buffered-file.js";
import type { StorageError } from "../storage/storage-error.js";
import type { CompleteRecord, HistoryLine, InvokeRecord } from "./types.js";
import type { OpRecordSink } from "./sink.js";

export class HistoryWriter implements OpRecordSink {
  private readonly out: BufferedFile;
  private nextOp = 1;

  constructor(path: string, onError?: (err: StorageError) => void) {
    this.out = new BufferedFile(path, onError);
  }

  write(record: HistoryLine): void {
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
    return this.out.close();
  }
}
