// What a command prints reaches its reader whole, through a pipe, a file and
// a terminal; a write that fails fails the command; a scenario comes from
// standard input with "-", and an endless file is refused after the limit.
// Every case runs the real binary in a shell, as a user would.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { BIN } from "../helpers/paths.js";

const GEN = `${process.execPath} ${BIN} gen --branches 50 --customers 20 --events 60 --seed 1`;

function sh(command: string, timeoutMs = 120_000) {
  const r = spawnSync("bash", ["-c", command], { encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return r;
}

t.test("gen's output is complete through a file, a pipe and a terminal", async (t) => {
  const dir = t.testdir();
  const file = join(dir, "g.json");
  t.equal(sh(`${GEN} > ${file}`).status, 0);
  const expected = readFileSync(file, "utf8");
  t.ok(expected.length > 65_536, `${expected.length} bytes: more than one pipe buffer`);
  t.ok(expected.endsWith("]\n"), "the file ends where the JSON does");
  const piped = sh(`${GEN} | cat`);
  t.equal(piped.stdout, expected, "a pipe delivers every byte");
  // `script` gives the command a pseudo-terminal, as an interactive shell would.
  const tty = sh(`script -qec ${JSON.stringify(GEN)} /dev/null`);
  t.equal(tty.stdout.replace(/\r\n/g, "\n"), expected, "a terminal shows every byte");
});

t.test("writes to a full disk or a closed pipe fail the command with exit 1 and a message", async (t) => {
  const full = sh(`${GEN} > /dev/full`);
  t.equal(full.status, 1);
  t.equal(full.stderr, "bank-sim: cannot write to standard output: ENOSPC: no space left on device, write\n");
  const closed = sh(`${GEN} | head -c 10 > /dev/null; exit \${PIPESTATUS[0]}`);
  t.equal(closed.status, 1);
  t.match(closed.stderr, /^bank-sim: cannot write to standard output: write EPIPE\n$/);
});

t.test("run - reads the scenario from standard input, so gen | run - works", async (t) => {
  const out = join(t.testdir(), "out");
  const r = sh(`${process.execPath} ${BIN} gen --branches 3 --customers 2 --events 3 | ${process.execPath} ${BIN} run - --out ${out}`);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^bank-sim: <stdin>: 6 operations on 3 branches .* converged/);
  t.ok(readFileSync(join(out, "output.json"), "utf8").startsWith("["));
});

t.test("an endless scenario file is refused once it passes the limit, and nothing is written", async (t) => {
  const out = join(t.testdir(), "out");
  for (const source of ["/dev/zero", "- < /dev/zero"]) {
    const r = sh(`${process.execPath} ${BIN} run ${source} --out ${out}`, 60_000);
    t.equal(r.status, 2, source);
    t.match(r.stderr, /^bank-sim: (\/dev\/zero|standard input): expected a scenario file of at most 16777216 bytes, found more\n/);
    t.throws(() => readFileSync(join(out, "results.json")), { code: "ENOENT" });
  }
});
