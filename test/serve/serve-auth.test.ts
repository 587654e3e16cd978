// Nothing of a served cluster answers a stranger: every port speaks TLS and
// wants a client certificate of the cluster's CA (mutual TLS), and every call
// the cluster's secret. Plaintext, no client certificate, another CA's
// certificate or a missing secret are refused, on the Bank and the
// Replication ports alike. --insecure is refused off loopback and warns on it.

import * as grpc from "@grpc/grpc-js";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import { loadClusterFile, branchAddresses, clientTls } from "../../lib/cluster/cluster-file.js";
import { sendSecret } from "../../lib/wire/auth.js";
import { channelCredentials } from "../../lib/wire/tls.js";
import { banksim } from "../../generated/bank.js";
import { runCli } from "../helpers/run-cli.js";
import { initTestCluster, serveHost } from "../helpers/served.js";

// This file's own time bound (tap's default is 120 s): half a minute idle, several times that on a busy machine.
t.setTimeout(480_000);

const pb = banksim.v1;

function stateCall(t: Test, address: string, creds: grpc.ChannelCredentials, options: grpc.ClientOptions): Promise<string> {
  const c = new pb.BankClient(address, creds, options);
  t.teardown(() => c.close());
  return new Promise((resolve) => c.State(new pb.StateRequest(), { deadline: Date.now() + 10_000 }, (err) => resolve(err ? grpc.status[err.code]! : "OK")));
}

function replicateCall(t: Test, address: string, creds: grpc.ChannelCredentials, options: grpc.ClientOptions): Promise<string> {
  const c = new pb.ReplicationClient(address, creds, options);
  t.teardown(() => c.close());
  return new Promise((resolve) => {
    const s = c.Replicate({ deadline: Date.now() + 10_000 });
    s.on("data", () => resolve("OK"));
    s.on("error", (err: grpc.ServiceError) => resolve(grpc.status[err.code]!));
    s.write(new pb.WriteBatch({ fromHost: 9, batchSeq: 1, writes: [] }));
  });
}

t.test("strangers are refused on every port; the cluster's own customers are served", async (t) => {
  const { file } = await initTestCluster(t, { branches: 2, hosts: 2 });
  const other = await initTestCluster(t, { branches: 1, hosts: 1 });
  await serveHost(t, file, 1);
  await serveHost(t, file, 2);
  const spec = loadClusterFile(file);
  const bank = branchAddresses(spec).get(1)!;
  const replication = `127.0.0.1:${spec.hosts[0]!.replicationPort}`;
  const mine = clientTls(spec)!;
  const theirs = clientTls(loadClusterFile(other.file))!;
  const secret = sendSecret(spec.secret);

  t.equal(await stateCall(t, bank, channelCredentials(mine), secret), "OK", "client certificate and secret: served");
  t.equal(await stateCall(t, bank, channelCredentials(mine), {}), "UNAUTHENTICATED", "no secret");
  t.equal(await stateCall(t, bank, channelCredentials(mine), sendSecret("0".repeat(64))), "UNAUTHENTICATED", "a wrong secret");
  t.equal(await stateCall(t, bank, grpc.credentials.createSsl(Buffer.from(mine.ca)), secret), "UNAVAILABLE", "no client certificate: the handshake fails");
  t.equal(await stateCall(t, bank, channelCredentials({ ...theirs, ca: mine.ca }), secret), "UNAVAILABLE", "another cluster's client certificate");
  t.equal(await stateCall(t, bank, grpc.credentials.createInsecure(), secret), "UNAVAILABLE", "plaintext");
  t.equal(await replicateCall(t, replication, channelCredentials(mine), {}), "UNAUTHENTICATED", "replication without the secret");
  t.equal(await replicateCall(t, replication, grpc.credentials.createSsl(Buffer.from(mine.ca)), secret), "UNAVAILABLE", "replication without a client certificate");
  t.equal(await replicateCall(t, replication, grpc.credentials.createInsecure(), secret), "UNAVAILABLE", "replication in plaintext");
});

t.test("--insecure: refused off loopback, a warning on it; a file without tls needs it", async (t) => {
  const far = await initTestCluster(t, { branches: 2, hosts: 2, addresses: ["192.0.2.10", "192.0.2.11"], basePort: 7400 });
  const serve = await runCli(t, ["serve", "--cluster", far.file, "--host-id", "1", "--insecure"]);
  t.equal(serve.code, 2);
  t.match(serve.stderr, /--insecure: allowed only when every host is on loopback; .* has 192\.0\.2\.10/);
  const scenario = join(far.dir, "s.json");
  writeFileSync(scenario, JSON.stringify([{ id: 1, type: "branch", balance: 100 }, { id: 2, type: "branch", balance: 100 }, { id: 1, type: "customer", events: [{ interface: "query", dest: 1 }] }]));
  const run = await runCli(t, ["run", scenario, "--cluster", far.file, "--insecure"]);
  t.equal(run.code, 2);
  t.match(run.stderr, /--insecure: allowed only when every host is on loopback/);

  const { dir, file } = await initTestCluster(t, { branches: 2, hosts: 1, insecure: true });
  const plain = await runCli(t, ["serve", "--cluster", file, "--host-id", "1"]);
  t.equal(plain.code, 2);
  t.match(plain.stderr, /has no "tls": serve it with --insecure \(loopback only\)/);
  const host = await serveHost(t, file, 1, ["--insecure"]);
  t.match(host.stderr(), /warning: --insecure: this host serves plaintext gRPC/);
  t.match(host.stdout(), /PLAINTEXT/);
  const s2 = join(dir, "s.json");
  writeFileSync(s2, JSON.stringify([{ id: 1, type: "branch", balance: 100 }, { id: 2, type: "branch", balance: 100 },
    { id: 1, type: "customer", events: [{ interface: "deposit", money: 5, dest: 1 }, { interface: "query", dest: 2 }] }]));
  const ran = await runCli(t, ["run", s2, "--cluster", file, "--insecure", "--out", join(dir, "out")]);
  t.equal(ran.code, 0, ran.stderr);
  t.match(ran.stderr, /warning: --insecure/);
  t.same(JSON.parse(readFileSync(join(dir, "out/output.json"), "utf8")), [{ id: 1, balance: 105 }], "read your writes across branches");
});

t.test("a bad cluster file is refused, naming the place; a scenario must fit the cluster", async (t) => {
  const { dir, file } = await initTestCluster(t, { branches: 2, hosts: 2 });
  const json = JSON.parse(readFileSync(file, "utf8")) as { branches: Array<{ host: number }>; hosts: Array<{ replicationPort: unknown }> };
  const bad = (name: string, edit: (j: typeof json) => void) => {
    const j = JSON.parse(JSON.stringify(json)) as typeof json;
    edit(j);
    const p = join(dir, name);
    writeFileSync(p, JSON.stringify(j));
    return p;
  };
  const cases: Array<[string, RegExp]> = [
    [bad("host.json", (j) => (j.branches[1]!.host = 7)), /\/branches\/1\/host: expected one of the hosts' ids \(1, 2\), found 7/],
    [bad("port.json", (j) => (j.hosts[0]!.replicationPort = "7401")), /\/hosts\/0\/replicationPort: must be integer/],
  ];
  for (const [p, message] of cases) {
    const r = await runCli(t, ["serve", "--cluster", p, "--host-id", "1"]);
    t.equal(r.code, 2, p);
    t.match(r.stderr, message);
  }
  const missing = await runCli(t, ["serve", "--cluster", file, "--host-id", "3"]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /--host-id: expected one of the hosts of .* \(1, 2\), found 3/);
  const s = join(dir, "s.json");
  writeFileSync(s, JSON.stringify([{ id: 1, type: "branch", balance: 5 }, { id: 2, type: "branch", balance: 5 }, { id: 1, type: "customer", events: [{ interface: "query", dest: 1 }] }]));
  const balance = await runCli(t, ["run", s, "--cluster", file]);
  t.equal(balance.code, 2);
  t.match(balance.stderr, /the scenario starts every branch with 5\.00, the cluster with 100\.00/);
  const faults = await runCli(t, ["run", s, "--cluster", file, "--faults", "loss=0.1"]);
  t.equal(faults.code, 2);
  t.match(faults.stderr, /--faults configures an in-process cluster/);
  const init = await runCli(t, ["cluster", "init", "--branches", "2", "--hosts", "2", "--out", file]);
  t.equal(init.code, 2);
  t.match(init.stderr, /already exists: refusing to overwrite it/);
});
