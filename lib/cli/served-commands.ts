// The commands of a served cluster: `cluster init` writes a cluster file and
// its certificates, `cluster collect` completes a history recorded by a
// customer in any language, `serve` runs one host. `run --cluster` (in
// cli.ts) drives a served cluster through `servedCluster` below.

import { Command } from "commander";
import { parseGuarantees } from "../core/gate.js";
import { parseDelaySpec } from "../core/delay.js";
import { clientTls, ClusterFileError, branchAddresses, isLoopback, loadClusterFile, type ClusterSpec } from "../cluster/cluster-file.js";
import { initCluster } from "../cluster/cluster-init.js";
import { ServedCluster } from "../driver/served-cluster.js";
import { collectHistory } from "../run/collect.js";
import { UsageError } from "../run/run-config.js";
import { parseMoney } from "../scenario/amount.js";
import { serveHost } from "../serve/serve.js";
import type { Io } from "./stdio.js";

type SetCode = (code: number) => void;

function intArg(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new UsageError(`${name}: expected a whole number, found ${JSON.stringify(value)}`);
    return n;
  };
}

/** The ServedCluster a customer drives, with the file's client certificate (or plaintext with --insecure, loopback only). */
export function servedCluster(spec: ClusterSpec, insecure: boolean, io: Io): ServedCluster {
  if (insecure) {
    const far = spec.hosts.map((h) => h.address).filter((a) => !isLoopback(a));
    if (far.length > 0) throw new UsageError(`--insecure: allowed only when every host is on loopback; ${spec.path} has ${far[0]}`);
    io.err("bank-sim: warning: --insecure: talking plaintext gRPC to the cluster (loopback only)\n");
  } else if (!spec.tls) {
    throw new UsageError(`${spec.path} has no "tls": drive it with --insecure (loopback only)`);
  }
  const tls = insecure ? undefined : clientTls(spec);
  const hostOf = new Map([...spec.branches].map(([b, p]) => [b, p.host]));
  return new ServedCluster({ addresses: branchAddresses(spec), hostOf, secret: spec.secret, ...(tls ? { tls } : {}) });
}

export function addClusterCommand(program: Command, io: Io, setCode: SetCode): void {
  const cluster = program.command("cluster").description("Make and complete served clusters (bank-sim serve).");
  cluster.command("init")
    .description("Write a cluster file (schemas/cluster.schema.json) and its certificates (made with openssl: a CA, one per host, one for customers) in <name>-tls/ beside it.")
    .requiredOption("--branches <n>", "branches", intArg("--branches"))
    .requiredOption("--hosts <n>", "hosts (bank-sim serve processes); branch b runs on host ((b-1) mod H)+1", intArg("--hosts"))
    .option("-o, --out <file>", "the cluster file to write (never overwritten)", "cluster.json")
    .option("--addresses <list>", "each host's address (IP or name), comma-separated; one address is every host's", "127.0.0.1")
    .option("--base-port <p>", "host h replicates on P+h; branch b listens on P+H+b", intArg("--base-port"), 7400)
    .option("--balance <amount>", "every branch's starting balance", "0")
    .option("-g, --guarantees <list>", "the guarantees run --cluster asks for by default", "mw,ryw")
    .option("--insecure", "no certificates: a loopback cluster served with --insecure")
    .action((o: { branches: number; hosts: number; out: string; addresses: string; basePort: number; balance: string; guarantees: string; insecure?: boolean }) => {
      if (o.hosts < 1 || o.hosts > 64) throw new UsageError(`--hosts: expected 1 to 64, found ${o.hosts}`);
      if (o.branches < 1 || o.branches > 2000) throw new UsageError(`--branches: expected 1 to 2000, found ${o.branches}`);
      let guarantees;
      try {
        guarantees = parseGuarantees(o.guarantees);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const balanceCents = parseMoney(/^\s*[\d.]+\s*$/.test(o.balance) ? Number(o.balance) : o.balance, "--balance");
      const made = initCluster({
        out: o.out, branches: o.branches, hosts: o.hosts, addresses: o.addresses.split(",").map((a) => a.trim()).filter(Boolean),
        basePort: o.basePort, initialBalanceCents: balanceCents, guarantees, insecure: o.insecure ?? false,
      });
      io.out(`bank-sim: wrote ${made.file}${made.tlsDir ? ` and certificates in ${made.tlsDir}` : " (no certificates: serve with --insecure, loopback only)"}\n` +
        `  start each host: bank-sim serve --cluster ${made.file} --host-id <1..${o.hosts}>\n  then: bank-sim run <scenario> --cluster ${made.file}\n`);
    });
  cluster.command("collect")
    .description("Complete a history recorded by your own customer (meta, invoke and complete records): wait until the served cluster has applied every write, then append each branch's apply records and final state; then run bank-sim check on it.")
    .argument("<history>", "the history.jsonl to append to")
    .requiredOption("--cluster <file>", "the cluster file")
    .option("--insecure", "plaintext (loopback only)")
    .option("--timeout <ms>", "how long to wait for the branches to converge", intArg("--timeout"), 60_000)
    .action(async (path: string, o: { cluster: string; insecure?: boolean; timeout: number }) => {
      const served = servedCluster(loadClusterFile(o.cluster), o.insecure ?? false, io);
      try {
        const r = await collectHistory(path, served, o.timeout);
        if (r.error) {
          io.err(`bank-sim: ${r.error}\n`);
          setCode(1);
          return;
        }
        io.out(`bank-sim: appended ${r.applies} applied writes and ${r.branches} final states to ${path}\n`);
      } finally {
        served.close();
      }
    });
}

export function addServeCommand(program: Command, io: Io, setCode: SetCode): void {
  program.command("serve")
    .description("Run one host of a served cluster: the branches its cluster file places on it, as gRPC servers with mutual TLS, linked to every other host, until SIGTERM or SIGINT.")
    .requiredOption("--cluster <file>", "the cluster file (bank-sim cluster init)")
    .requiredOption("--host-id <id>", "which host of the file this process is", intArg("--host-id"))
    .option("--store <dir>", "where its branches keep their logs (default: the file's, or store/host-<id> beside it)")
    .option("--insecure", "plaintext gRPC, allowed only when every host is on loopback (prints a warning)")
    .option("-v, --verbose", "print every branch's log lines on stderr")
    .option("--delay <spec>", "hold writes arriving at this host's replicas, as run --delay does (150ms, 20..200ms, 1-2:400ms): to show anomalies where the kernel has no netem")
    .action(async (o: { cluster: string; hostId: number; store?: string; insecure?: boolean; verbose?: boolean; delay?: string }) => {
      const spec = loadClusterFile(o.cluster);
      if (o.delay !== undefined) {
        try {
          parseDelaySpec(o.delay, [...spec.branches.keys()]);
        } catch (err) {
          throw new UsageError(`--delay: ${(err as Error).message}`);
        }
      }
      const abort = new AbortController();
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        if (++signals > 1) {
          io.err(`bank-sim serve: ${sig} again: exiting now\n`);
          process.exit(130);
        }
        abort.abort();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        setCode(await serveHost({
          spec, hostId: o.hostId, ...(o.store ? { store: o.store } : {}), insecure: o.insecure ?? false, verbose: o.verbose ?? false, delaySpec: o.delay ?? "",
          out: io.out, err: io.err, signal: abort.signal,
        }));
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}

export { ClusterFileError };
