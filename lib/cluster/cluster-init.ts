// `bank-sim cluster init`: writes a cluster file and its certificates. Hosts
// get the addresses asked for (all 127.0.0.1 by default, one port range per
// cluster); branch b runs on host ((b−1) mod H)+1. Host h's replication
// server listens on basePort+h, branch b's Bank service on basePort+H+b, so
// hosts that share an address never share a port. Nothing is overwritten: an
// existing cluster file or TLS directory is refused.

import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import type { GuaranteeName } from "../core/gate.js";
import { newSecret } from "../wire/auth.js";
import { makeCertificates } from "./certificates.js";
import { ClusterFileError, loadClusterFile, type ClusterFileJson } from "./cluster-file.js";

export interface InitOptions {
  out: string;
  branches: number;
  hosts: number;
  /** One per host, or one for all. */
  addresses: string[];
  basePort: number;
  initialBalanceCents: number;
  guarantees: GuaranteeName[];
  /** No certificates (a loopback cluster served with --insecure). */
  insecure: boolean;
}

export function initCluster(o: InitOptions): { file: string; tlsDir?: string } {
  if (o.addresses.length !== 1 && o.addresses.length !== o.hosts) {
    throw new ClusterFileError(`--addresses: expected one address, or one per host (${o.hosts}), found ${o.addresses.length}`);
  }
  if (o.basePort + o.hosts + o.branches > 65535) throw new ClusterFileError(`--base-port: ${o.basePort} + ${o.hosts} hosts + ${o.branches} branches runs past port 65535`);
  if (o.branches < o.hosts) throw new ClusterFileError(`--hosts: ${o.hosts} hosts need at least as many branches, found --branches ${o.branches}`);
  if (existsSync(o.out)) throw new ClusterFileError(`${o.out} already exists: refusing to overwrite it`);
  const base = dirname(resolve(o.out));
  const tlsDir = join(base, `${basename(o.out).replace(/\.json$/, "")}-tls`);
  if (!o.insecure && existsSync(tlsDir) && readdirSync(tlsDir).length > 0) throw new ClusterFileError(`${tlsDir} is not empty: refusing to overwrite it`);
  const addressOf = (h: number) => o.addresses[o.addresses.length === 1 ? 0 : h - 1]!;
  const hostIds = Array.from({ length: o.hosts }, (_, i) => i + 1);
  mkdirSync(base, { recursive: true });
  let certs: ReturnType<typeof makeCertificates> | undefined;
  if (!o.insecure) {
    mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
    certs = makeCertificates(tlsDir, hostIds.map((id) => ({ id, addresses: [addressOf(id)] })));
  }
  const rel = (p: string) => relative(base, p);
  const file: ClusterFileJson = {
    $schema: "https://bank-sim.local/schemas/cluster.schema.json",
    version: 1,
    secret: newSecret(),
    initialBalanceCents: o.initialBalanceCents,
    guarantees: o.guarantees,
    ...(certs ? { tls: { ca: rel(certs.ca), clientCert: rel(certs.clientCert), clientKey: rel(certs.clientKey) } } : {}),
    hosts: hostIds.map((id) => ({
      id, address: addressOf(id), replicationPort: o.basePort + id,
      ...(certs ? { cert: rel(certs.hosts.get(id)!.cert), key: rel(certs.hosts.get(id)!.key) } : {}),
      store: `store/host-${id}`,
    })),
    branches: Array.from({ length: o.branches }, (_, i) => ({ id: i + 1, host: (i % o.hosts) + 1, port: o.basePort + o.hosts + i + 1 })),
  };
  // It holds the secret: readable by its owner only.
  writeFileSync(o.out, JSON.stringify(file, null, 2) + "\n", { mode: 0o600, flag: "wx" });
  loadClusterFile(o.out); // what init writes, serve must read
  return certs ? { file: o.out, tlsDir } : { file: o.out };
}
