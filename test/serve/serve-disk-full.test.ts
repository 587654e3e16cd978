// A served host whose store fills up stops at once, exit 1, naming the
// branch, the file and the cause, instead of serving on without a log. The
// store is a 64 KiB tmpfs mounted for this test (root only; skipped, saying
// why, otherwise).

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { runCli, spawnCli } from "../helpers/run-cli.js";
import { initTestCluster, serveHost } from "../helpers/served.js";

function mountTmpfs(t: Test, size: string): string | string[] {
  const dir = mkdtempSync(join(tmpdir(), "bank-sim-store-"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { encoding: "utf8" });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true });
    return [`cannot mount a tmpfs: ${r.stderr.trim()}`];
  }
  t.teardown(() => {
    spawnSync("umount", [dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

const notRoot = process.getuid?.() !== 0 ? "needs root to mount a tmpfs" : false;

t.test("a full store stops its serve process: exit 1, naming the file and ENOSPC", { skip: notRoot }, async (t) => {
  const store = mountTmpfs(t, "64k");
  if (Array.isArray(store)) {
    t.comment(`skipped: ${store[0]}`);
    return;
  }
  const { dir, file } = await initTestCluster(t, { branches: 2, hosts: 2 });
  const h1 = await serveHost(t, file, 1, ["--store", store]);
  await serveHost(t, file, 2);
  const gen = await runCli(t, ["gen", "--branches", "2", "--customers", "4", "--events", "400", "--balance", "100"]);
  const scenario = join(dir, "s.json");
  writeFileSync(scenario, gen.stdout);
  const run = spawnCli(t, ["run", scenario, "--cluster", file, "--concurrent", "--out", join(dir, "out")]);
  const exited = await h1.stop("SIGCONT"); // waits for it to exit on its own
  t.equal(exited.code, 1, "serve exits 1");
  t.match(h1.stderr(), new RegExp(`branch 1 stopped serving: .*${store.replace(/[/.]/g, "\\$&")}/branch-1\\.wal.*ENOSPC`));
  t.match(h1.stderr(), /stopping because a branch failed/);
  await run.stop("SIGKILL");
});
