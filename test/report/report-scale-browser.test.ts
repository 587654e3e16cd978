// Big runs stay usable (not timed here: open times are in `npm run
// bench:report`): a synthetic history of 10,000 operations and one of 1,000
// branches, made without a cluster (lib/bench/synthetic-history.ts), render
// with at most a window's worth of operations drawn, say how many are left
// out, page forward in time and across lanes, and log nothing to the console.
// Screenshots in test-artifacts/report/synthetic-*.png. Skipped, with the
// reason, where Chromium is absent.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import t, { type Test } from "tap";
import { writeSyntheticHistory, type SyntheticOptions } from "../../lib/bench/synthetic-history.js";
import { chromiumMissing, watchedPage } from "../helpers/browser.js";
import { ROOT } from "../helpers/paths.js";
import { runCli } from "../helpers/run-cli.js";

const ARTIFACTS = join(ROOT, "test-artifacts", "report");
const MAX_OPS = 400;

const CASES: Array<{ name: string; o: SyntheticOptions }> = [
  { name: "synthetic-10k-ops", o: { branches: 10, sessions: 100, operations: 10_000, seed: 3 } },
  { name: "synthetic-1000-branches", o: { branches: 1000, sessions: 10, operations: 200, seed: 3, syncEvery: 50 } },
];

const missing = chromiumMissing();
if (missing === undefined) mkdirSync(ARTIFACTS, { recursive: true });
for (const c of CASES) t.test(c.name, { skip: missing ?? false }, (t) => big(t, c.name, c.o));

async function big(t: Test, name: string, o: SyntheticOptions): Promise<void> {
  const dir = t.testdir();
  writeSyntheticHistory(join(dir, "history.jsonl"), o);
  const r = await runCli(t, ["report", dir], { timeoutMs: 180_000 });
  t.equal(r.code, 0, r.stderr);

  const { page, problems } = await watchedPage(t, { requests: false });
  await page.goto(pathToFileURL(join(dir, "report.html")).href, { timeout: 120_000 });
  await page.waitForSelector("body[data-ready='1']", { timeout: 120_000 });

  const drawn = () => page.locator("#diagram g.op").count();
  const shown = () => page.locator("#shown").textContent();
  const first = await drawn();
  t.ok(first > 0 && first <= MAX_OPS, `a window's worth drawn (${first})`);
  t.ok(first < o.operations, "not every operation at once");
  t.equal(Number(await page.getAttribute("#shown", "data-ops")), first, "the count says what is drawn");
  const lanes = await page.locator("#diagram .lane-label-branch").count();
  t.ok(lanes <= 30, `branch lanes are paged (${lanes})`);
  t.ok(await page.locator("#diagram .lane-label-session").count() <= 20, "session lanes are paged");
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });

  const firstOp = () => page.locator("#diagram g.op").first().getAttribute("data-op");
  const was = await firstOp();
  const before = await shown();
  await page.click("#page-next");
  t.not(await shown(), before, "▶ moves the window on");
  if ((await drawn()) > 0) t.not(await firstOp(), was, "and draws later operations");
  else t.ok(o.operations <= MAX_OPS, "only a run that fit in one window has nothing after it");
  await page.click("#page-prev");
  t.equal(await firstOp(), was, "◀ comes back");

  if (!(await page.isDisabled("#lanes-next"))) {
    const labels = () => page.locator("#diagram .lane-label").allTextContents();
    const l0 = await labels();
    await page.click("#lanes-next");
    t.not((await labels()).join(), l0.join(), "lanes ▼ shows other lanes");
  }
  await page.click("#zoom-fit");
  t.ok((await drawn()) <= MAX_OPS, "the whole run still draws at most a window's worth");
  t.same(problems, [], "no console errors");
}
