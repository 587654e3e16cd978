// The report page's styles (inlined by page.ts).

export const PAGE_CSS = `
:root { --deposit: #2e7d32; --withdraw: #1565c0; --query: #6a1b9a; --fail: #c62828; --info: #888; --anomaly: #ef6c00; --violation: #c62828; --finding: #7b1fa2; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222; background: #fafafa; }
header { padding: 10px 18px; background: #263238; color: #eee; }
header h1 { font-size: 18px; margin: 0 0 4px; }
.summary { margin: 2px 0; font-size: 13px; }
.verdict-ok { color: #a5d6a7; } .verdict-failed { color: #ef9a9a; } .verdict-incomplete { color: #ffe082; }
main { display: grid; grid-template-columns: minmax(0, 1fr) 360px; gap: 14px; padding: 12px 18px; }
#plots { grid-column: 1 / span 2; }
h2 { font-size: 15px; margin: 6px 0; }
.controls { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 4px; }
.controls .sep { width: 8px; }
button { font: inherit; padding: 1px 6px; }
.shown { margin: 2px 0 6px; color: #555; font-size: 12px; }
#diagram { background: #fff; border: 1px solid #ddd; overflow-x: hidden; min-height: 120px; }
#diagram svg { display: block; }
.lane { stroke: #ccc; stroke-width: 1; }
.lane-session { stroke: #b0bec5; stroke-dasharray: 2 3; }
.lane-label { font-size: 12px; fill: #333; }
.lane-label-session { fill: #37474f; font-weight: 600; }
.axis text { font-size: 11px; fill: #666; }
.axis .tick { stroke: #eee; }
.op .req, .op .reply { stroke-width: 1.6; fill: none; }
.kind-deposit .req, .kind-deposit .reply { stroke: var(--deposit); }
.kind-withdraw .req, .kind-withdraw .reply { stroke: var(--withdraw); }
.kind-query .req, .kind-query .reply { stroke: var(--query); }
.status-fail .reply { stroke: var(--fail) !important; stroke-dasharray: 5 3; }
.status-info .reply, .status-open .req { stroke: var(--info) !important; stroke-dasharray: 2 3; }
.declined .reply { stroke-dasharray: 6 2; }
.op .mark { font-size: 12px; font-weight: 700; fill: var(--fail); }
.status-info .mark, .status-open .mark { fill: var(--info); }
.declined .mark { fill: #b26a00; font-weight: 600; font-size: 11px; }
.op-label { font-size: 11px; fill: #444; }
.gate { fill: #ffb300; stroke: #e65100; stroke-width: 0.8; }
.halo { fill: none; stroke: var(--anomaly); stroke-opacity: 0.35; stroke-width: 9; stroke-linejoin: round; stroke-linecap: round; }
.op.selected .halo { stroke-opacity: 0.7; stroke-width: 12; }
.prop { stroke: #7b8fb0; stroke-width: 1; stroke-dasharray: 4 3; }
.applied { fill: #5c6bc0; stroke: #fff; stroke-width: 1; }
.buffered { fill: #fff; stroke: #d84315; stroke-width: 1.6; }
.buffer-wait { stroke: #d84315; stroke-width: 3; stroke-opacity: 0.45; }
.write-label { font-size: 10px; fill: #5c6bc0; }
.spread { fill: #7b8fb0; fill-opacity: 0.55; }
.applied-flagged { fill: none; stroke: var(--anomaly); stroke-width: 3; stroke-opacity: 0.8; }
.applied-flagged-text { font-size: 11px; font-weight: 700; fill: var(--anomaly); }
.finding-note .badge { fill: var(--anomaly); }
.finding-note .leader { stroke: var(--anomaly); stroke-width: 1; stroke-dasharray: 3 2; }
.finding-note.sev-violation .leader { stroke: var(--violation); }
.finding-note.sev-violation .badge { fill: var(--violation); }
.finding-note.sev-finding .badge { fill: var(--finding); }
.finding-note .badge-text { fill: #fff; font-size: 11px; font-weight: 700; }
.finding-note .note-text { font-size: 12px; fill: #bf360c; font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.finding-note.sev-violation .note-text { fill: var(--violation); }
.finding-note.selected .note-text { text-decoration: underline; }
aside { font-size: 13px; }
#findings { padding-left: 0; list-style: none; max-height: 420px; overflow-y: auto; margin: 0; }
.finding { border-left: 4px solid var(--anomaly); background: #fff3e0; padding: 6px 8px; margin: 0 0 6px; cursor: pointer; }
.finding.sev-violation { border-color: var(--violation); background: #ffebee; }
.finding.sev-finding { border-color: var(--finding); background: #f3e5f5; }
.finding.selected { outline: 2px solid #333; }
.finding .badge { display: inline-block; min-width: 18px; text-align: center; border-radius: 9px; background: var(--anomaly); color: #fff; font-weight: 700; margin-right: 6px; }
.finding.sev-violation .badge { background: var(--violation); }
.finding .ops { color: #666; }
#findings .none { color: #2e7d32; }
.guarantees dt { font-weight: 600; margin-top: 6px; }
.guarantees dd { margin: 0 0 0 12px; }
.guarantees .on { color: #2e7d32; font-weight: 400; } .guarantees .off { color: #b26a00; font-weight: 400; }
.hint { color: #555; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 12px; margin-top: 6px; align-items: center; }
.legend svg { vertical-align: middle; }
.legend .req { stroke: #333; stroke-width: 1.6; }
.legend .status-fail { color: var(--fail); } .legend .status-info { color: var(--info); } .legend .declined { color: #b26a00; }
.legend .halo-sample { border-bottom: 5px solid rgba(239,108,0,0.4); }
.k-deposit { color: var(--deposit); } .k-withdraw { color: var(--withdraw); } .k-query { color: var(--query); }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 12px; }
.plot { background: #fff; border: 1px solid #ddd; padding: 4px; min-height: 80px; }
.empty { color: #777; }
`;
