// `bank-sim cluster init` writes a cluster file that its schema accepts and
// certificates that openssl itself verifies: a CA, a certificate per host
// naming the host's address, a client certificate; keys and the file (it
// holds the secret) readable by their owner only.

import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { loadClusterFile } from "../../lib/cluster/cluster-file.js";
import { runCli } from "../helpers/run-cli.js";

const openssl = (args: string[]) => execFileSync("openssl", args, { encoding: "utf8" });

t.test("cluster init: a file serve can read, and certificates openssl verifies", async (t) => {
  const dir = t.testdir({});
  const file = join(dir, "c.json");
  const r = await runCli(t, ["cluster", "init", "--branches", "5", "--hosts", "2", "--out", file, "--addresses", "10.1.0.1,host-b.example", "--base-port", "9000", "--balance", "12.50", "-g", "all"]);
  t.equal(r.code, 0, r.stderr);
  const spec = loadClusterFile(file);
  t.equal(spec.initialBalanceCents, 1250);
  t.same(spec.guarantees, ["mw", "ryw", "mr", "wfr"]);
  t.same(spec.hosts.map((h) => [h.id, h.address, h.replicationPort, h.branchIds]), [[1, "10.1.0.1", 9001, [1, 3, 5]], [2, "host-b.example", 9002, [2, 4]]]);
  t.same([...spec.branches].map(([b, p]) => [b, p.port]), [[1, 9003], [2, 9004], [3, 9005], [4, 9006], [5, 9007]]);
  t.match(spec.secret, /^[0-9a-f]{64}$/);
  t.equal(statSync(file).mode & 0o777, 0o600, "the file holds the secret: owner only");
  const tls = spec.tls!;
  const [h1, h2] = spec.hosts;
  t.match(openssl(["verify", "-CAfile", tls.ca, h1!.cert!, h2!.cert!, tls.clientCert]), /OK\n.*OK\n.*OK/s);
  const h1ext = openssl(["x509", "-in", h1!.cert!, "-noout", "-ext", "subjectAltName,extendedKeyUsage"]);
  t.match(h1ext, /IP Address:10\.1\.0\.1/, "host 1's certificate names its address");
  t.match(h1ext, /TLS Web Server Authentication, TLS Web Client Authentication/, "hosts serve and dial");
  t.match(openssl(["x509", "-in", h2!.cert!, "-noout", "-ext", "subjectAltName"]), /DNS:host-b\.example/);
  t.match(openssl(["x509", "-in", tls.clientCert, "-noout", "-ext", "extendedKeyUsage"]), /TLS Web Client Authentication/);
  for (const key of [h1!.key!, h2!.key!, tls.clientKey, join(dir, "c-tls", "ca-key.pem")]) t.equal(statSync(key).mode & 0o777, 0o600, `${key}: owner only`);
  t.notMatch(readFileSync(file, "utf8"), /PRIVATE KEY/, "the file names key files, it does not hold keys");
});

t.test("cluster init refuses what it cannot do", async (t) => {
  const dir = t.testdir({});
  const cases: Array<[string[], RegExp]> = [
    [["--branches", "1", "--hosts", "2"], /2 hosts need at least as many branches/],
    [["--branches", "2", "--hosts", "2", "--addresses", "a,b,c"], /--addresses: expected one address, or one per host \(2\), found 3/],
    [["--branches", "2", "--hosts", "1", "--base-port", "65534"], /runs past port 65535/],
    [["--branches", "2", "--hosts", "1", "-g", "fast"], /guarantee/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(t, ["cluster", "init", "--out", join(dir, "x.json"), ...args]);
    t.equal(r.code, 2, args.join(" "));
    t.match(r.stderr, message);
  }
});
