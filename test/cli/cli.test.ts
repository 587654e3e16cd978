// The bank-sim binary as a user meets it, spawned with a timeout, asserting the
// exact stdout and stderr lines and exit code (rimraf's test/bin.ts): gen, run
// and check work together; --base-port and Ctrl-C leave no port behind. The
// refusals are in cli-bad-files.test.ts and cli-usage.test.ts.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import { once } from "node:events";
import t, { type Test } from "tap";
import { EXAMPLES } from "../helpers/paths.js";
import { assertRefused, branch, customer, firstLine, json, lines } from "../helpers/cli-text.js";
import { runCli } from "../helpers/run-cli.js";

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
    }, 10_000);
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
  t.match(run.stdout, /^bank-sim: gen\.json: 20 operations on 3 branches .* converged, balance \S+ everywhere; wrote out\/output\.json\n/);
  t.match(run.stdout, /\n {2}next: bank-sim check out /, "the summary ends with the next command");
  t.ok(existsSync(join(dir, "out", "output.json")), "output.json exists");
});

const ONE_BRANCH = json([branch(1), customer(1, { interface: "deposit", money: 5 }, { interface: "query" })]);

t.test("--base-port on a taken port is a usage error naming the port and the cause", async (t) => {
  const { port } = await listenAnywhere(t); // branch 1 of --base-port port-1 wants exactly this port
  const dir = t.testdir({ "one.json": ONE_BRANCH });
  const r = await runCli(t, ["run", "one.json", "--out", "out", "--base-port", String(port - 1)], { cwd: dir });
  t.equal(r.code, 2);
  t.equal(r.stdout, "");
  const want = `bank-sim: --base-port: branch 1: cannot listen on 127.0.0.1:${port}: the port is already in use`;
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

t.test("a run of examples/mw.json reports convergence on one line (only that with --quiet) and writes every artifact", async (t) => {
  const dir = t.testdir({});
  const r = await runCli(t, ["run", join(EXAMPLES, "mw.json"), "--out", "out", "--quiet"], { cwd: dir });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, "");
  const out = lines(r.stdout);
  t.equal(out.length, 1, "one line on stdout with --quiet");
  t.match(out[0], /^bank-sim: .*mw\.json: 3 operations on 2 branches \(sequential, guarantees mw,ryw\) in \d+\.\d\d s; converged, balance 0\.00 everywhere; wrote out\/output\.json$/);
  for (const f of ["output.json", "results.json", "history.jsonl", "branches/branch-1.log", "branches/branch-2.log"]) {
    t.ok(existsSync(join(dir, "out", f)), `${f} exists`);
  }
});
