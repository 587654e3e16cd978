// bank-sim installs like a package: `npm pack` makes a tarball holding the
// built CLI (dist/), the schemas and the examples, and no tests or CI files;
// installing that tarball into an empty directory, or globally (into a
// private prefix), gives a `bank-sim` that runs a scenario. The install uses
// npm's cache first (`--offline`), then the npm registry; where neither can
// supply the dependencies, the install tests skip and say why.

import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { ROOT } from "../helpers/paths.js";

const NPM_TIMEOUT_MS = 300_000;

// Packing and two installs take minutes on a loaded machine: more than the suite's 120 s per file.
t.setTimeout(900_000);

/** The environment without what an enclosing `npm test` sets for its scripts (keeping its cache). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && k.toLowerCase() !== "npm_config_cache") continue;
    if (k === "NODE_OPTIONS" || k.startsWith("TAP")) continue;
    env[k] = v;
  }
  return env;
}

function npm(args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, encoding: "utf8", env: cleanEnv(), timeout: NPM_TIMEOUT_MS });
}

const tmp = mkdtempSync(join(tmpdir(), "bank-sim-pack-"));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

// The suite has built dist/ already (npm test runs tsc -b first): pack without
// the lifecycle scripts, which would rebuild under the other test files' feet.
const packed = npm(["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], ROOT);
const npmMissing = packed.error !== undefined;
const pack = npmMissing || packed.status !== 0
  ? undefined
  : (JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0];
const tarball = pack === undefined ? "" : join(tmp, pack.filename);

t.test("npm pack ships the built CLI, schemas, examples and licence, and no tests or CI", { skip: npmMissing && "npm is not on PATH" }, async (t) => {
  t.equal(packed.status, 0, packed.stderr);
  const files = new Set((pack?.files ?? []).map((f) => f.path));
  for (const want of ["bin/bank-sim", "dist/lib/cli/cli.js", "dist/lib/hosting/branch-worker.js", "dist/generated/bank.js", "schemas/history-record.schema.json", "schemas/results.schema.json", "examples/anomalies/ryw.json", "LICENSE", "README.md", "package.json"]) {
    t.ok(files.has(want), `the tarball holds ${want}`);
  }
  const unwanted = [...files].filter((f) => /^(test|dist\/test|\.ci|lib|proto|generated)\//.test(f) || f.endsWith(".map") || f.endsWith(".tsbuildinfo"));
  t.same(unwanted, [], "no tests, CI, sources or build leftovers in the tarball");
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Record<string, unknown>;
  t.equal(manifest["license"], "MIT");
  t.ok(existsSync(join(ROOT, "LICENSE")), "a LICENSE file for the declared licence");
  t.notOk((manifest["scripts"] as Record<string, string>)["postinstall"], "no build at install time (a user has no devDependencies)");
});

/** Installs the tarball with `extra` args, from the cache if it can, else from the registry; undefined when neither can. */
function install(cwd: string, extra: string[]): { ok: true } | { ok: false; why: string } {
  let r = npm(["install", "--offline", ...extra, tarball], cwd);
  if (r.status !== 0) r = npm(["install", "--prefer-offline", ...extra, tarball], cwd);
  if (r.status === 0) return { ok: true };
  const why = (r.stderr || r.error?.message || "").trim().split("\n").slice(-3).join(" ");
  if (/ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|network/i.test(why)) return { ok: false, why: `the dependencies are neither in npm's cache nor reachable: ${why}` };
  throw new Error(`npm install of the tarball failed: ${why}`);
}

/** Runs an installed bank-sim: --version, then a course scenario from its own examples. */
function tryBin(t: Test, bin: string, examples: string, cwd: string): void {
  const version = spawnSync(bin, ["--version"], { cwd, encoding: "utf8", env: cleanEnv(), timeout: 60_000 });
  t.equal(version.status, 0, version.stderr);
  t.equal(version.stdout.trim(), (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version);
  const run = spawnSync(bin, ["run", join(examples, "mw.json"), "--out", join(cwd, "out")], { cwd, encoding: "utf8", env: cleanEnv(), timeout: 120_000 });
  t.equal(run.status, 0, run.stderr);
  t.match(run.stdout, /converged, balance 0\.00 everywhere/);
  t.same(JSON.parse(readFileSync(join(cwd, "out", "output.json"), "utf8")), [{ id: 1, balance: 0 }]);
  const check = spawnSync(bin, ["check", join(cwd, "out")], { cwd, encoding: "utf8", env: cleanEnv(), timeout: 60_000 });
  t.equal(check.status, 0, check.stderr);
  t.match(check.stdout, /verdict: OK/);
  const report = spawnSync(bin, ["report", join(cwd, "out")], { cwd, encoding: "utf8", env: { ...cleanEnv(), BANK_SIM_NO_OPEN: "1" }, timeout: 60_000 });
  t.equal(report.status, 0, report.stderr);
  t.match(readFileSync(join(cwd, "out", "report.html"), "utf8"), /uPlot/, "the packed report page inlines its script and uPlot");
}

t.test("the tarball installed into an empty directory gives a working bank-sim", { skip: tarball === "" && "npm pack did not run" }, async (t) => {
  const app = mkdtempSync(join(tmp, "app-"));
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true }));
  const r = install(app, []);
  if (!r.ok) return void t.comment(`skipped: ${r.why}`);
  tryBin(t, join(app, "node_modules", ".bin", "bank-sim"), join(app, "node_modules", "bank-sim", "examples"), app);
});

t.test("npm install -g of the tarball (into a private prefix) gives a bank-sim on that prefix's PATH", { skip: tarball === "" && "npm pack did not run" }, async (t) => {
  const prefix = mkdtempSync(join(tmp, "global-"));
  const r = install(tmp, ["-g", "--prefix", prefix]);
  if (!r.ok) return void t.comment(`skipped: ${r.why}`);
  tryBin(t, join(prefix, "bin", "bank-sim"), join(prefix, "lib", "node_modules", "bank-sim", "examples"), prefix);
});
