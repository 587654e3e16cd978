// What a hosted branch tells the main thread (log lines, applied writes),
// gathered per turn of the event loop and posted as one message: a message
// per log line or per applied write costs the main thread more than the
// request it describes.

import type { MessagePort } from "node:worker_threads";
import type { Write } from "../core/ledger.js";
import { formatWriteId } from "../core/version-vector.js";
import type { ToMain, WireWrite } from "./worker-protocol.js";

export class BranchOutbox {
  private readonly branchId: number;
  private readonly port: MessagePort;
  private logs: Array<[number, string]> = [];
  private applied: WireWrite[] = [];
  private appliedAtMs = 0;
  private appliedAtMono = 0;
  private scheduled = false;

  constructor(branchId: number, port: MessagePort) {
    this.branchId = branchId;
    this.port = port;
  }

  log(line: string): void {
    this.logs.push([Date.now(), line]);
    this.schedule();
  }

  /** `clocks[i]`: the branch's Lamport clock at writes[i]'s event (BranchHooks.applied). */
  addApplied(writes: readonly Write[], clocks: readonly number[] = []): void {
    if (this.applied.length === 0) {
      // The batch is stamped with the time of its first write, not of the flush.
      this.appliedAtMs = Date.now();
      this.appliedAtMono = performance.timeOrigin + performance.now();
    }
    writes.forEach((w, i) => {
      const clock = clocks[i];
      this.applied.push({ id: formatWriteId(w.id), kind: w.kind, amountCents: w.amountCents, acceptedAtMs: w.acceptedAtMs, ...(clock ? { clock } : {}) });
    });
    this.schedule();
  }

  /** Sends a control message, after everything gathered before it. */
  post(msg: ToMain): void {
    this.flush();
    this.port.postMessage(msg);
  }

  flush(): void {
    if (this.logs.length === 0 && this.applied.length === 0) return;
    const msg: ToMain = { type: "events", branchId: this.branchId, logs: this.logs, applied: this.applied, wallMs: this.appliedAtMs, monoMs: this.appliedAtMono };
    this.logs = [];
    this.applied = [];
    this.port.postMessage(msg);
  }

  /** Forgets what was gathered (a crash: it never leaves). */
  drop(): void {
    this.logs = [];
    this.applied = [];
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }
}
