// bank-sim --version says which bank-sim this is; --help ends with examples
// and the exit codes, so a newcomer needs nothing else to start.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { BIN, ROOT } from "../helpers/paths.js";

const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000 });

t.test("--version prints package.json's version and exits 0", async (t) => {
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  const r = cli(["--version"]);
  t.equal(r.status, 0);
  t.equal(r.stdout, `${version}\n`);
  t.equal(cli(["-V"]).stdout, `${version}\n`);
});

t.test("--help shows the commands, examples and every exit code", async (t) => {
  const r = cli(["--help"]);
  t.equal(r.status, 0);
  for (const want of ["run [options] <scenario>", "gen [options]", "check [options] <history>", "Examples:", "bank-sim check out", "Exit codes:", "130  interrupted", "3  check: the history is incomplete"]) {
    t.ok(r.stdout.includes(want), `help mentions ${JSON.stringify(want)}`);
  }
});
