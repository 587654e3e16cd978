// `bank-sim serve`: one long-running host of a served cluster. It runs the
// branches its cluster file places on this host in one piscina worker thread,
// with exactly the code of the in-process cluster (branch-worker.js: the
// same WorkerHost, HostedBranch, Bank and Replication servers, links and
// catch-up), its ports and host id taken from the file, mutual TLS on every
// port and link, and links to every other host. The main thread only starts
// it, prints its log lines (-v) and waits for SIGTERM/SIGINT, then stops it
// (servers closed, links closed, logs synced, lock removed). On every start
// each branch recovers from its log in the store and catches up from its peers.

import { mkdirSync } from "node:fs";
import { Cluster } from "../cluster/cluster.js";
import { branchAddresses, ClusterFileError, dialHost, hostTls, isLoopback, type ClusterSpec } from "../cluster/cluster-file.js";
import type { ToMain } from "../hosting/worker-protocol.js";
import { logEntries } from "../hosting/applied-groups.js";
import { lockStore } from "./serve-lock.js";

export interface ServeOptions {
  spec: ClusterSpec;
  hostId: number;
  /** Overrides the file's store directory. */
  store?: string;
  insecure: boolean;
  verbose: boolean;
  /** The in-process fault shim's delay rules (run --delay's syntax) on writes arriving at this host; "" for none. */
  delaySpec?: string;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Aborted on SIGTERM/SIGINT: the host stops. */
  signal: AbortSignal;
}

export class ServeUsageError extends Error {
  override name = "ServeUsageError";
}

export async function serveHost(o: ServeOptions): Promise<number> {
  const { spec } = o;
  const host = spec.hosts.find((h) => h.id === o.hostId);
  if (!host) throw new ServeUsageError(`--host-id: expected one of the hosts of ${spec.path} (${spec.hosts.map((h) => h.id).join(", ")}), found ${o.hostId}`);
  if (o.insecure) {
    const far = spec.hosts.flatMap((h) => [h.address, h.listen]).filter((a) => !isLoopback(a));
    if (far.length > 0) throw new ServeUsageError(`--insecure: allowed only when every host is on loopback; ${spec.path} has ${far[0]}`);
    o.err("bank-sim: warning: --insecure: this host serves plaintext gRPC (no TLS); only the cluster secret guards it. Loopback only; never on a network.\n");
  } else if (!spec.tls) {
    throw new ServeUsageError(`${spec.path} has no "tls": serve it with --insecure (loopback only), or make one with certificates (bank-sim cluster init)`);
  }
  const tls = o.insecure ? undefined : hostTls(spec, host);
  const store = o.store ?? host.store;
  mkdirSync(store, { recursive: true, mode: 0o700 });
  const lock = lockStore(store);
  let cluster: Cluster | undefined;
  // A branch that cannot store its decisions has stopped serving for good: the host stops, exit 1.
  let failed: string | undefined;
  const stopNow = new AbortController();
  o.signal.addEventListener("abort", () => stopNow.abort(), { once: true });
  const onFailed = (reason: string) => {
    failed ??= reason;
    stopNow.abort();
  };
  try {
    const peers = new Map([...branchAddresses(spec)].filter(([b]) => !host.branchIds.includes(b)));
    cluster = await Cluster.start({
      branchIds: [...spec.branches.keys()], initialBalanceCents: spec.initialBalanceCents, workers: 1, bindHost: host.listen, basePort: 0,
      gateTimeoutMs: spec.gateTimeoutMs, batchMax: 256, inFlightMax: 8, delaySpec: o.delaySpec ?? "", delaySeed: 1, startTimeoutMs: 30_000,
      ackTimeoutMs: 1_000, storeDir: store, secret: spec.secret, onMessage: (m) => onMessage(m, o, onFailed),
      served: {
        hostId: host.id, branchIds: host.branchIds, hostPort: host.replicationPort,
        branchPorts: new Map(host.branchIds.map((b) => [b, spec.branches.get(b)!.port])),
        topology: spec.hosts.map((h) => ({ hostId: h.id, address: `${dialHost(h.address)}:${h.replicationPort}`, branchIds: h.branchIds })),
        peers,
        ...(tls ? { tls } : {}),
      },
    }).catch((err: Error) => {
      if (/cannot listen on /.test(err.message)) throw new ServeUsageError(`host ${host.id}: ${err.message}`);
      throw err;
    });
    const addresses = host.branchIds.map((b) => `branch ${b} on ${cluster!.addresses.get(b)}`).join(", ");
    o.out(`bank-sim serve: host ${host.id} ready: ${addresses}; replication on ${host.listen}:${host.replicationPort}; ${tls ? "mutual TLS" : "PLAINTEXT"}; store ${store}\n`);
    await new Promise<void>((resolve) => {
      if (o.signal.aborted || stopNow.signal.aborted) resolve();
      stopNow.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    o.err(`bank-sim serve: host ${host.id}: stopping${failed ? ` because a branch failed: ${failed}` : ""}\n`);
    const links = await cluster.stop();
    o.err(`bank-sim serve: host ${host.id} stopped: ${links.links} links, ${links.messages} replication messages (${links.writes} writes), ` +
      `${links.resent} resent, ${links.reconnects} reconnects\n`);
    return failed ? 1 : 0;
  } finally {
    await cluster?.stop();
    lock.release();
  }
}

function onMessage(msg: ToMain, o: ServeOptions, onFailed: (reason: string) => void): void {
  if (msg.type === "reports" && o.verbose) for (const [branch, , line] of logEntries(msg)) o.err(`[branch ${branch}] ${line}\n`);
  else if (msg.type === "failed") {
    o.err(`bank-sim serve: branch ${msg.branchId} stopped serving: ${msg.reason}\n`);
    onFailed(`branch ${msg.branchId}: ${msg.reason}`);
  }
  else if (msg.type === "recovered" && (msg.applied.length > 0 || msg.cutBytes > 0)) {
    o.err(`bank-sim serve: branch ${msg.branchId} recovered ${msg.applied.length} writes and ${msg.outcomes} outcomes from its log${msg.cutBytes > 0 ? `, cut ${msg.cutBytes} bytes (${msg.cutReason ?? ""})` : ""}\n`);
  }
}

export { ClusterFileError };
