// A hosted branch's log lines for the main thread, gathered for up to
// FLUSH_MS and posted as one message on the branch's port: a message per log
// line costs the main thread more than the request it describes, and the main
// thread is on the path of every customer call. A control message goes out
// after everything gathered before it; nothing waits on the rest. What the
// branch applies and holds goes to its host's reports (host-reports.ts).

import type { MessagePort } from "node:worker_threads";
import type { ToMain } from "./worker-protocol.js";

/** How long an outbox gathers before it posts. */
export const FLUSH_MS = 10;

/** One timer per thread for every outbox in it, not one per branch. */
const due = new Set<BranchOutbox>();
let timer: NodeJS.Timeout | undefined;
function flushLater(outbox: BranchOutbox): void {
  due.add(outbox);
  timer ??= setTimeout(() => {
    timer = undefined;
    const now = [...due];
    due.clear();
    for (const o of now) o.flush();
  }, FLUSH_MS);
}

export class BranchOutbox {
  private readonly branchId: number;
  private readonly port: MessagePort;
  private logs: Array<[number, string]> = [];

  constructor(branchId: number, port: MessagePort) {
    this.branchId = branchId;
    this.port = port;
  }

  log(line: string): void {
    this.logs.push([Date.now(), line]);
    flushLater(this);
  }

  /** Sends a control message, after everything gathered before it. */
  post(msg: ToMain): void {
    this.flush();
    this.port.postMessage(msg);
  }

  flush(): void {
    if (this.logs.length === 0) return;
    const msg: ToMain = { type: "events", branchId: this.branchId, logs: this.logs };
    this.logs = [];
    this.port.postMessage(msg);
  }

  /** Forgets what was gathered (a crash: it never leaves). */
  drop(): void {
    this.logs = [];
  }
}
