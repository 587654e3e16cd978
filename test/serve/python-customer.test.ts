// A customer written as the course's students write theirs: Python with
// grpcio, stubs generated from proto/bank.proto in the test's directory by
// grpc_tools, talking mutual TLS to a served cluster with the secret as
// metadata and sending the write and read sets the proto defines. Its
// history (completed by `bank-sim cluster collect`) checks clean; a call
// without the secret is refused. Uses Debian's /usr/bin/python3 (with
// python3-grpcio and python3-grpc-tools); skipped, saying why, without them.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import t from "tap";
import { ROOT } from "../helpers/paths.js";
import { runCli } from "../helpers/run-cli.js";
import { initTestCluster, serveHost } from "../helpers/served.js";

// This file's own time bound (tap's default is 120 s): a bound for a busy machine, not a speed target.
t.setTimeout(300_000);

const PYTHON = "/usr/bin/python3";
const probe = spawnSync(PYTHON, ["-c", "import grpc, grpc_tools.protoc"], { encoding: "utf8" });
const skip = probe.error ? `${PYTHON} is missing (apt-get install python3)` : probe.status !== 0
  ? `${PYTHON} lacks grpcio or grpc_tools (apt-get install python3-grpcio python3-grpc-tools): ${probe.stderr.trim().split("\n").pop()}` : false;

t.test("a Python customer's history checks clean; without the secret it is refused", { skip }, async (t) => {
  const { dir, file } = await initTestCluster(t, { branches: 3, hosts: 2 });
  await serveHost(t, file, 1);
  await serveHost(t, file, 2);
  const stubs = join(dir, "stubs");
  const gen = spawnSync(PYTHON, ["-c", "import os,sys; os.makedirs(sys.argv[1]); from grpc_tools import protoc; sys.exit(protoc.main(['protoc', '-I' + sys.argv[2], '--python_out=' + sys.argv[1], '--grpc_python_out=' + sys.argv[1], sys.argv[3]]))",
    stubs, join(ROOT, "proto"), join(ROOT, "proto", "bank.proto")], { encoding: "utf8" });
  t.equal(gen.status, 0, `stubs generated: ${gen.stderr}`);
  const customer = join(ROOT, "test", "fixtures", "python", "bank_customer.py");
  const history = join(dir, "history.jsonl");
  const py = spawnSync(PYTHON, [customer, file, stubs, history], { encoding: "utf8", timeout: 120_000 });
  t.equal(py.status, 0, py.stderr);
  t.match(py.stdout, /alice saw 20000 after her deposit/, "read your writes at another branch (10,000 start + 10,000)");
  const collect = await runCli(t, ["cluster", "collect", history, "--cluster", file]);
  t.equal(collect.code, 0, collect.stderr);
  t.match(collect.stdout, /appended \d+ applied writes and 3 final states/);
  const check = await runCli(t, ["check", history, "--json"]);
  const report = JSON.parse(check.stdout) as { verdict: string; counts: { violations: number }; summary: Array<{ rule: string; checked: number }> };
  t.equal(check.code, 0, "check exits 0");
  t.equal(report.verdict, "ok", `verdict: ${report.verdict}, ${report.counts.violations} violations`);
  t.ok((report.summary.find((r) => r.rule === "RYW")?.checked ?? 0) >= 3, "its reads were judged");
  const refused = spawnSync(PYTHON, [customer, file, stubs, join(dir, "unused.jsonl"), "--no-secret"], { encoding: "utf8", timeout: 60_000 });
  t.equal(refused.stdout.trim(), "UNAUTHENTICATED", refused.stderr);
});
