// The report's model: a history (and the checker's report on it) turned into
// what a space-time diagram draws. Pure: records in, plain data out (no DOM,
// no I/O); the page (page.ts) embeds it as JSON and the browser script
// (client/report-client.ts) draws it.
//
// Times are milliseconds from the first request a customer sent (t = 0), on
// the history's monoMs clock. A request is drawn as an arrow from its session
// to its branch and back; the history records when it left and when its
// answer came back, and how long the branch held it at the gate, not when it
// reached the branch: the model puts the gate hold in the middle of the
// request (the time on the wire split evenly each way). A write's
// propagation is drawn from its acceptance (its operation's completion at the
// origin, or its origin's apply) to each replica's apply; apply records merge
// what one branch applied within 50 ms (lib/run/apply-recorder.ts), so an
// apply time is the start of that window, never earlier than the acceptance.

import type { CheckReport, Rule, Violation } from "../checker/checker.js";
import type { HistoryRecord } from "../history/types.js";
import type { DiagramFinding, DiagramOp, DiagramWrite, Histogram, ReportModel } from "./model-types.js";

export type { DiagramFinding, DiagramOp, DiagramWrite, Histogram, OpKind, OpStatus, ReportModel } from "./model-types.js";

const GUARANTEE_OF: Partial<Record<Rule, DiagramFinding["guarantee"]>> = { RYW: "ryw", MR: "mr", MW: "mw", WFR: "wfr" };
const BINS = 30;
const THROUGHPUT_BINS = 60;

interface OpenOp {
  op: DiagramOp;
  startMono: number;
}

/** Takes history records one at a time, then the checker's report; builds the model. */
export class ReportModelBuilder {
  private meta: Extract<HistoryRecord, { type: "meta" }> | undefined;
  private readonly ops = new Map<number, OpenOp>();
  private readonly completes = new Map<number, Extract<HistoryRecord, { type: "complete" }>>();
  private readonly applies: Array<{ branch: number; mono: number; writes: Array<{ id: string; kind: "deposit" | "withdraw"; amountCents: number }> }> = [];
  private readonly buffers: Array<{ branch: number; mono: number; ids: string[] }> = [];
  private readonly sessionOrder: string[] = [];
  private readonly sessionSeen = new Set<string>();

  add(r: HistoryRecord): void {
    switch (r.type) {
      case "meta":
        this.meta = r;
        return;
      case "invoke":
        if (!this.sessionSeen.has(r.session)) {
          this.sessionSeen.add(r.session);
          this.sessionOrder.push(r.session);
        }
        this.ops.set(r.op, {
          startMono: r.monoMs,
          op: { op: r.op, session: r.session, branch: r.branch, kind: r.kind, amountCents: r.amountCents, startMs: 0, endMs: 0, gate: [0, 0], status: "open", attempts: 0, findings: [], ...(r.clock === undefined ? {} : { clock: r.clock }) },
        });
        return;
      case "complete":
        this.completes.set(r.op, r);
        return;
      case "apply":
        this.applies.push({ branch: r.branch, mono: r.monoMs, writes: r.writes });
        return;
      case "buffer":
        this.buffers.push({ branch: r.branch, mono: r.monoMs, ids: r.writes });
        return;
      case "final":
        return;
    }
  }

  finish(check: CheckReport): ReportModel {
    const meta = this.meta;
    if (meta === undefined) throw new Error("the history has no meta record");
    const t0 = this.timeZero(meta.monoMs);
    const ms = (mono: number) => round(mono - t0);
    let endMs = 0;
    const ops: DiagramOp[] = [];
    for (const { op, startMono } of [...this.ops.values()].sort((a, b) => a.op.op - b.op.op)) {
      op.startMs = ms(startMono);
      const c = this.completes.get(op.op);
      if (c !== undefined) completeOp(op, c, ms(c.monoMs));
      endMs = Math.max(endMs, op.endMs);
      ops.push(op);
    }
    const writes = this.buildWrites(ops, ms);
    for (const w of writes) for (const [, t] of w.applied) endMs = Math.max(endMs, t);
    for (const op of ops) if (op.status === "open") op.endMs = Math.max(op.endMs, endMs);
    const findings = check.violations.map(toFinding);
    const byOp = new Map(ops.map((o) => [o.op, o]));
    findings.forEach((f, i) => {
      for (const n of f.ops) byOp.get(n)?.findings.push(i);
    });
    const model: ReportModel = {
      version: 1,
      source: meta.source,
      guarantees: meta.guarantees,
      concurrent: meta.concurrent,
      branches: [...meta.branches].sort((a, b) => a - b),
      sessions: this.sessionOrder,
      startupMs: round(t0 - meta.monoMs),
      endMs: round(endMs),
      ops,
      writes,
      findings,
      verdict: check.verdict,
      counts: check.counts,
      plots: plots(ops, writes, endMs),
    };
    if (check.incomplete !== undefined) model.incomplete = check.incomplete.reason;
    return model;
  }

  /** The first request's departure (the meta record's time if no customer sent any). */
  private timeZero(metaMono: number): number {
    let t = Infinity;
    for (const { startMono } of this.ops.values()) t = Math.min(t, startMono);
    return t === Infinity ? metaMono : t;
  }

  private buildWrites(ops: DiagramOp[], ms: (mono: number) => number): DiagramWrite[] {
    const byId = new Map<string, DiagramWrite>();
    for (const op of ops) {
      if (op.writeId === undefined || op.kind === "query") continue;
      byId.set(op.writeId, { id: op.writeId, origin: op.branch, kind: op.kind, amountCents: op.amountCents, op: op.op, acceptedMs: op.gate[1], applied: [], buffered: [] });
    }
    for (const a of this.applies) {
      for (const w of a.writes) {
        let dw = byId.get(w.id);
        if (dw === undefined) {
          // A write whose operation is not in the history (a retried outcome, or a record lost with a crash).
          dw = { id: w.id, origin: originOf(w.id), kind: w.kind, amountCents: w.amountCents, acceptedMs: Infinity, applied: [], buffered: [] };
          byId.set(w.id, dw);
        }
        dw.applied.push([a.branch, ms(a.mono)]);
      }
    }
    for (const b of this.buffers) for (const id of b.ids) byId.get(id)?.buffered.push([b.branch, ms(b.mono)]);
    for (const w of byId.values()) settleWriteTimes(w);
    return [...byId.values()].sort((a, b) => a.acceptedMs - b.acceptedMs || a.id.localeCompare(b.id));
  }
}

/** Builds the model of a history held in memory. */
export function buildReportModel(records: Iterable<HistoryRecord>, check: CheckReport): ReportModel {
  const b = new ReportModelBuilder();
  for (const r of records) b.add(r);
  return b.finish(check);
}

function completeOp(op: DiagramOp, c: Extract<HistoryRecord, { type: "complete" }>, endMs: number): void {
  op.endMs = Math.max(endMs, op.startMs);
  op.status = c.status;
  op.attempts = c.attempts;
  if (c.result !== undefined) op.result = c.result;
  if (c.writeId !== undefined) op.writeId = c.writeId;
  if (c.balanceCents !== undefined) op.balanceCents = c.balanceCents;
  if (c.error !== undefined) op.error = c.error;
  if (c.branchClock !== undefined) op.branchClock = c.branchClock;
  const total = op.endMs - op.startMs;
  const gate = Math.min(Math.max(0, c.gateWaitMs), total);
  const from = op.startMs + (total - gate) / 2;
  op.gate = [round(from), round(from + gate)];
}

/** Acceptance: the origin's apply, or the operation's answer; no replica applies before it. */
function settleWriteTimes(w: DiagramWrite): void {
  const atOrigin = w.applied.find(([b]) => b === w.origin)?.[1];
  if (w.acceptedMs === Infinity) w.acceptedMs = atOrigin ?? Math.min(...w.applied.map(([, t]) => t), Infinity);
  if (w.acceptedMs === Infinity) w.acceptedMs = 0;
  for (const a of w.applied) a[1] = Math.max(a[1], w.acceptedMs);
  for (const b of w.buffered) b[1] = Math.max(b[1], w.acceptedMs);
}

function toFinding(v: Violation): DiagramFinding {
  const f: DiagramFinding = { rule: v.rule, severity: v.severity, message: v.message, ops: v.ops };
  const g = GUARANTEE_OF[v.rule];
  if (g !== undefined) f.guarantee = g;
  if (v.session !== undefined) f.session = v.session;
  if (v.branch !== undefined) f.branch = v.branch;
  return f;
}

function originOf(id: string): number {
  return Number(id.slice(0, id.indexOf(".")));
}

function plots(ops: DiagramOp[], writes: DiagramWrite[], endMs: number): ReportModel["plots"] {
  const done = ops.filter((o) => o.status !== "open");
  const lags: number[] = [];
  for (const w of writes) {
    if (w.applied.length < 2) continue;
    lags.push(Math.max(...w.applied.map(([, t]) => t)) - w.acceptedMs);
  }
  return {
    latency: histogram(done.map((o) => o.endMs - o.startMs)),
    gateWait: histogram(done.map((o) => o.gate[1] - o.gate[0])),
    lag: histogram(lags),
    throughput: throughput(done.map((o) => o.endMs), endMs),
  };
}

/** Equal-width bins from 0 to the largest sample. */
export function histogram(samples: readonly number[]): Histogram {
  const max = samples.reduce((m, x) => Math.max(m, x), 0);
  const width = max > 0 ? niceStep(max / BINS) : 1;
  const bins = Math.max(1, Math.ceil(max / width) + (max > 0 && max % width === 0 ? 1 : 0));
  const counts = new Array<number>(bins).fill(0);
  for (const x of samples) counts[Math.min(bins - 1, Math.floor(Math.max(0, x) / width))]!++;
  const edges = Array.from({ length: bins + 1 }, (_, i) => round(i * width));
  return { edges, counts, samples: samples.length, maxMs: round(max) };
}

/** Completions per bin over [0, end]. */
export function throughput(completions: readonly number[], endMs: number): ReportModel["plots"]["throughput"] {
  const binMs = niceStep(Math.max(endMs, 1) / THROUGHPUT_BINS);
  const bins = Math.max(1, Math.ceil(Math.max(endMs, 1) / binMs));
  const counts = new Array<number>(bins).fill(0);
  for (const t of completions) counts[Math.min(bins - 1, Math.max(0, Math.floor(t / binMs)))]!++;
  return { binMs, starts: counts.map((_, i) => round(i * binMs)), counts };
}

/** 1, 2 or 5 times a power of ten, at least `x`. */
function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
