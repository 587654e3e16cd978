// What a hosted branch tells the main thread (log lines, applied writes),
// gathered for up to FLUSH_MS and posted as one message: a message per log
// line or per applied write (or per branch per write, with every replica
// reporting) costs the main thread more than the request it describes, and
// the main thread is on the path of every customer call. A control message
// goes out after everything gathered before it; nothing waits on the rest.

import type { MessagePort } from "node:worker_threads";
import type { Write } from "../core/ledger.js";
import { formatWriteId } from "../core/version-vector.js";
import type { BufferedWrites, ToMain, WireWrite } from "./worker-protocol.js";

// Every replica on a host reports the same received write object: build its
// wire form once (as the log frames it once), not once per replica.
const wireForms = new WeakMap<Write, WireWrite>();
function wireForm(w: Write): WireWrite {
  let form = wireForms.get(w);
  if (form === undefined) wireForms.set(w, (form = { id: formatWriteId(w.id), kind: w.kind, amountCents: w.amountCents, acceptedAtMs: w.acceptedAtMs }));
  return form;
}

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
  private applied: WireWrite[] = [];
  private appliedAtMs = 0;
  private appliedAtMono = 0;
  private buffered: BufferedWrites | undefined;

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
      // The wire form is shared by every replica of a write; a replica's own clock goes on a copy.
      const clock = clocks[i];
      this.applied.push(clock ? { ...wireForm(w), clock } : wireForm(w));
    });
    this.schedule();
  }

  /** Writes taken but held until their dependencies arrive (for the history's buffer records). */
  addBuffered(writes: readonly Write[]): void {
    this.buffered ??= { ids: [], wallMs: Date.now(), monoMs: performance.timeOrigin + performance.now() };
    for (const w of writes) this.buffered.ids.push(formatWriteId(w.id));
    this.schedule();
  }

  /** Sends a control message, after everything gathered before it. */
  post(msg: ToMain): void {
    this.flush();
    this.port.postMessage(msg);
  }

  flush(): void {
    if (this.logs.length === 0 && this.applied.length === 0 && this.buffered === undefined) return;
    const msg: ToMain = { type: "events", branchId: this.branchId, logs: this.logs, applied: this.applied, wallMs: this.appliedAtMs, monoMs: this.appliedAtMono };
    if (this.buffered !== undefined) msg.buffered = this.buffered;
    this.logs = [];
    this.applied = [];
    this.buffered = undefined;
    this.port.postMessage(msg);
  }

  /** Forgets what was gathered (a crash: it never leaves). */
  drop(): void {
    this.logs = [];
    this.applied = [];
    this.buffered = undefined;
  }

  private schedule(): void {
    flushLater(this);
  }
}
