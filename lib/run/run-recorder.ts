// What a run records as it goes, from the branches' messages and from its own
// steps: history.jsonl (the meta record first, then apply records, and at the
// end each branch's final state; the sessions add invocations and
// completions), each branch's log, the propagation lag, and the fault events
// for the summary.

import type { BranchState } from "../core/branch.js";
import { toJsonEach } from "../history/vector-json.js";
import { HistoryWriter } from "../history/writer.js";
import { logEntries } from "../hosting/applied-groups.js";
import type { ToMain, WireWrite } from "../hosting/worker-protocol.js";
import type { Scenario } from "../scenario/scenario.js";
import { ApplyRecorder } from "./apply-recorder.js";
import { BranchLogs } from "./branch-logs.js";
import { PropagationLag } from "./latency-stats.js";
import type { RunConfig } from "./run-config.js";
import type { StorageError } from "../storage/storage-error.js";

export class RunRecorder {
  readonly history: HistoryWriter;
  readonly lag: PropagationLag;
  /** What the injected faults did, in order (crashes, restarts, recoveries). */
  readonly faultEvents: string[] = [];
  private readonly logs: BranchLogs;
  private readonly applies: ApplyRecorder;

  /** `paths`: history.jsonl and the branch log folder; `echo`: where -v copies branch log lines. */
  constructor(
    scenario: Pick<Scenario, "source" | "branches" | "initialBalanceCents">,
    cfg: Pick<RunConfig, "guarantees" | "concurrent" | "faults">,
    paths: { history: string; branches: string },
    echo: ((line: string) => void) | undefined,
    onStorageError: (err: StorageError) => void = () => undefined,
  ) {
    this.history = new HistoryWriter(paths.history, onStorageError);
    this.history.write({
      type: "meta", version: 1, source: scenario.source, branches: scenario.branches,
      initialBalanceCents: scenario.initialBalanceCents, guarantees: cfg.guarantees, concurrent: cfg.concurrent,
      wallMs: Date.now(), monoMs: performance.timeOrigin + performance.now(),
    });
    this.logs = new BranchLogs(paths.branches, echo, onStorageError);
    this.lag = new PropagationLag(scenario.branches.length);
    // A restarted branch reports everything its log gave back: only with crashes can a write be reported twice.
    this.applies = new ApplyRecorder(this.history, this.lag, cfg.faults.crashes.length > 0);
  }

  /** Every message a branch sends (Cluster's onMessage). */
  readonly onMessage = (msg: ToMain): void => {
    if (msg.type === "reports") {
      for (const [branch, wallMs, line] of logEntries(msg)) this.logs.line(branch, wallMs, line);
      for (const b of msg.buffered) this.history.write({ type: "buffer", branch: b.branch, writes: b.ids, wallMs: b.wallMs, monoMs: b.monoMs });
      for (const g of msg.groups) this.applies.addGroup(g);
    } else if (msg.type === "recovered") {
      this.fault(`branch ${msg.branchId} recovered ${msg.applied.length} writes and ${msg.outcomes} outcomes from its log` +
        (msg.cutBytes > 0 ? `, cutting ${msg.cutBytes} bytes (${msg.cutReason ?? ""})` : ""));
      this.applies.add(msg.branchId, msg.applied, Date.now(), performance.timeOrigin + performance.now(), true);
    } else if (msg.type === "failed") {
      this.fault(`branch ${msg.branchId} stopped serving: its log failed: ${msg.reason}`);
    }
  };

  /** Writes a branch applied, as a served cluster's applied log gives them (Bank.AppliedLog). */
  recordApplied(branch: number, writes: readonly WireWrite[], wallMs: number, monoMs: number): void {
    this.applies.add(branch, writes, wallMs, monoMs);
  }

  fault(line: string): void {
    this.faultEvents.push(line);
  }

  /** Every pending apply record, then each branch's final state. */
  recordFinals(finals: readonly BranchState[]): void {
    this.applies.flush();
    const json = toJsonEach();
    for (const s of finals) this.history.write({ type: "final", branch: s.branch, balanceCents: s.balanceCents, applied: json(s.applied) });
  }

  /** Closes the branch logs and the history, flushing what is pending; call once the cluster has stopped, when no message can come. */
  async close(): Promise<void> {
    await this.logs.close();
    this.applies.flush();
    await this.history.close();
  }
}
