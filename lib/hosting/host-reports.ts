// A worker thread's reports to the main thread about all of its branches,
// over the one report port the thread keeps: their log lines and what they
// applied and held (gathered for REPORT_MS, the applies grouped,
// applied-groups.ts), their states and their restart marks. One port, so
// these reach the main thread in the order they happened (a branch's state
// after every write it reported applied, a restart mark before anything of
// the new incarnation), and one message per turn for all of the thread's
// branches: a message per branch (or per line) costs the main thread more
// than the request it describes, and the main thread is on the path of
// every customer call.

import type { MessagePort } from "node:worker_threads";
import type { Write } from "../core/ledger.js";
import { AppliedGroups, type Stamp } from "./applied-groups.js";
import type { ToMain } from "./worker-protocol.js";

/**
 * One incarnation of a branch, reporting through its thread's HostReports.
 * Once closed (the branch crashed or stopped) it reports nothing more: a dead
 * incarnation's late callbacks (a rejected gate waiter's line, a catch-up
 * fetch that lands, a sync that fails) must not speak for the branch, least
 * of all after its next incarnation's restart mark.
 */
export interface BranchReporter {
  log(line: string): void;
  /** As BranchHooks.applied: with `balanceAfter`, the replica's applied line is logged too. */
  applied(writes: readonly Write[], clocks: readonly number[], balanceAfter?: number): void;
  held(writes: readonly Write[]): void;
  /** Posts `msg` after everything gathered before it. */
  post(msg: ToMain): void;
  /** Forgets what it gathered and has not posted (a crash: it never leaves). */
  drop(): void;
  /** Nothing more from this incarnation. */
  close(): void;
}

/** How long reports gather before they are posted. */
export const REPORT_MS = 10;

const stamp = (): Stamp => ({ wallMs: Date.now(), monoMs: performance.timeOrigin + performance.now() });

export class HostReports {
  private port: MessagePort | undefined;
  private readonly gathered = new AppliedGroups();
  private timer: NodeJS.Timeout | undefined;

  /** The first port offered is the thread's for its life; a later one is closed (its task's branch reports on the first). */
  adopt(port: MessagePort): void {
    if (this.port === undefined) this.port = port;
    else port.close();
  }

  log(branch: number, line: string): void {
    this.gathered.log(branch, Date.now(), line);
    this.schedule();
  }

  /** A reporter for one incarnation of `branch`. */
  forBranch(branch: number): BranchReporter {
    let open = true;
    return {
      log: (line) => open && this.log(branch, line),
      applied: (writes, clocks, balanceAfter) => open && this.applied(branch, writes, clocks, balanceAfter),
      held: (writes) => open && this.held(branch, writes),
      post: (msg) => open && this.post(msg),
      drop: () => this.drop(branch),
      close: () => void (open = false),
    };
  }

  applied(branch: number, writes: readonly Write[], clocks: readonly number[], balanceAfter?: number): void {
    this.gathered.applied(branch, writes, clocks, stamp, balanceAfter === undefined ? undefined : { wallMs: Date.now(), balanceCents: balanceAfter });
    this.schedule();
  }

  held(branch: number, writes: readonly Write[]): void {
    this.gathered.held(branch, writes, stamp);
    this.schedule();
  }

  /** Forgets what `branch` reported and has not been posted (it crashed). */
  drop(branch: number): void {
    this.gathered.drop(branch);
  }

  /** Posts `msg` after everything gathered before it. */
  post(msg: ToMain): void {
    this.flush();
    this.port?.postMessage(msg);
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.gathered.empty || this.port === undefined) return;
    const msg: ToMain = { type: "reports", ...this.gathered.take() };
    this.port.postMessage(msg);
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), REPORT_MS);
  }
}
