// The command line as a user meets it, from the built binary: usage errors
// exit 2 with a helpful message (and a suggestion for a misspelling) before
// anything is written, --help lists every option, and gen refuses a bad
// --mix. Bad scenario files are in cli-bad-files.test.ts; the runs in
// cli.test.ts.

import { existsSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { EXAMPLES } from "../helpers/paths.js";
import { assertRefused, lines, mapLimit, PARALLEL } from "../helpers/cli-text.js";
import { runCli } from "../helpers/run-cli.js";

t.test("usage errors exit 2 with a helpful message, writing nothing", async (t) => {
  const mw = join(EXAMPLES, "mw.json");
  const cases: Array<[string, string[], string, string?]> = [
    ["an unknown option is named", ["run", mw, "--bogus"], `bank-sim: unknown option '--bogus'`],
    ["a misspelt option gets a suggestion", ["run", mw, "--base-prot", "5"], `bank-sim: unknown option '--base-prot'`, "(Did you mean --base-port?)"],
    ["an unknown command is named", ["frobnicate"], `bank-sim: unknown command 'frobnicate'`],
    ["a misspelt command gets a suggestion", ["rnu", mw], `bank-sim: unknown command 'rnu'`, "(Did you mean run?)"],
    ["a missing scenario argument is named", ["run"], `bank-sim: missing required argument 'scenario'`],
    ["--guarantees foo lists the accepted values", ["run", mw, "--guarantees", "foo"], `bank-sim: --guarantees: expected all, none or a list of mw,ryw,mr,wfr, found "foo"`],
    ["--delay fast shows the accepted forms", ["run", mw, "--delay", "fast"], `bank-sim: --delay: expected rules like 150ms, 20..200ms or 2-1:500ms, found "fast"`],
    ["--workers 0 gives the range", ["run", mw, "--workers", "0"], `bank-sim: --workers: expected an integer from 1 to 64, found "0"`],
    ["--base-port 70000 gives the range", ["run", mw, "--base-port", "70000"], `bank-sim: --base-port: expected an integer from 0 to 65535, found "70000"`],
  ];
  const root = t.testdir(Object.fromEntries(cases.map((_, i) => [`case-${i}`, {}])));
  const dirs = cases.map((_, i) => join(root, `case-${i}`));
  const results = await mapLimit(cases, PARALLEL, ([, args], i) => runCli(t, [...args, "--out", "out"], { cwd: dirs[i] }));
  cases.forEach(([behaviour, , line, second], i) => {
    t.test(behaviour, async (t) => {
      const r = results[i]!;
      assertRefused(t, r, line);
      if (second !== undefined) t.equal(lines(r.stderr)[1], second);
      t.notOk(existsSync(join(dirs[i]!, "out")), "the --out directory was not created");
    });
  });
});

// The options as declared in lib/cli.ts, in commander's flags syntax (which help prints verbatim).
const HELP: Array<[string, string[], string[]]> = [
  ["the program", ["--help"], ["-h, --help", "run [options] <scenario>", "gen [options]", "check [options] <history>"]],
  ["run", ["run", "--help"], [
    "<scenario>", "-b, --branches <n>", "-o, --out <dir>", "-g, --guarantees <list>", "--concurrent", "--delay <spec>",
    "--seed <n>", "-w, --workers <n>", "--base-port <p>", "--host <addr>", "--gate-timeout <ms>", "--strict",
    "-v, --verbose", "-h, --help",
  ]],
  ["gen", ["gen", "--help"], ["--branches <n>", "--customers <n>", "--events <n>", "--seed <n>", "--mix <weights>", "--balance <amount>", "-h, --help"]],
  ["check", ["check", "--help"], ["<history>", "--json", "--limit <n>", "-h, --help"]],
];

t.test("--help exits 0 and lists every option", async (t) => {
  const results = await mapLimit(HELP, PARALLEL, ([, args]) => runCli(t, args));
  HELP.forEach(([what, , options], i) => {
    t.test(`help for ${what} lists ${options.length} options`, async (t) => {
      const r = results[i]!;
      t.equal(r.code, 0);
      t.equal(r.stderr, "");
      for (const o of options) t.ok(r.stdout.includes(o), `mentions ${o}`);
    });
  });
  t.test("`help run` is the same as `run --help`", async (t) => {
    const [a, b] = await Promise.all([runCli(t, ["help", "run"]), runCli(t, ["run", "--help"])]);
    t.equal(a.code, 0);
    t.equal(a.stdout, b.stdout);
  });
});

t.test("gen refuses a bad --mix with exit 2", async (t) => {
  const gen = ["gen", "--branches", "3", "--customers", "4", "--events", "5"];
  const cases: Array<[string, string]> = [
    ["foo", `bank-sim: --mix: expected name=weight pairs like deposit=4,withdraw=3,query=3, found "foo"`],
    ["deposit=0,withdraw=0,query=0", `bank-sim: --mix: expected at least one positive weight, found "deposit=0,withdraw=0,query=0"`],
  ];
  for (const [mix, line] of cases) {
    const r = await runCli(t, [...gen, "--mix", mix]);
    assertRefused(t, r, line);
  }
});
