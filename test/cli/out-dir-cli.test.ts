// A careless --out never costs a file, and a full or read-only disk never
// costs money or an hour: the real binary, on real directories, on small
// tmpfs mounts where this machine lets the test make them (root).

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { BIN, EXAMPLES } from "../helpers/paths.js";

const SCENARIO = join(EXAMPLES, "mw.json");
const HINT = "(run with --help for usage)\n";

function cli(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 120_000, cwd });
  if (r.error) throw r.error;
  return r;
}

/** A tmpfs of `size` mounted for this test only, or undefined (with a comment) where it cannot be. */
function tmpfs(t: Test, options: string): string | undefined {
  if (process.getuid?.() !== 0) {
    t.comment("skipped: needs root to mount a tmpfs");
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), "bank-sim-mnt-"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { encoding: "utf8" });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true });
    t.comment(`skipped: cannot mount a tmpfs: ${r.stderr.trim()}`);
    return undefined;
  }
  t.teardown(() => {
    spawnSync("umount", [dir]);
    rmSync(dir, { recursive: true });
  });
  return dir;
}

t.test("--out . in a project refuses to touch it, before any server starts", async (t) => {
  const project = t.testdir({ "package.json": "{}", store: { "data.db": "precious" } });
  const r = cli(["run", SCENARIO, "--out", "."], project);
  t.equal(r.status, 2);
  t.equal(r.stderr, `bank-sim: --out .: the directory is not empty and was not written by bank-sim (it holds package.json, store); bank-sim clears only its own out dirs: choose a new or empty directory\n${HINT}`);
  t.equal(readFileSync(join(project, "store", "data.db"), "utf8"), "precious");
  t.same(readdirSync(project).sort(), ["package.json", "store"]);
});

t.test("a second run into an out dir that a run holds fails at once, naming the first", async (t) => {
  const out = join(t.testdir(), "out");
  // The first run holds the dir for a while: every write takes 1.5 s to reach the other branch.
  const first = spawn(process.execPath, [BIN, "run", SCENARIO, "--out", out, "--delay", "1500ms"], { stdio: ["ignore", "ignore", "pipe"] });
  t.teardown(() => first.kill("SIGKILL"));
  // Bounded poll for the first run's lock.
  for (let i = 0; i < 600 && !readdirSafe(out).includes(".bank-sim.lock"); i++) await new Promise((r) => setTimeout(r, 50));
  const second = cli(["run", SCENARIO, "--out", out]);
  t.equal(second.status, 2);
  t.match(second.stderr, new RegExp(`^bank-sim: --out ${out}: another bank-sim run is writing there \\(pid ${first.pid}, started `));
  const code = await new Promise((resolve) => first.on("close", resolve));
  t.equal(code, 0, "the first run is unharmed");
});

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

t.test("an out dir on a read-only file system is a usage error", async (t) => {
  const ro = tmpfs(t, "size=1m,ro");
  if (ro === undefined) return;
  const r = cli(["run", SCENARIO, "--out", join(ro, "out")]);
  t.equal(r.status, 2);
  t.equal(r.stderr, `bank-sim: --out ${join(ro, "out")}: cannot use ${join(ro, "out")}: it is on a read-only file system\n${HINT}`);
});

t.test("a disk that fills during a run ends it at once, naming the file and the cause", async (t) => {
  const full = tmpfs(t, "size=2m");
  if (full === undefined) return;
  const scenario = join(t.testdir(), "g.json");
  const g = cli(["gen", "--branches", "50", "--customers", "20", "--events", "100"]);
  t.equal(g.status, 0);
  writeFileSync(scenario, g.stdout);
  const r = cli(["run", scenario, "--concurrent", "--out", join(full, "out")]);
  t.equal(r.status, 1);
  t.match(r.stderr, new RegExp(`^bank-sim: run failed: .*${join(full, "out").replace(/[/.]/g, "\\$&")}/(store/branch-\\d+\\.wal|history\\.jsonl|branches/branch-\\d+\\.log): ENOSPC: no space left on device`));
});
