// What a run tells a learner after its line: on the RYW example with the
// guarantee off, the anomaly the checker will flag, in the checker's words,
// naming the scenario's own events; with it on, the request the gate held,
// for how long, where and for which guarantee; always the next command. And
// progress: drawn on stderr only on a real terminal (a pty made by script(1)),
// never through a pipe, never with --quiet.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { BIN, EXAMPLES } from "../helpers/paths.js";
import { lines } from "../helpers/cli-text.js";
import { runCli } from "../helpers/run-cli.js";
import { assertValid } from "../helpers/output-schemas.js";

const RYW = join(EXAMPLES, "anomalies", "ryw.json");

t.test("with RYW off the summary names the anomaly the checker will flag, by the scenario's event ids, and the next command", async (t) => {
  const dir = t.testdir({});
  const r = await runCli(t, ["run", RYW, "--guarantees", "none", "--delay", "1-2:2s", "--out", "out"], { cwd: dir });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, "", "nothing on stderr through a pipe");
  const out = lines(r.stdout);
  t.match(out[0], /^bank-sim: .*ryw\.json: 2 operations on 2 branches \(sequential, guarantees none\) .* converged, balance 100\.00 everywhere/, r.stdout);
  t.match(r.stdout, /^ {2}the checker will flag 1 anomaly \(RYW 1\); first: RYW: session c1: query event 2 \(op #2\) at branch 2 returned 0 but did not reflect the session's earlier deposit 1\.1 \(event 1, op #1\)/m, r.stdout);
  t.match(r.stdout, /^ {2}no request was held at the gate: every guarantee was off$/m, r.stdout);
  t.equal(out.at(-2), "  next: bank-sim check out   (every rule, and each problem with the operations involved)");
  t.equal(out.at(-1), "        bank-sim report out  (report.html: the space-time diagram, with the checker's findings on it)");
  // The op numbers the checker names are results.json's events[].op.
  const results = JSON.parse(readFileSync(join(dir, "out", "results.json"), "utf8")) as { events: Array<{ op: number; event: number; balance: number | null }>; summary: { rssMbByQuarter: number[] } };
  assertValid(t, "results", results);
  t.same(results.events.map((e) => [e.op, e.event, e.balance]), [[1, 1, null], [2, 2, 0]]);
  // Two operations: the quarter and the half are the first, three quarters and all the second.
  const rss = results.summary.rssMbByQuarter;
  t.equal(rss.length, 2, `memory read after each operation: ${JSON.stringify(rss)}`);
  t.ok(rss.every((mb) => mb > 20), "a process with its worker threads holds more than 20 MB");
});

t.test("with RYW on the summary says which request the gate held, how long, where and for what", async (t) => {
  const dir = t.testdir({});
  const r = await runCli(t, ["run", RYW, "--guarantees", "ryw", "--delay", "1-2:2s", "--out", "out"], { cwd: dir });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^ {2}the checker finds nothing to flag in the history: every rule holds$/m);
  const held = /^ {2}1 request held (\d+) ms at branch 2 for RYW \(event 2 of customer 1\)$/m.exec(r.stdout);
  t.ok(held, `the held request is told: ${r.stdout}`);
  t.ok(Number(held?.[1]) >= 1_900, "held about as long as the delay on 1 → 2");
  const results = JSON.parse(readFileSync(join(dir, "out", "results.json"), "utf8")) as { summary: { heldAtGate: { requests: number; longest: { op: number; guarantees: string[] } } }; events: Array<{ heldFor: string[] }> };
  t.match(results.summary.heldAtGate, { requests: 1, longest: { op: 2, guarantees: ["ryw"] } });
  t.same(results.events.map((e) => e.heldFor), [[], ["ryw"]]);
  const log = readFileSync(join(dir, "out", "branches", "branch-2.log"), "utf8");
  t.match(log, /replica 2 applied 1\.1 \(balance=10000c\)/, "the branch log records the replica's apply");
});

t.test("the MW example's branch 3 log shows the balance MW off lets it hold, and the write MW on makes it hold back", async (t) => {
  const dir = t.testdir({});
  const run = (g: string, out: string) => runCli(t, ["run", join(EXAMPLES, "anomalies", "mw.json"), "--guarantees", g, "--delay", "1-2:2s,1-3:4s", "--out", out, "--quiet"], { cwd: dir });
  const [off, on] = await Promise.all([run("none", "off"), run("mw", "on")]);
  t.equal(off.code, 0, off.stderr);
  t.equal(on.code, 0, on.stderr);
  const offLog = readFileSync(join(dir, "off", "branches", "branch-3.log"), "utf8");
  t.match(offLog, /replica 3 applied 2\.1 \(balance=5000c\)[^]*replica 3 applied 1\.1 \(balance=15000c\)/, "MW off: branch 3 shows 50, the second deposit without the first");
  const onLog = readFileSync(join(dir, "on", "branches", "branch-3.log"), "utf8");
  t.match(onLog, /replica 3 holds 2\.1 until 1\.1 arrives/);
  t.match(onLog, /replica 3 applied 1\.1, 2\.1 \(balance=15000c\)/);
  t.notMatch(onLog, /balance=5000c/, "MW on: never 50");
});

const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;

t.test("progress is drawn on a terminal's stderr, cleared at the end, and absent with --quiet", { skip: !hasScript && "script(1) is not installed (util-linux)" }, async (t) => {
  const dir = t.testdir({});
  // 40 branches and a slow link keep each phase long enough to be drawn (a phase under 300 ms never shows).
  const gen = spawnSync(process.execPath, [BIN, "gen", "--branches", "40", "--customers", "2", "--events", "6", "--seed", "4"], { encoding: "utf8" });
  t.equal(gen.status, 0, gen.stderr);
  const scenario = join(dir, "s.json");
  writeFileSync(scenario, gen.stdout);
  const onTty = (extra: string[], out: string) => {
    const typescript = join(dir, `${out}.tty`);
    const cmd = [process.execPath, BIN, "run", scenario, "--delay", "300ms", "--out", join(dir, out), ...extra].map((a) => `'${a}'`).join(" ");
    const r = spawnSync("script", ["-qec", cmd, typescript], { encoding: "utf8", timeout: 120_000, env: { ...process.env, TERM: "xterm" } });
    return { status: r.status, screen: existsSync(typescript) ? readFileSync(typescript, "utf8") : "" };
  };
  const shown = onTty([], "tty");
  t.equal(shown.status, 0, shown.screen);
  t.match(shown.screen, /bank-sim: customers \[.*\] \d+\/12 operations/, "the customers' operations are counted");
  t.match(shown.screen, /\x1b\[2K/, "the bar is cleared when done");
  t.match(shown.screen, /converged, balance/, "the summary follows");
  const quiet = onTty(["--quiet"], "tty-quiet");
  t.equal(quiet.status, 0, quiet.screen);
  t.notMatch(quiet.screen, /bank-sim: (customers|settling|starting)/, "no progress with --quiet");
  // Through a pipe: the same run prints nothing on stderr.
  const piped = await runCli(t, ["run", scenario, "--delay", "300ms", "--out", join(dir, "piped")], { cwd: dir });
  t.equal(piped.code, 0, piped.stderr);
  t.equal(piped.stderr, "", "no progress through a pipe");
});
