// The out dir step: what a new run clears (and what it leaves alone), and the
// two result files.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { outPaths, prepareOutDir, writeOutputs } from "../../lib/run/out-dir.js";

t.test("preparing an out dir removes everything an earlier run wrote there and leaves other files alone", async (t) => {
  const dir = t.testdir({
    "output.json": "[]", "results.json": "{}", "history.jsonl": "{}\n",
    branches: { "branch-1.log": "old\n" }, store: { "branch-1.wal": "x" },
    "notes.txt": "mine", "output.json.bak": "mine too",
  });
  prepareOutDir(dir);
  t.same(readdirSync(dir).sort(), ["notes.txt", "output.json.bak"]);
  t.equal(readFileSync(join(dir, "notes.txt"), "utf8"), "mine");
});

t.test("preparing a missing out dir creates it, parents too", async (t) => {
  const dir = join(t.testdir({}), "a", "b", "out");
  prepareOutDir(dir);
  t.same(readdirSync(dir), []);
});

t.test("results.json is always written, indented, with a final newline; output.json only when given", async (t) => {
  const dir = t.testdir({});
  writeOutputs(dir, { ok: false, error: "no" }, undefined);
  t.equal(readFileSync(join(dir, "results.json"), "utf8"), '{\n  "ok": false,\n  "error": "no"\n}\n');
  t.notOk(existsSync(join(dir, "output.json")), "a failed run leaves no output.json");
  writeOutputs(dir, { ok: true }, '[{"id":1,"balance":400}]\n');
  t.equal(readFileSync(join(dir, "output.json"), "utf8"), '[{"id":1,"balance":400}]\n');
});

t.test("every part of a run's output has its place in the out dir", async (t) => {
  t.same(outPaths("runs/7"), {
    results: join("runs/7", "results.json"), output: join("runs/7", "output.json"), history: join("runs/7", "history.jsonl"),
    branches: join("runs/7", "branches"), store: join("runs/7", "store"),
  });
});
