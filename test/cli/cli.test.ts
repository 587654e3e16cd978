// The bank-sim binary as a user meets it: spawned with a timeout, asserting the
// exact stderr line and exit code (rimraf's test/bin.ts). Bad scenario files
// and bad flags exit 2 with a message saying where, what was expected and what
// was found, before any server starts or any output is written; help lists
// every option; gen, run and check work together; --base-port and Ctrl-C
// leave no port behind.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import { once } from "node:events";
import t, { type Test } from "tap";
import { EXAMPLES } from "../helpers/paths.js";
import { runCli, type CliResult } from "../helpers/run-cli.js";

const HINT = "(run with --help for usage)";
const firstLine = (text: string) => text.split("\n")[0] ?? "";
const lines = (text: string) => text.split("\n").filter((l) => l !== "");

const branch = (id: number, balance: unknown = 0) => ({ type: "branch", id, balance });
const customer = (id: number, ...events: object[]) => ({ type: "customer", id, events });
const json = (doc: unknown) => JSON.stringify(doc, null, 2);
/** One branch and one customer whose only event is `event`. */
const oneEvent = (event: object) => json([branch(1), customer(1, event)]);

/** Listens on a free port and resolves with the server, closed in teardown. */
async function listenAnywhere(tt: Test): Promise<{ server: Server; port: number }> {
  const server = createServer();
  tt.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error(`unexpected address ${String(address)}`);
  return { server, port: address.port };
}

/** The error code of a TCP connect to 127.0.0.1:port, or "connected". Bounded. */
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("timed out");
    }, 2_000);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code ?? err.message);
    });
  });
}

/** Runs `fn` over `items` with at most `limit` at once, keeping order (spawns are mostly start-up time). */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
const PARALLEL = 4;

/** Asserts the usual refusal: exit 2, this first stderr line then the hint, nothing on stdout. */
function assertRefused(tt: Test, r: CliResult, line: string): void {
  tt.equal(r.code, 2, "exit code 2");
  tt.equal(firstLine(r.stderr), line);
  tt.equal(lines(r.stderr).at(-1), HINT, "ends with the hint to --help");
  tt.equal(r.stdout, "", "nothing on stdout");
}

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

t.test("gen prints a deterministic, runnable scenario", async (t) => {
  const args = ["gen", "--branches", "3", "--customers", "4", "--events", "5", "--seed", "9"];
  const [a, b] = await Promise.all([runCli(t, args), runCli(t, args)]);
  t.equal(a.code, 0);
  t.equal(a.stderr, "");
  t.equal(a.stdout, b.stdout, "the same seed prints the same scenario");
  const doc = JSON.parse(a.stdout) as Array<{ type: string; events?: unknown[] }>;
  t.equal(doc.filter((o) => o.type === "branch").length, 3);
  t.same(doc.filter((o) => o.type === "customer").map((o) => o.events?.length), [5, 5, 5, 5]);

  const dir = t.testdir({ "gen.json": a.stdout });
  const run = await runCli(t, ["run", "gen.json", "--out", "out"], { cwd: dir });
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /^bank-sim: gen\.json: 20 operations on 3 branches .* converged, balance \S+ everywhere; wrote out\/output\.json\n$/);
  t.ok(existsSync(join(dir, "out", "output.json")), "output.json exists");
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

const ONE_BRANCH = json([branch(1), customer(1, { interface: "deposit", money: 5 }, { interface: "query" })]);

t.test("--base-port on a taken port fails the run, naming the port", async (t) => {
  const { port } = await listenAnywhere(t); // branch 1 of --base-port port-1 wants exactly this port
  const dir = t.testdir({ "one.json": ONE_BRANCH });
  const r = await runCli(t, ["run", "one.json", "--out", "out", "--base-port", String(port - 1)], { cwd: dir });
  t.equal(r.code, 1);
  t.equal(r.stdout, "");
  const want = `bank-sim: run failed: branch 1: cannot listen on 127.0.0.1:${port}: the port is already in use`;
  t.ok(lines(r.stderr).includes(want), `stderr has the line ${JSON.stringify(want)}`, { stderr: r.stderr });
  t.notOk(existsSync(join(dir, "out", "output.json")), "no output.json for a failed run");
});

t.test("--base-port P puts branch 1 on port P+1, as its log says", async (t) => {
  const probe = await listenAnywhere(t);
  const port = probe.port;
  await new Promise<void>((resolve) => probe.server.close(() => resolve()));
  const dir = t.testdir({ "one.json": ONE_BRANCH });
  const r = await runCli(t, ["run", "one.json", "--out", "out", "--base-port", String(port - 1)], { cwd: dir });
  t.equal(r.code, 0, r.stderr);
  const log = readFileSync(join(dir, "out", "branches", "branch-1.log"), "utf8");
  t.match(log, `branch 1 listening on 127.0.0.1:${port} `);
});

t.test("Ctrl-C stops the cluster, exits 130 and frees every port", async (t) => {
  const gen = await runCli(t, ["gen", "--branches", "2", "--customers", "1", "--events", "30", "--seed", "3"]);
  t.equal(gen.code, 0, gen.stderr);
  const dir = t.testdir({ "slow.json": gen.stdout });
  const listening = /^\[branch (\d+)\] branch \d+ listening on 127\.0\.0\.1:(\d+) \(host \d+, replication on 127\.0\.0\.1:(\d+)\)$/gm;
  let interruptedAt = 0;
  const r = await runCli(t, ["run", "slow.json", "--out", "out", "--delay", "300ms", "--guarantees", "all", "-v"], {
    cwd: dir,
    onStderr: (stderr, child) => {
      if (interruptedAt === 0 && [...stderr.matchAll(listening)].length === 2) {
        interruptedAt = performance.now();
        child.kill("SIGINT");
      }
    },
  });
  t.ok(interruptedAt > 0, "both branches said they were listening before SIGINT", { stderr: r.stderr });
  t.equal(r.code, 130, r.stderr);
  t.ok(performance.now() - interruptedAt < 10_000, "exited within 10 s of SIGINT");
  t.ok(lines(r.stderr).includes("bank-sim: SIGINT: stopping the cluster (press again to force)"), "says it is stopping the cluster", { stderr: r.stderr });
  t.match(r.stderr, /^bank-sim: interrupted; cluster stopped; partial results in out\/results\.json$/m);
  t.equal(r.stdout, "");
  t.notOk(existsSync(join(dir, "out", "output.json")), "no output.json for an interrupted run");
  const results = JSON.parse(readFileSync(join(dir, "out", "results.json"), "utf8")) as { ok: boolean };
  t.equal(results.ok, false, "results.json records the run as not ok");

  const ports = [...r.stderr.matchAll(listening)].flatMap((m) => [Number(m[2]), Number(m[3])]);
  t.equal(ports.length, 4, "two branch ports and two replication ports");
  const outcomes = await Promise.all(ports.map(connectOutcome));
  t.same(outcomes, ports.map(() => "ECONNREFUSED"), `every port refuses connections: ${ports.join(", ")}`);
});

t.test("check reads a run's history", async (t) => {
  const dir = t.testdir({});
  const run = await runCli(t, ["run", join(EXAMPLES, "mw.json"), "--out", "out"], { cwd: dir });
  t.equal(run.code, 0, run.stderr);

  t.test("an out directory of a good run checks OK with exit 0", async (t) => {
    const r = await runCli(t, ["check", "out"], { cwd: dir });
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stderr, "");
    t.match(r.stdout, /^verdict: OK/m);
  });

  t.test("a missing path exits 2 saying what was expected", async (t) => {
    const r = await runCli(t, ["check", "nowhere"], { cwd: dir });
    assertRefused(t, r, `bank-sim: nowhere: cannot read it (ENOENT); expected a history.jsonl file or an out directory containing one`);
  });

  t.test("a corrupted line exits 2 naming the file and line", async (t) => {
    const good = readFileSync(join(dir, "out", "history.jsonl"), "utf8").split("\n");
    t.ok(good.length > 4, "the history has a few lines");
    const broken = [...good];
    broken[2] = `{"type":"invoke", broken`;
    writeFileSync(join(dir, "broken.jsonl"), broken.join("\n"));
    const r = await runCli(t, ["check", "broken.jsonl"], { cwd: dir });
    t.equal(r.code, 2);
    t.match(firstLine(r.stderr), /^bank-sim: broken\.jsonl:3: not valid JSON: \S/);
    t.notMatch(firstLine(r.stderr), /last line/);
    t.equal(r.stdout, "");
  });

  t.test("a cut-short last line is blamed on an interrupted run", async (t) => {
    const text = readFileSync(join(dir, "out", "history.jsonl"), "utf8").trimEnd();
    writeFileSync(join(dir, "cut.jsonl"), text.slice(0, -10));
    const r = await runCli(t, ["check", "cut.jsonl"], { cwd: dir });
    t.equal(r.code, 2);
    const n = text.split("\n").length;
    t.match(firstLine(r.stderr), new RegExp(`^bank-sim: cut\\.jsonl:${n}: not valid JSON: .* \\(the last line: was the run cut short while writing it\\?\\)$`));
  });
});

t.test("a run of examples/mw.json reports convergence on one line and writes every artifact", async (t) => {
  const dir = t.testdir({});
  const r = await runCli(t, ["run", join(EXAMPLES, "mw.json"), "--out", "out"], { cwd: dir });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, "");
  const out = lines(r.stdout);
  t.equal(out.length, 1, "one line on stdout");
  t.match(out[0], /^bank-sim: .*mw\.json: 3 operations on 2 branches \(sequential, guarantees mw,ryw\) in \d+\.\d\d s; converged, balance 0\.00 everywhere; wrote out\/output\.json$/);
  for (const f of ["output.json", "results.json", "history.jsonl", "branches/branch-1.log", "branches/branch-2.log"]) {
    t.ok(existsSync(join(dir, "out", f)), `${f} exists`);
  }
});
