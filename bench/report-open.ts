// `npm run bench:report`: how big report.html is and how long it takes to
// open, for a 1,000-branch run and a 10,000-operation run made with
// `bank-sim gen` and run for real. Each page is opened REPS times in a fresh
// headless Chromium (/usr/bin/chromium, playwright-core); the open time is
// from the start of navigation to the page's script having drawn the diagram
// and the plots (window.reportReady, performance.now() of the page), and,
// beside it, the wall time of page.goto until then. Prints a table; the run
// directories are kept under the given folder (default /tmp/bank-sim-report-bench).

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const ROOT = new URL("../../", import.meta.url).pathname;
const BIN = join(ROOT, "bin", "bank-sim");
const REPS = 3;
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const CASES = [
  { name: "1,000 branches", gen: ["--branches", "1000", "--customers", "10", "--events", "10", "--seed", "1"], run: ["--concurrent", "--guarantees", "all"] },
  { name: "10,000 operations", gen: ["--branches", "10", "--customers", "100", "--events", "100", "--seed", "1"], run: ["--concurrent", "--guarantees", "none", "--delay", "5..30ms"] },
];

const base = process.argv[2] ?? join(tmpdir(), "bank-sim-report-bench");
mkdirSync(base, { recursive: true });
const rows: string[] = ["| run | operations | branches | findings | report.html KiB | open ms (page, median of 3) | goto→drawn ms (median) |", "|---|---|---|---|---|---|---|"];
for (const c of CASES) {
  const dir = join(base, c.name.replace(/\W+/g, "-"));
  rmSync(dir, { recursive: true, force: true });
  const scenario = join(base, `${c.name.replace(/\W+/g, "-")}.json`);
  writeFileSync(scenario, execFileSync(BIN, ["gen", ...c.gen], { maxBuffer: 64 << 20 }));
  execFileSync(BIN, ["run", scenario, ...c.run, "--out", dir, "--report"], { stdio: ["ignore", "inherit", "inherit"] });
  const file = join(dir, "report.html");
  const kib = statSync(file).size / 1024;
  const page: number[] = [];
  const wall: number[] = [];
  let info = { ops: 0, branches: 0, findings: 0 };
  for (let i = 0; i < REPS; i++) {
    const profile = mkdtempSync(join(tmpdir(), "bank-sim-chromium-"));
    const ctx = await chromium.launchPersistentContext(profile, { executablePath: "/usr/bin/chromium", headless: true, args: ARGS, viewport: { width: 1400, height: 1000 } });
    try {
      const p = ctx.pages()[0] ?? (await ctx.newPage());
      const t0 = performance.now();
      await p.goto(pathToFileURL(file).href, { timeout: 120_000 });
      await p.waitForSelector("body[data-ready='1']", { timeout: 120_000 });
      wall.push(performance.now() - t0);
      page.push(await p.evaluate(() => (window as unknown as { reportReady: number }).reportReady));
      info = await p.evaluate(() => {
        const m = JSON.parse(document.getElementById("report-model")!.textContent!) as { ops: unknown[]; branches: unknown[]; findings: unknown[] };
        return { ops: m.ops.length, branches: m.branches.length, findings: m.findings.length };
      });
    } finally {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  rows.push(`| ${c.name} (\`gen ${c.gen.join(" ")}\`, \`run ${c.run.join(" ")}\`) | ${info.ops} | ${info.branches} | ${info.findings} | ${kib.toFixed(0)} | ${median(page).toFixed(0)} (${page.map((x) => x.toFixed(0)).join(", ")}) | ${median(wall).toFixed(0)} |`);
}
console.log(rows.join("\n"));
