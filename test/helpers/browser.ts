// A real browser for the report's tests: Debian's Chromium driven by
// playwright-core, headless, with a fresh profile per launch and nothing that
// reaches the network. `chromiumMissing()` says why the browser tests must
// skip (no /usr/bin/chromium); `openBrowser(t)` closes the browser and
// removes its profile in t's teardown, also when the test fails; `watchedPage`
// opens one page and gathers its console errors, page errors and requests.

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import type { Test } from "tap";

export const CHROMIUM = process.env["BANK_SIM_CHROMIUM"] ?? "/usr/bin/chromium";

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Why the browser tests cannot run here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (.ci/run installs Debian's chromium package; set BANK_SIM_CHROMIUM to use another)`;
}

export async function openBrowser(t: Test, viewport = { width: 1400, height: 1000 }): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), "bank-sim-chromium-"));
  let context: BrowserContext | undefined;
  t.teardown(async () => {
    await context?.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  });
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport, timeout: 60_000 });
  return context;
}

/**
 * A page of a fresh browser that gathers what a report page must never do:
 * console errors and warnings, uncaught errors, and (with `requests`) any
 * request that is not a file.
 */
export async function watchedPage(t: Test, opts: { requests: boolean }): Promise<{ page: Page; problems: string[] }> {
  const context = await openBrowser(t);
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  if (opts.requests) {
    page.on("request", (req) => {
      if (!req.url().startsWith("file:")) problems.push(`request to ${req.url()}`);
    });
  }
  return { page, problems };
}
