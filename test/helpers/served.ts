// A served cluster for tests: a cluster file (bank-sim cluster init, with
// certificates) on free loopback ports in a test's own directory, and its
// hosts as real `bank-sim serve` processes, each killed in the teardown.

import { createServer } from "node:net";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Test } from "tap";
import { initCluster, type InitOptions } from "../../lib/cluster/cluster-init.js";
import { spawnCli, type LiveProcess } from "./run-cli.js";

/** Whether host:port can be listened on now. */
function free(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A base port P such that P+1 .. P+count are free on `host` now. */
export async function freePortRange(host: string, count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let ok = true;
    for (let p = base + 1; p <= base + count && ok; p++) ok = await free(host, p);
    if (ok) return base;
  }
  throw new Error(`no ${count} free consecutive ports on ${host}`);
}

/** Each test's own directory (t.testdir clears it when called again, so it is called once per test). */
const roots = new WeakMap<Test, string>();
let made = 0;

export async function initTestCluster(t: Test, o: Partial<InitOptions> & { branches: number; hosts: number }): Promise<{ dir: string; file: string }> {
  let root = roots.get(t);
  if (root === undefined) roots.set(t, (root = t.testdir({})));
  const dir = join(root, `cluster-${++made}`);
  mkdirSync(dir);
  const file = join(dir, "cluster.json");
  const addresses = o.addresses ?? ["127.0.0.1"];
  const basePort = o.basePort ?? await freePortRange(addresses[0]!, o.hosts + o.branches);
  initCluster({ out: file, addresses, basePort, initialBalanceCents: 10_000, guarantees: ["mw", "ryw"], insecure: false, ...o });
  return { dir, file };
}

/** Starts `bank-sim serve` for host `id` and waits until it is ready. */
export async function serveHost(t: Test, file: string, id: number, extra: string[] = [], prefix?: string[]): Promise<LiveProcess> {
  const p = spawnCli(t, ["serve", "--cluster", file, "--host-id", String(id), ...extra], prefix ? { prefix } : {});
  await p.waitFor(new RegExp(`host ${id} ready`));
  return p;
}
