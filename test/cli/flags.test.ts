// Flags are validated as strictly as --branches: numbers are digits only,
// delay rules need a unit and name branches of the run, a fault rate is given
// once, and gen never writes what run would refuse. Each case spawns the real
// binary and expects the exact message and exit 2, with nothing written.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { BIN, EXAMPLES } from "../helpers/paths.js";

const SCENARIO = join(EXAMPLES, "mw.json");
const HINT = "(run with --help for usage)\n";

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 120_000, maxBuffer: 128 * 1024 * 1024 });
  if (r.error) throw r.error;
  return r;
}

const cases: Array<[string[], string]> = [
  [["--seed", "0x10"], `--seed: expected an integer from 0 to 4294967295, found "0x10"`],
  [["--gate-timeout", "1e3"], `--gate-timeout: expected an integer from 1 to 600000, found "1e3"`],
  [["--base-port", ""], `--base-port: expected an integer from 0 to 65535, found ""`],
  [["--workers", " 2"], `--workers: expected an integer from 1 to 64, found " 2"`],
  [["--delay", "9-9:100ms"], `--delay: "9-9:100ms" names branch 9, which is not in this run`],
  [["--delay", "1-2:100"], `--delay: expected rules like 150ms, 20..200ms or 2-1:500ms, found "1-2:100" (a duration needs its unit: ms or s)`],
  [["--faults", "loss=0.1,loss=0.2"], `--faults: loss= is given twice; give each rate once`],
];

for (const [flags, message] of cases) {
  t.test(`run ${flags.map((f) => JSON.stringify(f)).join(" ")} is refused before anything starts`, async (t) => {
    const out = join(t.testdir(), "out");
    const r = cli(["run", SCENARIO, "--out", out, ...flags]);
    t.equal(r.status, 2);
    t.equal(r.stderr, `bank-sim: ${message}\n${HINT}`);
    t.notOk(existsSync(out), "nothing written");
  });
}

t.test("gen refuses a scenario larger than run reads, instead of writing one run would refuse", async (t) => {
  const r = cli(["gen", "--branches", "10", "--customers", "1000", "--events", "1000"]);
  t.equal(r.status, 2);
  t.match(r.stderr, /^bank-sim: gen: the scenario would be \d+ bytes, more than run reads \(16777216\); ask for fewer customers or events\n/);
  t.equal(r.stdout, "");
});

t.test("a crash plan the placement cannot carry out is a usage error, before any customer starts", async (t) => {
  // One worker: every branch shares it, so a worker crash takes branch 2 down with branch 1.
  const out = join(t.testdir(), "out");
  const r = cli(["run", SCENARIO, "--out", out, "--workers", "1", "--faults", "crash-worker=1@100ms:300ms,crash=2@200ms:100ms"]);
  t.equal(r.status, 2);
  t.equal(r.stderr, `bank-sim: --faults: crash=2@200ms:100ms overlaps crash-worker=1@100ms:300ms: branch 2 runs on the same worker as branch 1, which is down from 100 to 400 ms\n${HINT}`);
  t.notOk(existsSync(join(out, "output.json")), "no course output");
});
