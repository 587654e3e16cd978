// `bank-sim report` and `run --report` as a user meets them: report.html is
// written into the out dir, self-contained (the model, uPlot and the page's
// script inlined, nothing fetched), and names the checker's findings; bad
// input is refused with the place and exit 2; a later run clears the old
// report with the rest of its own files.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import type { ReportModel } from "../../lib/report/model-types.js";
import { HistoryBuilder } from "../helpers/history-builder.js";
import { EXAMPLES } from "../helpers/paths.js";
import { runCli } from "../helpers/run-cli.js";
import { openInBrowser } from "../../lib/cli/open-page.js";

const HINT = "(run with --help for usage)";

function modelOf(html: string): ReportModel {
  const m = /<script id="report-model" type="application\/json">(.*?)<\/script>/s.exec(html);
  if (m === null) throw new Error("report.html holds no model");
  return JSON.parse(m[1]!) as ReportModel;
}

t.test("run --report writes a self-contained report.html with the anomaly in it", async (t) => {
  const out = join(t.testdir(), "out");
  const r = await runCli(t, ["run", join(EXAMPLES, "anomalies", "ryw.json"), "--guarantees", "none", "--delay", "1-2:2s", "--out", out, "--report"]);
  t.equal(r.code, 0, r.stderr);
  const path = join(out, "report.html");
  t.match(r.stdout, `bank-sim: wrote ${path} (`);
  t.match(r.stdout, /2 operations, 0 violations, 1 anomaly, 0 findings/);
  t.match(r.stdout, `open file://${path}`);
  const html = readFileSync(path, "utf8");
  t.notMatch(html, /<script[^>]+\bsrc=|<link\b|@import|url\(\s*['"]?https?:/i, "no script, style or font from elsewhere");
  t.match(html, /uPlot/, "uPlot is inlined");
  t.match(html, /export function startReport/, "the page's script is inlined");
  const model = modelOf(html);
  t.equal(model.ops.length, 2);
  t.match(model.findings, [{ rule: "RYW", severity: "anomaly", ops: [1, 2] }]);

  // The same again by hand, from the out dir alone.
  const again = await runCli(t, ["report", out]);
  t.equal(again.code, 0, again.stderr);
  t.same(modelOf(readFileSync(path, "utf8")), model, "report <out> builds the same page from the history");

  // A later run into the same dir clears the old report with its other files.
  const next = await runCli(t, ["run", join(EXAMPLES, "mw.json"), "--out", out]);
  t.equal(next.code, 0, next.stderr);
  t.notOk(existsSync(path), "the stale report is gone");
});

t.test("bad input is refused, naming the place", async (t) => {
  const dir = t.testdir({ empty: {} });
  const missing = await runCli(t, ["report", join(dir, "nope")]);
  t.equal(missing.code, 2);
  t.equal(missing.stderr, `bank-sim: ${join(dir, "nope")}: cannot read it (ENOENT); expected a history.jsonl file or an out directory containing one\n${HINT}\n`);

  const empty = await runCli(t, ["report", join(dir, "empty")]);
  t.equal(empty.code, 2);
  t.match(empty.stderr, "holds no history.jsonl");

  const b = new HistoryBuilder({ branches: [1, 2], initial: 0 });
  b.deposit("c1", 1, 100);
  const lines = b.records().map((r) => JSON.stringify(r));
  lines[1] = lines[1]!.replace('"branch":1', '"branch":"one"');
  writeFileSync(join(dir, "history.jsonl"), lines.join("\n") + "\n");
  const bad = await runCli(t, ["report", dir]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, `${join(dir, "history.jsonl")}:2: invoke.branch: expected`);
  t.notOk(existsSync(join(dir, "report.html")), "nothing written for a malformed history");

  const usage = await runCli(t, ["report"]);
  t.equal(usage.code, 2);
  t.match(usage.stderr, /missing required argument/);
});

t.test("the page is opened in a browser only for a user at a desktop terminal", async (t) => {
  const url = "file:///nowhere/report.html";
  t.equal(openInBrowser(url, { DISPLAY: ":0" }, false), false, "not a terminal (a pipe, a test, a script)");
  t.equal(openInBrowser(url, { DISPLAY: ":0", CI: "true" }, true), false, "CI");
  t.equal(openInBrowser(url, { DISPLAY: ":0", BANK_SIM_NO_OPEN: "1" }, true), false, "asked not to");
  if (process.platform === "linux") t.equal(openInBrowser(url, {}, true), false, "no desktop");
});
