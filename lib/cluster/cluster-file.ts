// The cluster file of a served cluster (schemas/cluster.schema.json): which
// hosts there are and where they listen, which branches run on which host at
// which port, the starting balance, the default guarantees, the TLS material
// and the shared secret. `loadClusterFile` reads it, checks it against the
// schema (ajv) and then what a schema cannot say (ids unique, every branch on
// a known host, no two servers on one address and port, TLS material for
// every host), and resolves its paths against the file's directory. Every
// problem names the file and the place: `c.json: /branches/2/host: ...`.

import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createRequire } from "node:module";
import type { Ajv } from "ajv";
import type { GuaranteeName } from "../core/gate.js";
import type { TlsMaterial } from "../wire/tls.js";

export const CLUSTER_SCHEMA = new URL("../../../schemas/cluster.schema.json", import.meta.url);

/** The file as written (paths relative to its directory). */
export interface ClusterFileJson {
  $schema?: string;
  version: 1;
  secret: string;
  initialBalanceCents: number;
  guarantees: GuaranteeName[];
  gateTimeoutMs?: number;
  tls?: { ca: string; clientCert: string; clientKey: string };
  hosts: Array<{ id: number; address: string; listen?: string; replicationPort: number; cert?: string; key?: string; store?: string }>;
  branches: Array<{ id: number; host: number; port: number }>;
}

export interface ServedHost {
  id: number;
  address: string;
  listen: string;
  replicationPort: number;
  /** Absolute paths (with tls). */
  cert?: string;
  key?: string;
  /** Absolute path of its store. */
  store: string;
  branchIds: number[];
}

/** A loaded, checked cluster file, paths absolute. */
export interface ClusterSpec {
  path: string;
  secret: string;
  initialBalanceCents: number;
  guarantees: GuaranteeName[];
  gateTimeoutMs: number;
  tls?: { ca: string; clientCert: string; clientKey: string };
  hosts: ServedHost[];
  /** Branch id → its host id and port. */
  branches: Map<number, { host: number; port: number }>;
}

export class ClusterFileError extends Error {
  override name = "ClusterFileError";
}

let validator: ReturnType<Ajv["compile"]> | undefined;

function validate(value: unknown): string | undefined {
  if (validator === undefined) {
    // Loaded on first use: a run without a cluster file never pays for ajv.
    const { Ajv: AjvClass } = createRequire(import.meta.url)("ajv") as typeof import("ajv");
    validator = new AjvClass({ allErrors: false, strict: true }).compile(JSON.parse(readFileSync(CLUSTER_SCHEMA, "utf8")) as object);
  }
  if (validator(value)) return undefined;
  const e = validator.errors?.[0];
  if (!e) return "not a valid cluster file";
  const where = e.instancePath || "(top level)";
  const extra = e.keyword === "additionalProperties" ? ` (${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)})`
    : e.keyword === "enum" ? ` (${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)})` : "";
  return `${where}: ${e.message ?? "invalid"}${extra}`;
}

export function loadClusterFile(path: string): ClusterSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ClusterFileError(`${path}: cannot read the cluster file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ClusterFileError(`${path}: invalid JSON: ${(err as Error).message}`);
  }
  const problem = validate(json);
  if (problem) throw new ClusterFileError(`${path}: ${problem}`);
  return resolveSpec(path, json as ClusterFileJson);
}

function resolveSpec(path: string, f: ClusterFileJson): ClusterSpec {
  const base = dirname(resolve(path));
  const at = (p: string) => resolve(base, p);
  const bad = (where: string, what: string) => new ClusterFileError(`${path}: ${where}: ${what}`);
  const hosts = new Map<number, ServedHost>();
  const endpoints = new Map<string, string>();
  const claim = (listen: string, port: number, where: string) => {
    const key = `${listen}:${port}`;
    const first = endpoints.get(key);
    if (first) throw bad(where, `${key} is already taken by ${first}`);
    endpoints.set(key, where);
  };
  f.hosts.forEach((h, i) => {
    if (hosts.has(h.id)) throw bad(`/hosts/${i}/id`, `host ${h.id} appears twice`);
    if (f.tls && (!h.cert || !h.key)) throw bad(`/hosts/${i}`, `with "tls", every host needs "cert" and "key"`);
    const listen = h.listen ?? h.address;
    claim(listen, h.replicationPort, `/hosts/${i}/replicationPort`);
    hosts.set(h.id, {
      id: h.id, address: h.address, listen, replicationPort: h.replicationPort,
      ...(h.cert ? { cert: at(h.cert) } : {}), ...(h.key ? { key: at(h.key) } : {}),
      store: at(h.store ?? `store/host-${h.id}`), branchIds: [],
    });
  });
  const branches = new Map<number, { host: number; port: number }>();
  f.branches.forEach((b, i) => {
    if (branches.has(b.id)) throw bad(`/branches/${i}/id`, `branch ${b.id} appears twice`);
    const host = hosts.get(b.host);
    if (!host) throw bad(`/branches/${i}/host`, `expected one of the hosts' ids (${[...hosts.keys()].join(", ")}), found ${b.host}`);
    claim(host.listen, b.port, `/branches/${i}/port`);
    host.branchIds.push(b.id);
    branches.set(b.id, { host: b.host, port: b.port });
  });
  for (const [i, h] of [...hosts.values()].entries()) if (h.branchIds.length === 0) throw bad(`/hosts/${i}`, `host ${h.id} runs no branch`);
  return {
    path, secret: f.secret, initialBalanceCents: f.initialBalanceCents, guarantees: f.guarantees, gateTimeoutMs: f.gateTimeoutMs ?? 5_000,
    ...(f.tls ? { tls: { ca: at(f.tls.ca), clientCert: at(f.tls.clientCert), clientKey: at(f.tls.clientKey) } } : {}),
    hosts: [...hosts.values()], branches,
  };
}

/** "host:port" a customer dials for `branch`. */
export function branchAddress(spec: ClusterSpec, branch: number): string {
  const b = spec.branches.get(branch)!;
  const h = spec.hosts.find((x) => x.id === b.host)!;
  return `${dialHost(h.address)}:${b.port}`;
}

/** Every branch's dial address. */
export function branchAddresses(spec: ClusterSpec): Map<number, string> {
  return new Map([...spec.branches.keys()].map((b) => [b, branchAddress(spec, b)]));
}

/** An IPv6 literal goes in brackets in "host:port". */
export function dialHost(address: string): string {
  return address.includes(":") && !address.startsWith("[") ? `[${address}]` : address;
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new ClusterFileError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The TLS material a host serves and dials with, or undefined for a plaintext cluster. */
export function hostTls(spec: ClusterSpec, host: ServedHost): TlsMaterial | undefined {
  if (!spec.tls || !host.cert || !host.key) return undefined;
  return { ca: readPem(spec.tls.ca, "the CA certificate"), cert: readPem(host.cert, `host ${host.id}'s certificate`), key: readPem(host.key, `host ${host.id}'s key`) };
}

/** The TLS material customers dial with, or undefined for a plaintext cluster. */
export function clientTls(spec: ClusterSpec): TlsMaterial | undefined {
  if (!spec.tls) return undefined;
  return { ca: readPem(spec.tls.ca, "the CA certificate"), cert: readPem(spec.tls.clientCert, "the client certificate"), key: readPem(spec.tls.clientKey, "the client key") };
}

/** Loopback addresses only: where --insecure is allowed. */
export function isLoopback(address: string): boolean {
  return address === "localhost" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === "::1" || address === "[::1]";
}
