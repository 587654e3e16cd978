// The out dir step: a run clears only what it provably wrote, refuses a dir
// that holds anything else or that another run holds, writes its results by
// rename, and says exactly what is wrong with an --out it cannot use.

import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import { claimOutDir, LOCK, MARKER, outPaths, OutDirError, writeOutputs } from "../../lib/run/out-dir.js";

/** An out dir as a finished earlier run leaves it. */
function earlierRun(t: Test, extra: Record<string, unknown> = {}): string {
  const dir = t.testdir({
    [MARKER]: "{}\n", "output.json": "[]", "results.json": "{}", "history.jsonl": "{}\n",
    branches: { "branch-1.log": "old\n" }, store: { "branch-1.wal": "x" }, ...extra,
  });
  return dir;
}

t.test("a run's own out dir is cleared of its earlier outputs, and locked while the run holds it", async (t) => {
  const dir = earlierRun(t);
  const lease = claimOutDir(dir);
  t.same(readdirSync(dir).sort(), [MARKER, LOCK].sort());
  t.match(JSON.parse(readFileSync(join(dir, LOCK), "utf8")), { pid: process.pid });
  lease.release();
  t.same(readdirSync(dir), [MARKER], "the lock is given back; the marker stays");
});

t.test("bench's report in an out dir is bank-sim's own: a run keeps it and is not refused", async (t) => {
  const dir = earlierRun(t, { "bench.json": "{}\n" });
  claimOutDir(dir).release();
  t.same(readdirSync(dir).sort(), [MARKER, "bench.json"].sort());
  const benchFirst = t.testdir({ "bench.json": "{}\n" });
  claimOutDir(benchFirst).release();
  t.same(readdirSync(benchFirst).sort(), [MARKER, "bench.json"].sort(), "a dir bench wrote first is usable too");
});

t.test("a dir that holds anything bank-sim did not write is refused and left as it was", async (t) => {
  const project = t.testdir({ "package.json": "{}", store: { "mine.db": "precious" }, src: { "a.ts": "" } });
  t.throws(() => claimOutDir(project), new OutDirError(`--out ${project}: the directory is not empty and was not written by bank-sim (it holds package.json, src, store); bank-sim clears only its own out dirs: choose a new or empty directory`));
  t.equal(readFileSync(join(project, "store", "mine.db"), "utf8"), "precious");
  t.notOk(existsSync(join(project, LOCK)), "no lock left behind");
  const mixed = earlierRun(t, { "notes.txt": "mine" });
  t.throws(() => claimOutDir(mixed), /holds files bank-sim did not write \(notes\.txt\)/);
  const foreignLog = earlierRun(t, { branches: { "branch-1.log": "", "keep.txt": "mine" } });
  t.throws(() => claimOutDir(foreignLog), /holds files bank-sim did not write \(branches\)/);
  t.equal(readFileSync(join(foreignLog, "branches", "keep.txt"), "utf8"), "mine");
});

t.test("a second run into a held dir fails at once, naming the first; a dead run's lock is taken over", async (t) => {
  const dir = t.testdir({});
  const first = claimOutDir(dir);
  t.throws(() => claimOutDir(dir), new RegExp(`another bank-sim run is writing there \\(pid ${process.pid}, started \\d{4}-`));
  first.release();
  // A run that was killed (SIGKILL) leaves its lock: pid 2^22 + 1 is beyond any pid this machine hands out.
  writeFileSync(join(dir, LOCK), JSON.stringify({ pid: 4_194_305, startedMs: 0 }));
  claimOutDir(dir).release();
  t.same(readdirSync(dir), [MARKER]);
});

t.test("an --out that cannot be an out dir is a clear error, and nothing is created", async (t) => {
  const root = t.testdir({ "a-file": "x" });
  const file = join(root, "a-file");
  t.throws(() => claimOutDir(""), new OutDirError(`--out: expected a directory, found ""`));
  t.throws(() => claimOutDir(file), new OutDirError(`--out ${file}: it is a file, not a directory`));
  t.throws(() => claimOutDir(join(file, "out")), new OutDirError(`--out ${join(file, "out")}: ${file} is a file, not a directory`));
  t.throws(() => claimOutDir("/proc/bank-sim-out"), new OutDirError(`--out /proc/bank-sim-out: cannot use /proc/bank-sim-out: directories cannot be created there`));
  const missing = join(root, "new", "deeper", "out");
  claimOutDir(missing).release();
  t.ok(lstatSync(missing).isDirectory(), "a missing dir is created, parents too");
});

t.test("a directory that cannot be written is refused before anything starts", async (t) => {
  if (process.getuid?.() === 0) {
    t.comment("as root every directory is writable; the read-only file system case is covered in test/cli");
    return;
  }
  const dir = t.testdir({});
  chmodSync(dir, 0o500);
  t.teardown(() => chmodSync(dir, 0o700));
  t.throws(() => claimOutDir(dir), /cannot use .*: permission denied/);
});

t.test("results are written by rename, so a planted symlink is replaced, never written through", async (t) => {
  const dir = t.testdir({ "victim.txt": "keep me" });
  symlinkSync(join(dir, "victim.txt"), join(dir, "results.json"));
  writeOutputs(dir, ['{\n  "ok": true\n}\n'], '[{"id":1,"balance":400}]\n');
  t.equal(readFileSync(join(dir, "victim.txt"), "utf8"), "keep me");
  t.notOk(lstatSync(join(dir, "results.json")).isSymbolicLink());
  t.equal(readFileSync(join(dir, "results.json"), "utf8"), '{\n  "ok": true\n}\n');
  t.equal(readFileSync(join(dir, "output.json"), "utf8"), '[{"id":1,"balance":400}]\n');
  t.same(readdirSync(dir).filter((f) => f.endsWith(".tmp")), [], "no temporary file left");
});

t.test("a failed run leaves results.json and no output.json; a part may be a whole file, copied in", async (t) => {
  const dir = t.testdir({ "part.txt": '  "error": "no"\n' });
  const part = join(dir, "part.txt");
  writeOutputs(dir, ['{\n  "ok": false,\n', { file: part }, "}\n"], undefined);
  t.equal(readFileSync(join(dir, "results.json"), "utf8"), '{\n  "ok": false,\n  "error": "no"\n}\n');
  t.notOk(existsSync(join(dir, "output.json")));
});

t.test("every part of a run's output has its place in the out dir", async (t) => {
  t.same(outPaths("runs/7"), {
    results: join("runs/7", "results.json"), output: join("runs/7", "output.json"), history: join("runs/7", "history.jsonl"),
    outputBranches: join("runs/7", "output.branches.json"), outputAll: join("runs/7", "output.all.json"),
    branches: join("runs/7", "branches"), store: join("runs/7", "store"),
  });
});
