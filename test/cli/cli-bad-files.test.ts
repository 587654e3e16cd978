// Bad scenario files as a user meets them, from the built binary (rimraf's
// test/bin.ts): each exits 2 with one line saying where, what was expected and
// what was found, then the hint to --help, before any server starts or any
// output is written. Bad flags and help are in cli-usage.test.ts; the runs in
// cli.test.ts.

import { existsSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { assertRefused, branch, customer, json, mapLimit, oneEvent, PARALLEL } from "../helpers/cli-text.js";
import { runCli } from "../helpers/run-cli.js";

const MONEY = "expected a non-negative amount with at most 2 decimals";
const SIZE_LIMIT = 16 * 1024 * 1024;

interface BadFile {
  behaviour: string;
  /** File contents, a directory ({}), or undefined for a missing file. */
  content: string | Record<string, never> | undefined;
  args?: string[];
  line: string;
}

// Each file is `scenario.json`, run from its test directory, so messages name it as typed.
const badFiles: BadFile[] = [
  {
    behaviour: "malformed JSON is refused at its line and column",
    content: '[{"type":"branch","id":1,"balance":0},\n {"type":"customer" "id":1}]',
    line: `bank-sim: scenario.json:2:21: invalid JSON: Expected ',' or '}' after property value`,
  },
  {
    behaviour: "an unknown interface is refused",
    content: oneEvent({ interface: "transfer", money: 5 }),
    line: `bank-sim: scenario.json [1].events[0].interface: expected "deposit", "withdraw" or "query", found "transfer"`,
  },
  {
    behaviour: "a deposit without money is refused",
    content: oneEvent({ interface: "deposit" }),
    line: `bank-sim: scenario.json [1].events[0].money: ${MONEY}, found nothing`,
  },
  {
    behaviour: "a negative amount is refused at its path",
    content: json([customer(1, { interface: "deposit", money: 1 }, { interface: "query" }, { interface: "withdraw", money: -5 }), branch(1)]),
    line: `bank-sim: scenario.json [0].events[2].money: ${MONEY}, found -5`,
  },
  {
    behaviour: "a quoted amount is refused, quotes shown",
    content: oneEvent({ interface: "deposit", money: "400" }),
    line: `bank-sim: scenario.json [1].events[0].money: ${MONEY}, found "400"`,
  },
  {
    behaviour: "a boolean amount is refused",
    content: oneEvent({ interface: "withdraw", money: true }),
    line: `bank-sim: scenario.json [1].events[0].money: ${MONEY}, found true`,
  },
  {
    behaviour: "a null amount is refused",
    content: oneEvent({ interface: "deposit", money: null }),
    line: `bank-sim: scenario.json [1].events[0].money: ${MONEY}, found null`,
  },
  {
    behaviour: "an amount with three decimals is refused",
    content: oneEvent({ interface: "deposit", money: 10.005 }),
    line: `bank-sim: scenario.json [1].events[0].money: ${MONEY}, found 10.005`,
  },
  {
    // JSON.parse reads 1e400 as Infinity; it is refused as not a finite amount.
    behaviour: "an amount too large for a double (1e400) is refused as Infinity",
    content: `[{"type":"branch","id":1,"balance":0},{"type":"customer","id":1,"events":[{"interface":"deposit","money":1e400}]}]`,
    line: `bank-sim: scenario.json [1].events[0].money: ${MONEY}, found Infinity`,
  },
  {
    behaviour: "an event targeting an unknown branch is refused",
    content: oneEvent({ interface: "deposit", money: 5, dest: 7 }),
    line: `bank-sim: scenario.json [1].events[0].dest: expected an existing branch id (1), found 7`,
  },
  {
    behaviour: "a branch id used twice is refused, naming the first use",
    content: json([branch(1), branch(1)]),
    line: `bank-sim: scenario.json [1].id: expected a branch id not used before, found 1 (also at [0])`,
  },
  {
    behaviour: "unequal starting balances are refused",
    content: json([branch(1, 0), branch(2, 10)]),
    line: `bank-sim: scenario.json [1].balance: expected the same starting balance at every branch (branch 1 at [0] has 0), found 10 at branch 2`,
  },
  {
    behaviour: "a file that is not an array is refused",
    content: json({ type: "branch", id: 1, balance: 0 }),
    line: `bank-sim: scenario.json: expected a JSON array of branch and customer objects, found an object`,
  },
  {
    behaviour: "an empty file is refused",
    content: "",
    line: `bank-sim: scenario.json: expected a JSON array of branch and customer objects, found an empty file`,
  },
  {
    behaviour: "a whitespace-only file is refused as empty",
    content: " \n\t\r\n ",
    line: `bank-sim: scenario.json: expected a JSON array of branch and customer objects, found an empty file`,
  },
  {
    behaviour: "a file without branches is refused",
    content: json([customer(1)]),
    line: `bank-sim: scenario.json: expected at least one object with "type": "branch", found none`,
  },
  {
    behaviour: "an unknown object type is refused",
    content: json([branch(1), { type: "atm", id: 2 }]),
    line: `bank-sim: scenario.json [1].type: expected "branch" (or "bank") or "customer" (or "client"), found "atm"`,
  },
  {
    behaviour: "a non-integer branch id is refused",
    content: json([{ type: "branch", id: 1.5, balance: 0 }]),
    line: `bank-sim: scenario.json [0].id: expected a positive integer, found 1.5`,
  },
  {
    behaviour: "a non-integer customer id is refused",
    content: json([branch(1), { type: "customer", id: "1", events: [] }]),
    line: `bank-sim: scenario.json [1].id: expected a positive integer, found "1"`,
  },
  {
    behaviour: "a file over the size limit is refused before it is read",
    content: " ".repeat(SIZE_LIMIT + 1),
    line: `bank-sim: scenario.json: expected a scenario file of at most ${SIZE_LIMIT} bytes, found ${SIZE_LIMIT + 1} bytes`,
  },
  {
    behaviour: "a missing file is refused",
    content: undefined,
    line: `bank-sim: scenario.json: cannot read the scenario file: no such file`,
  },
  {
    behaviour: "a directory in place of the file is refused",
    content: {},
    line: `bank-sim: scenario.json: cannot read the scenario file: it is a directory`,
  },
  {
    behaviour: "--branches 0 is refused",
    content: oneEvent({ interface: "deposit", money: 5 }),
    args: ["--branches", "0"],
    line: `bank-sim: --branches: expected an integer from 1 to 2000, found 0`,
  },
  {
    behaviour: "--branches abc is refused",
    content: oneEvent({ interface: "deposit", money: 5 }),
    args: ["--branches", "abc"],
    line: `bank-sim: --branches: expected a whole number, found "abc"`,
  },
  {
    behaviour: "--branches 3 refuses an event targeting branch 4",
    content: oneEvent({ interface: "deposit", money: 5, dest: 4 }),
    args: ["--branches", "3"],
    line: `bank-sim: scenario.json [1].events[0].dest: expected an existing branch id (--branches 3: 1..3), found 4`,
  },
];

t.test("bad scenario files exit 2 with the place, the expectation and the finding, writing nothing", async (t) => {
  const caseDir = (c: BadFile): Record<string, string | Record<string, never>> => (c.content === undefined ? {} : { "scenario.json": c.content });
  const root = t.testdir(Object.fromEntries(badFiles.map((c, i) => [`case-${i}`, caseDir(c)])));
  const dirs = badFiles.map((_, i) => join(root, `case-${i}`));
  const results = await mapLimit(badFiles, PARALLEL, (c, i) =>
    runCli(t, ["run", "scenario.json", "--out", "out", ...(c.args ?? [])], { cwd: dirs[i] }));
  badFiles.forEach((c, i) => {
    t.test(c.behaviour, async (t) => {
      assertRefused(t, results[i]!, c.line);
      t.notOk(existsSync(join(dirs[i]!, "out")), "the --out directory was not created");
    });
  });
});
