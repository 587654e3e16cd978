// The report page's script, run in the browser: draws the space-time diagram
// of a ReportModel (lib/report/model.ts) as SVG, with filters, zoom and
// paging, the findings beside it, and the plots (uPlot, inlined by page.ts).
// Compiled on its own (tsconfig.json beside it: DOM, no Node), inlined into
// report.html as a module script that calls startReport(model).
//
// Big runs stay light: only the operations in the time window are drawn, at
// most MAX_OPS of them (the window pages forward and back); branch lanes are
// paged (MAX_SESSION_LANES and MAX_BRANCH_LANES at a time), propagation
// arrows go only to lanes shown (the rest are summed up as one bar), and the
// findings list grows by FINDINGS_PAGE entries on demand.

import type uPlotType from "uplot";
import type { DiagramOp, DiagramWrite, Histogram, ReportModel } from "../model-types.js";

declare const uPlot: typeof uPlotType;

const MAX_OPS = 400;
const MAX_SESSION_LANES = 20;
const MAX_BRANCH_LANES = 30;
const MAX_ARROWS = 4000;
const FINDINGS_PAGE = 100;
const LEFT = 96;
const AXIS_H = 30;
/** Rows above the lanes for the findings' explanations. */
const NOTE_ROW = 18;
const MAX_NOTES = 6;
const SVG_NS = "http://www.w3.org/2000/svg";

interface View {
  session: string;
  branch: string;
  onlyFlagged: boolean;
  t0: number;
  t1: number;
  lanePage: number;
  selected: number;
}

/** Lanes are tall when few, so that arrows between them are easy to follow. */
function laneHeight(n: number): number {
  return n <= 6 ? 64 : n <= 12 ? 46 : 30;
}

interface Lane {
  key: string;
  label: string;
  y: number;
  kind: "session" | "branch";
}

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

function svg(tag: string, attrs: Record<string, string | number>, parent?: Element): SVGElement {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (parent) parent.appendChild(e);
  return e;
}

const money = (cents: number | undefined) => (cents === undefined ? "" : (cents / 100).toFixed(2));
const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export function startReport(model: ReportModel): void {
  const opsByNo = new Map(model.ops.map((o) => [o.op, o]));
  const writesByOp = new Map<number, DiagramWrite>();
  for (const w of model.writes) if (w.op !== undefined) writesByOp.set(w.op, w);
  const flagged = model.ops.filter((o) => o.findings.length > 0);
  const view: View = { session: "", branch: "", onlyFlagged: false, t0: 0, t1: initialEnd(model), lanePage: 0, selected: -1 };

  fillFilters(model);
  renderFindings(model, (i) => selectFinding(i));
  const redraw = () => draw(model, view, opsByNo, writesByOp, flagged);
  const change = () => {
    view.session = $<HTMLSelectElement>("filter-session").value;
    view.branch = $<HTMLSelectElement>("filter-branch").value;
    view.onlyFlagged = $<HTMLInputElement>("only-anomalies").checked;
    view.lanePage = 0;
    redraw();
  };
  for (const id of ["filter-session", "filter-branch", "only-anomalies"]) $(id).addEventListener("change", change);
  const zoom = (factor: number, at = (view.t0 + view.t1) / 2) => {
    const span = Math.max(0.5, (view.t1 - view.t0) * factor);
    const left = (at - view.t0) / (view.t1 - view.t0);
    view.t0 = Math.max(-span * 0.05, at - span * left);
    view.t1 = view.t0 + span;
    redraw();
  };
  const shift = (dir: number) => {
    const span = view.t1 - view.t0;
    view.t0 = Math.max(-span * 0.05, view.t0 + dir * span * 0.9);
    view.t1 = view.t0 + span;
    redraw();
  };
  $("zoom-in").addEventListener("click", () => zoom(0.5));
  $("zoom-out").addEventListener("click", () => zoom(2));
  $("zoom-fit").addEventListener("click", () => {
    view.t0 = 0;
    view.t1 = fullEnd(model);
    redraw();
  });
  $("page-prev").addEventListener("click", () => shift(-1));
  $("page-next").addEventListener("click", () => shift(1));
  $("lanes-prev").addEventListener("click", () => {
    view.lanePage = Math.max(0, view.lanePage - 1);
    redraw();
  });
  $("lanes-next").addEventListener("click", () => {
    view.lanePage++;
    redraw();
  });
  $("diagram").addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const box = (ev.currentTarget as Element).getBoundingClientRect();
    const frac = Math.min(1, Math.max(0, (ev.clientX - box.left - LEFT) / Math.max(1, box.width - LEFT - 20)));
    zoom(ev.deltaY > 0 ? 1.25 : 0.8, view.t0 + frac * (view.t1 - view.t0));
  }, { passive: false });

  function selectFinding(i: number): void {
    view.selected = view.selected === i ? -1 : i;
    const f = model.findings[i];
    if (f !== undefined && view.selected === i) {
      const ops = f.ops.map((n) => opsByNo.get(n)).filter((o): o is DiagramOp => o !== undefined);
      if (ops.length > 0) {
        const from = Math.min(...ops.map((o) => o.startMs));
        const to = Math.max(...ops.map((o) => o.endMs), ...ops.flatMap((o) => (writesByOp.get(o.op)?.applied ?? []).map(([, t]) => t)));
        const pad = Math.max(5, (to - from) * 0.1);
        view.t0 = from - pad;
        view.t1 = to + pad;
      }
    }
    for (const li of document.querySelectorAll(".finding")) li.classList.toggle("selected", Number((li as HTMLElement).dataset["index"]) === view.selected);
    redraw();
  }

  redraw();
  renderPlots(model);
  window.addEventListener("resize", redraw);
  (window as unknown as { reportReady: number }).reportReady = performance.now();
  document.body.dataset["ready"] = "1";
}

/** The end of everything drawn: the last answer or apply. */
function fullEnd(model: ReportModel): number {
  return Math.max(1, model.endMs) * 1.03;
}

/** Big runs open on a window holding the first MAX_OPS operations. */
function initialEnd(model: ReportModel): number {
  if (model.ops.length <= MAX_OPS) return fullEnd(model);
  const ends = model.ops.map((o) => o.startMs).sort((a, b) => a - b);
  return Math.max(1, ends[Math.floor(MAX_OPS * 0.75)] ?? model.endMs);
}

function fillFilters(model: ReportModel): void {
  const s = $<HTMLSelectElement>("filter-session");
  for (const name of model.sessions) s.appendChild(el("option", { value: name }, `session ${name}`));
  const b = $<HTMLSelectElement>("filter-branch");
  for (const id of model.branches) b.appendChild(el("option", { value: String(id) }, `branch ${id}`));
}

function renderFindings(model: ReportModel, select: (i: number) => void): void {
  const list = $("findings");
  if (model.findings.length === 0) {
    list.appendChild(el("li", { class: "none" }, "The checker found nothing to report: every rule held."));
    return;
  }
  let shown = 0;
  const more = el("button", { id: "findings-more" });
  const page = () => {
    const end = Math.min(model.findings.length, shown + FINDINGS_PAGE);
    for (; shown < end; shown++) list.appendChild(findingItem(model, shown, select));
    more.textContent = `show ${Math.min(FINDINGS_PAGE, model.findings.length - shown)} more of ${model.findings.length - shown} left`;
    if (shown >= model.findings.length) more.remove();
  };
  more.addEventListener("click", page);
  list.after(more);
  page();
}

function findingItem(model: ReportModel, i: number, select: (i: number) => void): HTMLLIElement {
  const f = model.findings[i]!;
  {
    const li = el("li", { class: `finding sev-${f.severity}`, "data-index": String(i), "data-rule": f.rule });
    li.appendChild(el("span", { class: "badge" }, String(i + 1)));
    li.appendChild(el("b", {}, `${f.rule} ${f.severity}`));
    li.appendChild(document.createTextNode(": "));
    li.appendChild(el("span", { class: "explanation" }, f.message));
    if (f.ops.length > 0) li.appendChild(el("span", { class: "ops" }, ` [ops ${f.ops.map((o) => `#${o}`).join(", ")}]`));
    li.addEventListener("click", () => select(i));
    return li;
  }
}

/** The operations the filters let through, in the time window. */
function visibleOps(model: ReportModel, view: View, flagged: DiagramOp[]): DiagramOp[] {
  const branch = view.branch === "" ? undefined : Number(view.branch);
  const source = view.onlyFlagged ? flagged : model.ops;
  return source.filter(
    (o) => (view.session === "" || o.session === view.session) && (branch === undefined || o.branch === branch) && o.endMs >= view.t0 && o.startMs <= view.t1,
  );
}

/** Which lanes the window shows: every session and branch when few, else those its operations touch, paged. */
function laneKeys(model: ReportModel, view: View, ops: DiagramOp[]): { sessions: string[]; branches: number[]; pages: number; branchCount: number } {
  const touchedSessions = new Set(ops.map((o) => o.session));
  const sessions =
    view.session !== "" ? [view.session]
    : view.onlyFlagged || view.branch !== "" || model.sessions.length > MAX_SESSION_LANES ? model.sessions.filter((s) => touchedSessions.has(s))
    : model.sessions;
  let branches: number[];
  if (view.branch !== "") branches = [Number(view.branch)];
  else if (view.session !== "" || view.onlyFlagged || model.branches.length > MAX_BRANCH_LANES) {
    const touched = new Set(ops.map((o) => o.branch));
    for (const o of ops) for (const i of o.findings) {
      const b = model.findings[i]?.branch;
      if (b !== undefined) touched.add(b);
    }
    branches = model.branches.filter((b) => touched.has(b));
  } else branches = model.branches;
  const sPages = Math.max(1, Math.ceil(sessions.length / MAX_SESSION_LANES));
  const bPages = Math.max(1, Math.ceil(branches.length / MAX_BRANCH_LANES));
  const pages = Math.max(sPages, bPages);
  view.lanePage = Math.min(view.lanePage, pages - 1);
  const sp = Math.min(view.lanePage, sPages - 1);
  const bp = Math.min(view.lanePage, bPages - 1);
  return {
    sessions: sessions.slice(sp * MAX_SESSION_LANES, (sp + 1) * MAX_SESSION_LANES),
    branches: branches.slice(bp * MAX_BRANCH_LANES, (bp + 1) * MAX_BRANCH_LANES),
    pages,
    branchCount: branches.length,
  };
}

function placeLanes(sessions: string[], branches: number[], top: number): { lanes: Lane[]; laneH: number } {
  const laneH = laneHeight(sessions.length + branches.length);
  const lanes: Lane[] = [];
  let y = top + laneH / 2;
  for (const s of sessions) {
    lanes.push({ key: `s:${s}`, label: `session ${s}`, y, kind: "session" });
    y += laneH;
  }
  y += laneH / 2;
  for (const b of branches) {
    lanes.push({ key: `b:${b}`, label: `branch ${b}`, y, kind: "branch" });
    y += laneH;
  }
  return { lanes, laneH };
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function draw(model: ReportModel, view: View, opsByNo: Map<number, DiagramOp>, writesByOp: Map<number, DiagramWrite>, flagged: DiagramOp[]): void {
  const host = $("diagram");
  const width = Math.max(640, host.clientWidth || 1000);
  const inWindow = visibleOps(model, view, flagged);
  const keys = laneKeys(model, view, inWindow);
  const sessionSet = new Set(keys.sessions);
  const branchSet = new Set(keys.branches);
  const all = inWindow.filter((o) => sessionSet.has(o.session) && branchSet.has(o.branch));
  const ops = all.slice(0, MAX_OPS);
  const { pages, branchCount } = keys;
  const noteCount = Math.min(MAX_NOTES, new Set(ops.flatMap((o) => o.findings)).size);
  const top = AXIS_H + noteCount * NOTE_ROW + (noteCount > 0 ? 10 : 0);
  const { lanes, laneH } = placeLanes(keys.sessions, keys.branches, top);
  const laneY = new Map(lanes.map((l) => [l.key, l.y]));
  const height = (lanes.at(-1)?.y ?? top) + laneH / 2 + 8;
  const plotW = width - LEFT - 20;
  const x = (t: number) => LEFT + ((t - view.t0) / (view.t1 - view.t0)) * plotW;

  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "space-time diagram" }) as SVGSVGElement;
  defs(root);
  const clip = svg("g", { "clip-path": "url(#plot-clip)" });
  svg("rect", { x: LEFT, y: 0, width: plotW, height }, svg("clipPath", { id: "plot-clip" }, root.querySelector("defs")!));
  axis(root, view, x, plotW, height);
  // The notes band is drawn unclipped, so an explanation may run past the window's edge.
  for (const l of lanes) {
    svg("line", { x1: LEFT, x2: LEFT + plotW, y1: l.y, y2: l.y, class: `lane lane-${l.kind}` }, root);
    const label = svg("text", { x: LEFT - 8, y: l.y + 4, class: `lane-label lane-label-${l.kind}`, "text-anchor": "end" }, root);
    label.textContent = l.label;
  }
  root.appendChild(clip);

  let arrows = 0;
  const gProp = svg("g", { class: "propagation" }, clip);
  const gOps = svg("g", { class: "requests" }, clip);
  const gNotes = svg("g", { class: "notes" });
  const selectedOps = new Set(model.findings[view.selected]?.ops ?? []);
  const flaggedApplies = appliesNamed(model, ops, writesByOp);
  const labels = new LabelRows();
  for (const o of ops) {
    const w = writesByOp.get(o.op);
    if (w !== undefined && arrows < MAX_ARROWS) arrows += drawPropagation(gProp, w, laneY, x, MAX_ARROWS - arrows, flaggedApplies.get(w.id), ops.length <= 60 && lanes.length <= 14);
    drawOp(gOps, o, laneY, x, selectedOps.has(o.op), ops.length <= 60 ? labels : undefined);
  }
  drawFindingNotes(gNotes, model, ops, laneY, x, view.selected, width);
  root.appendChild(gNotes);
  host.replaceChildren(root);

  const notes: string[] = [];
  notes.push(`${ops.length} operation${ops.length === 1 ? "" : "s"} shown`);
  if (all.length > ops.length) notes.push(`the first ${ops.length} of ${all.length} in this window: zoom in, or page with ◀ ▶`);
  if (inWindow.length > all.length) notes.push(`${inWindow.length - all.length} more in this window are on other lanes (lanes ▲ ▼, or pick a session or branch)`);
  if (pages > 1) notes.push(`lane page ${view.lanePage + 1} of ${pages} (${keys.branches.length} of ${branchCount} branches, ${keys.sessions.length} sessions)`);
  if (arrows >= MAX_ARROWS) notes.push(`propagation arrows capped at ${MAX_ARROWS}`);
  notes.push(`window ${fmtMs(Math.max(0, view.t0))} – ${fmtMs(view.t1)}`);
  $("shown").textContent = notes.join("; ");
  $("shown").dataset["ops"] = String(ops.length);
  ($("lanes-prev") as HTMLButtonElement).disabled = view.lanePage === 0;
  ($("lanes-next") as HTMLButtonElement).disabled = view.lanePage >= pages - 1;
  void opsByNo;
}

/**
 * Per write, the findings that name it at a branch (MW and WFR are about the
 * order a branch applied writes in): its apply there is ringed and numbered.
 */
function appliesNamed(model: ReportModel, ops: DiagramOp[], writesByOp: Map<number, DiagramWrite>): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const o of ops) {
    for (const i of o.findings) {
      const f = model.findings[i];
      const w = writesByOp.get(o.op);
      if (f?.branch === undefined || w === undefined || !w.applied.some(([b]) => b === f.branch)) continue;
      let at = out.get(w.id);
      if (at === undefined) out.set(w.id, (at = new Map()));
      if (!at.has(f.branch)) at.set(f.branch, i);
    }
  }
  return out;
}

/** Operation labels on a lane move to a second or third row rather than overlap. */
class LabelRows {
  private readonly ends = new Map<string, number[]>();

  place(lane: string, x: number, width: number): number {
    const rows = this.ends.get(lane) ?? [];
    let row = rows.findIndex((end) => end < x);
    if (row === -1) row = rows.length < 3 ? rows.length : 0;
    rows[row] = x + width;
    this.ends.set(lane, rows);
    return row;
  }
}

function defs(root: SVGSVGElement): void {
  const d = svg("defs", {}, root);
  for (const [id, color] of [["arrow", "#333"], ["arrow-fail", "#c62828"], ["arrow-info", "#888"], ["arrow-prop", "#7b8fb0"]] as const) {
    const m = svg("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" }, d);
    svg("path", { d: "M0,0 L10,5 L0,10 z", fill: color }, m);
  }
}

function axis(root: SVGSVGElement, view: View, x: (t: number) => number, plotW: number, height: number): void {
  const span = view.t1 - view.t0;
  const step = niceStep(span / Math.max(2, Math.floor(plotW / 90)));
  const g = svg("g", { class: "axis" }, root);
  for (let t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
    svg("line", { x1: x(t), x2: x(t), y1: AXIS_H - 8, y2: height - 6, class: "tick" }, g);
    const label = svg("text", { x: x(t), y: AXIS_H - 12, "text-anchor": "middle" }, g);
    label.textContent = fmtMs(t);
  }
}

function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(x, 1e-3)));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function opClass(o: DiagramOp): string {
  const parts = ["op", `kind-${o.kind}`, `status-${o.status}`];
  if (o.status === "ok" && o.result === "fail") parts.push("declined");
  if (o.findings.length > 0) parts.push("flagged");
  return parts.join(" ");
}

function describeOp(o: DiagramOp): string {
  const what = o.kind === "query" ? "query" : `${o.kind} ${money(o.amountCents)}`;
  const outcome =
    o.status === "ok"
      ? o.result === "fail"
        ? "declined (insufficient funds)"
        : o.kind === "query" || o.kind === "withdraw"
          ? `returned ${money(o.balanceCents)}`
          : `accepted as write ${o.writeId ?? "?"}`
      : o.status === "fail"
        ? `refused${o.error ? `: ${o.error}` : ""}`
        : o.status === "info"
          ? `outcome unknown${o.error ? `: ${o.error}` : ""}`
          : "no answer recorded";
  const gate = o.gate[1] - o.gate[0];
  return `op #${o.op}, session ${o.session}: ${what} at branch ${o.branch}, ${outcome}; ` +
    `sent at ${fmtMs(o.startMs)}, answered after ${fmtMs(o.endMs - o.startMs)}` +
    (gate >= 0.05 ? `, held ${fmtMs(gate)} at the gate` : "") + (o.attempts > 1 ? `, ${o.attempts} attempts` : "") + lamportLabel(o);
}

/** The Lamport clocks of the request's send and receipt, as the course's events name them. */
function lamportLabel(o: DiagramOp): string {
  if (o.clock === undefined) return "";
  const recv = o.branchClock === undefined ? "" : `, event_recv at branch ${o.branch} at clock ${o.branchClock}`;
  return `; Lamport: event_sent at clock ${o.clock}${recv}`;
}

function drawOp(g: Element, o: DiagramOp, laneY: Map<string, number>, x: (t: number) => number, selected: boolean, labels: LabelRows | undefined): void {
  const ys = laneY.get(`s:${o.session}`);
  const yb = laneY.get(`b:${o.branch}`);
  if (ys === undefined || yb === undefined) return;
  const group = svg("g", { class: opClass(o) + (selected ? " selected" : ""), "data-op": o.op, "data-session": o.session, "data-branch": o.branch }, g);
  svg("title", {}, group).textContent = describeOp(o);
  const dy = yb > ys ? -7 : 7;
  const [g0, g1] = o.gate;
  const marker = o.status === "fail" ? "arrow-fail" : o.status === "ok" ? "arrow" : "arrow-info";
  if (o.findings.length > 0) {
    svg("path", { d: `M${x(o.startMs)},${ys} L${x(g0)},${yb + dy} L${x(g1)},${yb + dy} L${x(o.endMs)},${ys}`, class: "halo" }, group);
  }
  svg("line", { x1: x(o.startMs), y1: ys, x2: x(g0), y2: yb + dy, class: "req", "marker-end": "url(#arrow)" }, group);
  if (g1 - g0 >= 0.05) svg("rect", { x: x(g0), y: yb + dy - 4, width: Math.max(2, x(g1) - x(g0)), height: 8, class: "gate" }, group);
  if (o.status !== "open") svg("line", { x1: x(g1), y1: yb + dy, x2: x(o.endMs), y2: ys, class: "reply", "marker-end": `url(#${marker})` }, group);
  const mark = o.status === "fail" ? "✕" : o.status === "info" ? "?" : o.status === "open" ? "…" : o.result === "fail" ? "declined" : "";
  if (mark !== "") svg("text", { x: x(o.endMs) + 4, y: ys - 5, class: "mark" }, group).textContent = mark;
  if (labels !== undefined) {
    const text = o.kind === "query" ? `#${o.op} query${o.balanceCents !== undefined ? ` → ${money(o.balanceCents)}` : ""}` : `#${o.op} ${o.kind} ${money(o.amountCents)}${o.writeId ? ` (${o.writeId})` : ""}`;
    const row = labels.place(`b:${o.branch}`, x(g0) + 4, text.length * 6.2);
    svg("text", { x: x(g0) + 4, y: yb + (yb > ys ? -12 - row * 12 : 20 + row * 12), class: "op-label" }, group).textContent = text;
  }
}

/** Arrows from the write's origin to each replica shown; returns how many were drawn. */
function drawPropagation(g: Element, w: DiagramWrite, laneY: Map<string, number>, x: (t: number) => number, budget: number, named: Map<number, number> | undefined, labels: boolean): number {
  const yo = laneY.get(`b:${w.origin}`);
  if (yo === undefined) return 0;
  const group = svg("g", { class: "write", "data-write": w.id }, g);
  const hidden = w.applied.filter(([b]) => !laneY.has(`b:${b}`)).length;
  svg("title", {}, group).textContent = `write ${w.id} (${w.kind} ${money(w.amountCents)}) accepted at branch ${w.origin} at ${fmtMs(w.acceptedMs)}; applied at ${w.applied.length} replica(s)` +
    (w.buffered.length > 0 ? `, buffered at ${w.buffered.map(([b]) => b).join(", ")} until its dependencies arrived` : "") + (hidden > 0 ? `; ${hidden} replica lane(s) not shown` : "");
  let n = 0;
  for (const [b, t] of w.applied) {
    const y = laneY.get(`b:${b}`);
    if (y === undefined || n >= budget) continue;
    if (b !== w.origin) {
      svg("line", { x1: x(w.acceptedMs), y1: yo, x2: x(t), y2: y, class: "prop", "marker-end": "url(#arrow-prop)" }, group);
      n++;
    }
    const finding = named?.get(b);
    if (finding !== undefined) {
      svg("circle", { cx: x(t), cy: y, r: 8, class: "applied-flagged", "data-finding": finding }, group);
      svg("text", { x: x(t) - 10, y: y - 9, class: "applied-flagged-text", "text-anchor": "end" }, group).textContent = `${finding + 1}`;
    }
    svg("circle", { cx: x(t), cy: y, r: 3.5, class: "applied", "data-branch": b }, group);
    if (labels) svg("text", { x: x(t) + 5, y: y + 13, class: "write-label" }, group).textContent = w.id;
  }
  if (hidden > 0) {
    // Replicas on lanes not shown: one bar on the origin's lane, from the first of their applies to the last.
    const times = w.applied.filter(([b]) => !laneY.has(`b:${b}`)).map(([, t]) => t);
    const from = Math.min(...times);
    const to = Math.max(...times);
    const spread = svg("rect", { x: x(from), y: yo + 5, width: Math.max(2, x(to) - x(from)), height: 3, class: "spread" }, group);
    svg("title", {}, spread).textContent = `write ${w.id}: applied at ${hidden} replica(s) not shown, from ${fmtMs(from)} to ${fmtMs(to)}`;
  }
  for (const [b, t] of w.buffered) {
    const y = laneY.get(`b:${b}`);
    const done = w.applied.find(([ab]) => ab === b)?.[1];
    if (y === undefined) continue;
    if (done !== undefined) svg("line", { x1: x(t), x2: x(done), y1: y, y2: y, class: "buffer-wait" }, group);
    svg("rect", { x: x(t) - 4, y: y - 4, width: 8, height: 8, class: "buffered", "data-branch": b }, group);
  }
  return n;
}

/** One row per finding above the lanes: its badge, rule and explanation, with a leader to the operation it ends on. */
function drawFindingNotes(g: Element, model: ReportModel, ops: DiagramOp[], laneY: Map<string, number>, x: (t: number) => number, selected: number, width: number): void {
  const seen = new Set<number>();
  let row = 0;
  for (const o of ops) {
    for (const i of o.findings) {
      if (seen.has(i) || row >= MAX_NOTES) continue;
      const f = model.findings[i];
      if (f === undefined) continue;
      seen.add(i);
      const ys = laneY.get(`s:${o.session}`);
      const last = f.ops.map((n) => ops.find((p) => p.op === n)).filter((p): p is DiagramOp => p !== undefined).at(-1) ?? o;
      const y = AXIS_H + 4 + row * NOTE_ROW + NOTE_ROW / 2;
      row++;
      const note = svg("g", { class: `finding-note sev-${f.severity}${i === selected ? " selected" : ""}`, "data-finding": i }, g);
      const ox = Math.min(Math.max(x(last.endMs), LEFT), width - 20);
      if (ys !== undefined) svg("line", { x1: ox, x2: ox, y1: y, y2: laneY.get(`s:${last.session}`) ?? ys, class: "leader" }, note);
      const room = width - ox - 30;
      const anchorEnd = room < 320 && ox - LEFT > room;
      const cx = anchorEnd ? ox - 10 : ox + 10;
      svg("circle", { cx, cy: y, r: 8, class: "badge" }, note);
      svg("text", { x: cx, y: y + 4, "text-anchor": "middle", class: "badge-text" }, note).textContent = String(i + 1);
      const chars = Math.max(20, Math.floor((anchorEnd ? cx - 20 : room) / 8.2));
      const text = svg("text", { x: anchorEnd ? cx - 12 : cx + 12, y: y + 4, class: "note-text", "text-anchor": anchorEnd ? "end" : "start" }, note);
      text.textContent = `${f.rule} ${f.severity}: ${shorten(f.message, chars)}`;
      svg("title", {}, note).textContent = f.message;
    }
  }
}

function shorten(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + "…";
}

function renderPlots(model: ReportModel): void {
  const hist = (id: string, title: string, h: Histogram, color: string) => {
    const host = $(id);
    if (h.samples === 0) {
      host.appendChild(el("p", { class: "empty" }, `${title}: no samples`));
      return;
    }
    const xs = h.counts.map((_, i) => ((h.edges[i] ?? 0) + (h.edges[i + 1] ?? 0)) / 2);
    new uPlot({
      title: `${title} (${h.samples} samples, max ${fmtMs(h.maxMs)})`,
      width: Math.max(280, host.clientWidth || 420),
      height: 200,
      scales: { x: { time: false } },
      axes: [{ label: "ms" }, { label: "count" }],
      legend: { show: false },
      series: [{}, { label: "count", fill: color, stroke: color, paths: uPlot.paths.bars!({ size: [0.9, 60] }), points: { show: false } }],
    }, [xs, h.counts], host);
  };
  hist("plot-latency", "Latency", model.plots.latency, "rgba(60,110,180,0.7)");
  hist("plot-gate", "Gate wait", model.plots.gateWait, "rgba(220,140,30,0.75)");
  hist("plot-lag", "Propagation lag (to the last replica)", model.plots.lag, "rgba(90,150,90,0.75)");
  const tp = model.plots.throughput;
  const host = $("plot-throughput");
  new uPlot({
    title: `Throughput (operations completed per ${fmtMs(tp.binMs)})`,
    width: Math.max(280, host.clientWidth || 420),
    height: 200,
    scales: { x: { time: false } },
    axes: [{ label: "ms since t = 0" }, { label: "operations" }],
    legend: { show: false },
    series: [{}, { label: "completed", stroke: "rgb(120,60,160)", width: 2, fill: "rgba(120,60,160,0.12)", points: { show: false } }],
  }, [tp.starts, tp.counts], host);
}
