// The `seed` benchmark case times the Python project the scenario files first
// came from against bank-sim, on the seed's own workload; it runs a clone the
// user names (nothing of the seed is shipped). Here a stand-in with the
// seed's shape (`main.main(file)` writes tests/output/output.json, and leaves
// a child running as the seed's branch servers would be) shows that the
// harness runs it in a copy of the clone, gives it customer i at branch i,
// times it beside bank-sim, checks bank-sim's histories, and leaves no
// process behind; and that without a clone it says what it needs. No timing
// is asserted (timings belong to `npm run bench`).

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { processesWith } from "../helpers/processes.js";
import { runCli } from "../helpers/run-cli.js";

const PYTHON = ["/usr/bin/python3", "/usr/local/bin/python3"].find((p) => existsSync(p));
const MARK = "bank-sim-seed-stand-in";

const STAND_IN = `import json, os, subprocess, sys

def main(path):
    doc = json.load(open(path))
    customers = [o for o in doc if o["type"] == "customer"]
    for c in customers:
        for e in c["events"]:
            assert e["dest"] == c["id"], "event %s of customer %s goes to branch %s" % (e["id"], c["id"], e["dest"])
    # Like the seed's branch servers: a child that would outlive this process.
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "${MARK}"])
    os.makedirs("tests/output", exist_ok=True)
    with open("tests/output/output.json", "w") as f:
        json.dump([{"id": c["id"], "balance": 0} for c in customers], f)
`;

t.test("without a clone of the seed, bench --case seed says which variable to set and where the seed is", async (t) => {
  const r = await runCli(t, ["bench", "--case", "seed"], { env: { BANK_SIM_SEED_DIR: "" } });
  t.not(r.code, 0);
  t.match(r.stderr, /set BANK_SIM_SEED_DIR to a clone of https:\/\/github\.com\/CliffordCheefoon\/C\.Cheefoon-ASU-CSE_531-Project_3/);
  const empty = t.testdir({});
  const e = await runCli(t, ["bench", "--case", "seed"], { env: { BANK_SIM_SEED_DIR: empty } });
  t.not(e.code, 0);
  t.match(e.stderr, new RegExp(`${empty}: no main\\.py and branch\\.py there`));
});

t.test("bench --case seed runs the seed in a copy, beside bank-sim durable and in memory, and leaves no process behind", { skip: PYTHON ? false : "no /usr/bin/python3" }, async (t) => {
  const dir = t.testdir({ clone: { "main.py": STAND_IN, "branch.py": "" } });
  const clone = join(dir, "clone");
  const json = join(dir, "seed.json");
  const r = await runCli(t, ["bench", "--case", "seed", "--reps", "1", "--json", json], { env: { BANK_SIM_SEED_DIR: clone, BANK_SIM_SEED_PYTHON: PYTHON }, timeoutMs: 180_000 });
  t.equal(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(json, "utf8")) as {
    workload: { branches: number; customers: number; events: number };
    sides: Array<{ side: string; wallMs: number[]; medianWallMs: number; violations: number | null }>;
    seedOverDurable: number; seedOverMemory: number;
  };
  t.same(report.workload, { branches: 10, customers: 10, events: 100 }, "the seed's own workload");
  t.same(report.sides.map((s) => s.side), ["seed (Python, unmodified)", "bank-sim, durable", "bank-sim, --no-durable"]);
  for (const s of report.sides) t.equal(s.wallMs.length, 1, `${s.side}: one repetition timed`);
  t.same(report.sides.slice(1).map((s) => s.violations), [0, 0], "bank-sim's histories check clean");
  // The stand-in is far quicker than bank-sim, most of all on a busy machine:
  // the ratios keep three significant digits, so they never round to 0.
  const [seed, durable, memory] = report.sides.map((s) => s.medianWallMs) as [number, number, number];
  t.ok(Math.abs(report.seedOverDurable / (seed / durable) - 1) < 0.01, `seed over durable ${report.seedOverDurable} is ${seed} / ${durable} ms`);
  t.ok(Math.abs(report.seedOverMemory / (seed / memory) - 1) < 0.01, `seed over memory ${report.seedOverMemory} is ${seed} / ${memory} ms`);
  t.match(r.stdout, /the seed takes [\d.]+x bank-sim's wall time \(durable\)/);
  t.notOk(existsSync(join(clone, "tests")), "the clone itself is untouched: the seed ran in a copy");
  t.same(processesWith("cmdline", MARK), [], "the seed's children were killed with it");
});

t.test("a seed that never finishes (a branch server that could not bind) is ended after the timeout, says why, and leaves no process behind", { skip: PYTHON ? false : "no /usr/bin/python3" }, async (t) => {
  const stuck = `import subprocess, sys, time

def main(path):
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "${MARK}-stuck"])
    time.sleep(300)
`;
  const dir = t.testdir({ clone: { "main.py": stuck, "branch.py": "" } });
  const r = await runCli(t, ["bench", "--case", "seed", "--reps", "1"], { env: { BANK_SIM_SEED_DIR: join(dir, "clone"), BANK_SIM_SEED_PYTHON: PYTHON, BANK_SIM_SEED_TIMEOUT_MS: "2000" }, timeoutMs: 120_000 });
  t.not(r.code, 0);
  t.match(r.stderr, /the seed did not finish within 2 s .* ports 50001-50010/);
  t.same(processesWith("cmdline", `${MARK}-stuck`), [], "the seed and its children were killed");
});
