// Renders a ReportModel as one self-contained HTML page: the styles, uPlot
// (read from node_modules at report time), the browser script (compiled from
// client/report-client.ts) and the model as JSON are all inlined, so the file
// opens by double-click and fetches nothing. Pure apart from reading those
// two scripts, which pageAssets() does once.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ReportModel } from "./model-types.js";
import { PAGE_CSS } from "./page-style.js";

export interface PageAssets {
  uplotJs: string;
  uplotCss: string;
  clientJs: string;
}

let cached: PageAssets | undefined;

/** uPlot's build and the compiled browser script, read once. */
export function pageAssets(): PageAssets {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  const uplotJs = readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8");
  const uplotCss = readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8");
  // dist/lib/report/page.js → dist/report-client/report/client/report-client.js (lib/report/client/tsconfig.json).
  const clientJs = readFileSync(new URL("../../report-client/report/client/report-client.js", import.meta.url), "utf8");
  cached = { uplotJs, uplotCss, clientJs };
  return cached;
}

const GUARANTEES: Array<{ key: string; name: string; rule: string }> = [
  { key: "ryw", name: "Read Your Writes (RYW)", rule: "a read (query or withdraw) reflects every write the session made before it." },
  { key: "mr", name: "Monotonic Reads (MR)", rule: "a read reflects everything the session's earlier reads reflected: reads never go back in time." },
  { key: "mw", name: "Monotonic Writes (MW)", rule: "every replica applies the session's writes in the order the session made them." },
  { key: "wfr", name: "Writes Follow Reads (WFR)", rule: "every replica applies a write only after the writes its session had read before it." },
];

/** Text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that can sit inside a <script> element: no "</script>", no "<!--". */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** A script's text that cannot end its <script> element early. */
function inlineScript(js: string): string {
  return js.replace(/<\/script/gi, "<\\/script").replace(/<!--/g, "<\\!--");
}

export function renderPage(model: ReportModel, assets: PageAssets = pageAssets()): string {
  const on = new Set(model.guarantees);
  const title = `bank-sim report: ${model.source}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${assets.uplotCss}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
${summaryLine(model)}
</header>
<main>
<section id="diagram-section">
<h2>Space-time diagram</h2>
<div class="controls">
<label>Session <select id="filter-session"><option value="">all</option></select></label>
<label>Branch <select id="filter-branch"><option value="">all</option></select></label>
<label><input type="checkbox" id="only-anomalies"> only what the checker names</label>
<span class="sep"></span>
<button id="zoom-in" title="zoom in (or scroll on the diagram)">zoom +</button>
<button id="zoom-out" title="zoom out">zoom −</button>
<button id="zoom-fit" title="the whole run">fit</button>
<button id="page-prev" title="earlier">◀</button>
<button id="page-next" title="later">▶</button>
<button id="lanes-prev" title="previous branch lanes">lanes ▲</button>
<button id="lanes-next" title="next branch lanes">lanes ▼</button>
</div>
<p id="shown" class="shown"></p>
<div id="diagram"></div>
${shapeLegend()}
</section>
<aside>
<h2>What the checker found</h2>
<ol id="findings"></ol>
<h2>The four session guarantees</h2>
<dl class="guarantees">
${GUARANTEES.map((g) => `<dt>${escapeHtml(g.name)} <span class="${on.has(g.key) ? "on" : "off"}">${on.has(g.key) ? "on" : "off"} in this run</span></dt><dd>${escapeHtml(g.rule)}</dd>`).join("\n")}
</dl>
<p class="hint">Breaking a guarantee that was <b>off</b> is an <b>anomaly</b> (what turning it off shows); breaking one that was <b>on</b> is a <b>violation</b>.</p>
</aside>
<section id="plots">
<h2>Distributions and throughput</h2>
<div class="plots">
<div id="plot-latency" class="plot"></div>
<div id="plot-gate" class="plot"></div>
<div id="plot-lag" class="plot"></div>
<div id="plot-throughput" class="plot"></div>
</div>
</section>
</main>
<script id="report-model" type="application/json">${scriptJson(model)}</script>
<script>${inlineScript(assets.uplotJs)}</script>
<script type="module">${inlineScript(assets.clientJs)}
startReport(JSON.parse(document.getElementById("report-model").textContent));
</script>
</body>
</html>
`;
}

function summaryLine(m: ReportModel): string {
  const c = m.counts;
  const flagged = [`${c.violations} violation${c.violations === 1 ? "" : "s"}`, `${c.anomalies} anomal${c.anomalies === 1 ? "y" : "ies"}`, `${c.findings} finding${c.findings === 1 ? "" : "s"}`];
  const parts = [
    `${m.ops.length} operations, ${m.sessions.length} sessions, ${m.writes.length} writes, ${m.branches.length} branches`,
    `guarantees on: ${m.guarantees.join(", ") || "none"}`,
    `customers ran ${m.concurrent ? "concurrently" : "one after another"}`,
    `verdict <b class="verdict-${m.verdict}">${m.verdict}</b>: ${flagged.join(", ")}`,
  ];
  const time = `t = 0 is the first request, ${m.startupMs.toFixed(0)} ms after the run started (start-up); the last event is at ${m.endMs.toFixed(1)} ms.`;
  return `<p class="summary">${parts.join(" · ")}</p><p class="summary">${escapeHtml(time)}${m.incomplete ? ` <b>Incomplete:</b> ${escapeHtml(m.incomplete)}.` : ""}</p>`;
}

function shapeLegend(): string {
  return `<div class="legend" aria-label="legend">
<span><svg width="34" height="14"><line x1="2" y1="12" x2="32" y2="2" class="req"/></svg> request (session → branch → session)</span>
<span><svg width="24" height="14"><rect x="2" y="3" width="20" height="8" class="gate"/></svg> held at the gate</span>
<span><svg width="34" height="14"><line x1="2" y1="2" x2="30" y2="12" class="prop"/><circle cx="30" cy="11" r="3" class="applied"/></svg> propagation, applied at a replica</span>
<span><svg width="34" height="14"><rect x="1" y="3" width="8" height="8" class="buffered"/><line x1="9" y1="7" x2="32" y2="7" class="buffer-wait"/></svg> buffered, waiting for dependencies</span>
<span class="status-fail">✕ refused (not executed)</span>
<span class="status-info">? outcome unknown</span>
<span class="declined">declined (insufficient funds)</span>
<span class="halo-sample">named by the checker</span>
<span>colours: <b class="k-deposit">deposit</b> <b class="k-withdraw">withdraw</b> <b class="k-query">query</b></span>
</div>`;
}
