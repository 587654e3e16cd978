// The report of an anomaly example in a real browser (Debian's Chromium via
// playwright-core), for test/report/report-browser-*.test.ts, one file per
// example so that each stays within tap's per-file timeout on a loaded
// machine: the example, run with its guarantee off and the delay its README
// gives, renders with the anomaly highlighted on the operations the checker
// names and the checker's explanation beside them; the filters change what
// is shown; zoom changes the window; nothing is logged to the console. A
// screenshot of each is kept in test-artifacts/report/<name>.png (gitignored).
// Skipped, with the reason, where Chromium is absent.

import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import t, { type Test } from "tap";
import type { Page } from "playwright-core";
import type { ReportModel } from "../../lib/report/model-types.js";
import { chromiumMissing, watchedPage } from "./browser.js";
import { EXAMPLES, ROOT } from "./paths.js";
import { runCli } from "./run-cli.js";

export const ARTIFACTS = join(ROOT, "test-artifacts", "report");

export interface Example {
  name: string;
  file: string;
  args: string[];
  /** The same with delays that make the anomaly certain on a loaded machine (test/run/guarantees-*.test.ts). */
  slow: string[];
  anomaly?: string;
}

export const EXAMPLE_RUNS: Example[] = [
  { name: "ryw-off", file: "ryw.json", args: ["--guarantees", "none", "--delay", "1-2:400ms"], slow: ["--guarantees", "none", "--delay", "1-2:2s"], anomaly: "RYW" },
  { name: "mr-off", file: "mr.json", args: ["--guarantees", "none", "--delay", "1-2:400ms", "--concurrent"], slow: ["--guarantees", "none", "--delay", "1-2:2s", "--concurrent"], anomaly: "MR" },
  { name: "mw-off", file: "mw.json", args: ["--guarantees", "none", "--delay", "1-2:200ms,1-3:500ms"], slow: ["--guarantees", "none", "--delay", "1-2:2s,1-3:4s"], anomaly: "MW" },
  { name: "wfr-off", file: "wfr.json", args: ["--guarantees", "none", "--delay", "1-2:200ms,1-3:500ms", "--concurrent"], slow: ["--guarantees", "none", "--delay", "1-2:2s,1-3:4s", "--concurrent"], anomaly: "WFR" },
  // Its prevention: branch 2 holds the deposit at the gate, replica 3 buffers 2.1 until 1.1 arrives.
  { name: "mw-on", file: "mw.json", args: ["--guarantees", "mw", "--delay", "1-2:200ms,1-3:500ms"], slow: ["--guarantees", "mw", "--delay", "1-2:200ms,1-3:4s"] },
];

/** The browser test of one example, by name (skipped, with the reason, without Chromium). */
export function reportExampleTest(name: string): void {
  const ex = EXAMPLE_RUNS.find((e) => e.name === name);
  if (ex === undefined) throw new Error(`no example run ${name}`);
  const missing = chromiumMissing();
  if (missing === undefined) mkdirSync(ARTIFACTS, { recursive: true });
  t.test(`report of ${ex.name} (${ex.file} ${ex.args.join(" ")})`, { skip: missing ?? false }, (t) => reportOf(t, ex));
}

/** Runs the example with --report; if the machine was too slow for what it shows to happen, once more with certain delays. */
async function runExample(t: Test, ex: Example): Promise<{ out: string }> {
  for (const args of [ex.args, ex.slow]) {
    const out = join(t.testdir(), "out");
    const r = await runCli(t, ["run", join(EXAMPLES, "anomalies", ex.file), ...args, "--report", "--out", out]);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /wrote .*report\.html/);
    if (await happened(t, ex, out)) return { out };
    t.comment(`${ex.name}: ${ex.anomaly ? `no ${ex.anomaly} anomaly` : "2.1 was not buffered at replica 3"} with ${args.join(" ")} (a loaded machine); again with ${ex.slow.join(" ")}`);
  }
  throw new Error(`${ex.name}: what it shows did not happen, even with ${ex.slow.join(" ")}`);
}

/** The anomaly (by the checker), or for the prevention run the buffering at replica 3 (by the history). */
async function happened(t: Test, ex: Example, out: string): Promise<boolean> {
  if (ex.anomaly === undefined) {
    return readFileSync(join(out, "history.jsonl"), "utf8").split("\n").some((l) => l.includes('"type":"buffer"') && l.includes('"branch":3') && l.includes('"2.1"'));
  }
  const c = await runCli(t, ["check", out, "--json"]);
  return (JSON.parse(c.stdout) as { anomalies: Array<{ rule: string }> }).anomalies.some((a) => a.rule === ex.anomaly);
}

async function reportOf(t: Test, ex: Example): Promise<void> {
  const { out } = await runExample(t, ex);
  const { page, problems } = await watchedPage(t, { requests: true });
  await page.goto(pathToFileURL(join(out, "report.html")).href);
  await page.waitForSelector("body[data-ready='1']", { timeout: 60_000 });
  const model = JSON.parse((await page.textContent("#report-model")) ?? "") as ReportModel;

  if (ex.anomaly !== undefined) await anomalyShown(t, page, model, ex.anomaly);
  else await preventionShown(t, page, model);
  await page.screenshot({ path: join(ARTIFACTS, `${ex.name}.png`), fullPage: true });
  await filtersWork(t, page, model);
  t.same(problems, [], "no console errors, page errors or network requests");
}

async function anomalyShown(t: Test, page: Page, model: ReportModel, rule: string): Promise<void> {
  const findings = model.findings.filter((f) => f.rule === rule);
  t.ok(findings.length > 0, `the model holds the ${rule} anomaly`);
  const listed = await page.locator(`.finding[data-rule='${rule}'] .explanation`).allTextContents();
  for (const f of findings) t.ok(listed.includes(f.message), `the checker's explanation is listed: ${f.message}`);
  for (const n of findings[0]!.ops) {
    t.equal(await page.locator(`g.op.flagged[data-op='${n}']`).count(), 1, `op #${n} is highlighted on the diagram`);
    t.equal(await page.locator(`g.op.flagged[data-op='${n}'] .halo`).count(), 1, `op #${n} has its halo`);
  }
  // Clicking the finding zooms onto its operations and marks them.
  await page.click(`.finding[data-index='${model.findings.indexOf(findings[0]!)}']`);
  t.equal(await page.locator(".finding.selected").count(), 1, "the finding is selected");
  for (const n of findings[0]!.ops) t.equal(await page.locator(`g.op.selected[data-op='${n}']`).count(), 1, `op #${n} is marked as the selected finding's`);
  await page.click(`.finding[data-index='${model.findings.indexOf(findings[0]!)}']`);
  t.equal(await page.locator("g.op.selected").count(), 0, "a second click clears it");
  await page.click("#zoom-fit");
  const note = await page.locator(".finding-note .note-text").first().textContent();
  t.match(note ?? "", new RegExp(`^${rule} anomaly: `), "the explanation is written beside the operations too");
  t.ok(model.counts.anomalies > 0 && model.counts.violations === 0, "anomalies, no violations");
}

async function preventionShown(t: Test, page: Page, model: ReportModel): Promise<void> {
  t.same(model.findings, [], "with the guarantee on the checker finds nothing");
  t.match(await page.textContent("#findings"), /nothing to report/);
  t.ok(await page.locator("g.op rect.gate").count() >= 1, "the request held at the gate is drawn as a bar");
  t.ok(await page.locator("g.write rect.buffered[data-branch='3']").count() >= 1, "replica 3's buffering of 2.1 is marked");
  t.ok(model.writes.some((w) => w.id === "2.1" && w.buffered.some(([b]) => b === 3)), "the history recorded it");
}

async function filtersWork(t: Test, page: Page, model: ReportModel): Promise<void> {
  const shown = () => page.locator("#diagram g.op").evaluateAll((gs) => gs.map((g) => ({ op: Number(g.getAttribute("data-op")), session: g.getAttribute("data-session"), branch: g.getAttribute("data-branch"), flagged: g.classList.contains("flagged") })));
  t.equal((await shown()).length, model.ops.length, "every operation is drawn at first");

  const branch = model.ops.at(-1)!.branch;
  await page.selectOption("#filter-branch", String(branch));
  const atBranch = await shown();
  t.same(atBranch.map((o) => o.op), model.ops.filter((o) => o.branch === branch).map((o) => o.op), `branch ${branch}: only its operations`);
  await page.selectOption("#filter-branch", "");

  const session = model.sessions.at(-1)!;
  await page.selectOption("#filter-session", session);
  t.same((await shown()).map((o) => o.op), model.ops.filter((o) => o.session === session).map((o) => o.op), `session ${session}: only its operations`);
  t.equal(await page.locator("#diagram .lane-label-session").count(), 1, "one session lane");
  await page.selectOption("#filter-session", "");

  await page.check("#only-anomalies");
  const flagged = await shown();
  t.same(flagged.map((o) => o.op), model.ops.filter((o) => o.findings.length > 0).map((o) => o.op), "only anomalies: the operations the checker names");
  t.ok(flagged.every((o) => o.flagged));
  await page.uncheck("#only-anomalies");

  const before = await page.textContent("#shown");
  await page.click("#zoom-in");
  const after = await page.textContent("#shown");
  t.not(after, before, "zoom changes the time window");
  t.match(after ?? "", /window /);
  await page.click("#zoom-fit");
}
