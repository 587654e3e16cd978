// A small network of Linux network namespaces, for the tests and the netns
// benchmark: one "hub" namespace holding a bridge, and one namespace per node
// joined to it by a veth pair (eth0 in the node, vb<i> on the hub's bridge),
// node i at 10.77.0.<i>/24. Names carry the creating process's pid, so runs
// never collide; every namespace is deleted in the teardown and on exit, and
// namespaces left by a process that is gone (kill -9) are deleted by the
// next run. Links are cut with `ip link set down`, slowed with
// `tc qdisc ... netem` where the kernel has netem, and made to lose packets
// with nftables (`nft`, a counted drop rule on a node's input hook: the
// kernel silently discards what arrives, as a lossy wire does; dropping on
// the output hook would hand the sender EPERM instead).

import { execFileSync, spawnSync } from "node:child_process";

/** What Network needs of a test (or of a bench run): somewhere to register its removal. */
export interface Teardowns {
  teardown(fn: () => unknown): void;
}

const PREFIX = "bsim-";
const live = new Set<string>();

function ip(args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function deleteAll(): void {
  for (const ns of live) spawnSync("ip", ["netns", "del", ns]);
  live.clear();
}
process.on("exit", deleteAll);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Namespaces a dead test process left behind. */
function sweepOrphans(): void {
  const list = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  for (const line of list.split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (m && !alive(Number(m[1]))) spawnSync("ip", ["netns", "del", name]);
  }
}

/** Why namespace tests cannot run here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root (ip netns add)";
  const probe = `${PREFIX}${process.pid}-probe`;
  const made = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
  if (made.error || made.status !== 0) return `ip netns is not available: ${made.error?.message ?? made.stderr.trim()} (apt-get install iproute2)`;
  const bridge = spawnSync("ip", ["-n", probe, "link", "add", "br0", "type", "bridge"], { encoding: "utf8" });
  spawnSync("ip", ["netns", "del", probe]);
  if (bridge.status !== 0) return `no bridge devices in this kernel: ${bridge.stderr.trim()}`;
  return undefined;
}

/** Why netem cannot run here, or undefined when it can. */
export function netemUnavailable(): string | undefined {
  const probe = `${PREFIX}${process.pid}-netem`;
  if (spawnSync("ip", ["netns", "add", probe]).status !== 0) return "ip netns is not available";
  const q = spawnSync("tc", ["-n", probe, "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"], { encoding: "utf8" });
  spawnSync("ip", ["netns", "del", probe]);
  if (q.error) return `tc is not installed: ${q.error.message}`;
  return q.status === 0 ? undefined : `this kernel has no netem qdisc (tc: ${q.stderr.trim()})`;
}

const NFT_TABLE = "bsim";
const NFT_CHAIN = `add table inet ${NFT_TABLE}\nadd chain inet ${NFT_TABLE} in { type filter hook input priority 0; policy accept; }`;

/** Why nft drop rules cannot run here, or undefined when they can. */
export function nftUnavailable(): string | undefined {
  const probe = `${PREFIX}${process.pid}-nft`;
  if (spawnSync("ip", ["netns", "add", probe]).status !== 0) return "ip netns is not available";
  const r = spawnSync("ip", ["netns", "exec", probe, "nft", "-f", "-"], { encoding: "utf8", input: `${NFT_CHAIN}\nadd rule inet ${NFT_TABLE} in iifname "eth0" meta l4proto tcp numgen random mod 100 < 10 counter drop\n` });
  spawnSync("ip", ["netns", "del", probe]);
  if (r.error) return `cannot run nft: ${r.error.message}`;
  if (r.status !== 0) return /No such file|not found/.test(r.stderr) ? "nft is not installed (apt-get install nftables)" : `nft drop rules fail here: ${r.stderr.trim()}`;
  return undefined;
}

let serial = 0;

export class Network {
  readonly hub: string;
  readonly nodes: string[] = [];

  private constructor(readonly tag: string) {
    this.hub = `${tag}-hub`;
  }

  /** `count` nodes, 10.77.0.1 .. 10.77.0.<count>, all on one bridge. */
  static create(t: Teardowns, count: number): Network {
    sweepOrphans();
    const net = new Network(`${PREFIX}${process.pid}-${++serial}`);
    t.teardown(() => net.destroy());
    net.add(net.hub);
    ip(["-n", net.hub, "link", "add", "br0", "type", "bridge"]);
    ip(["-n", net.hub, "link", "set", "br0", "up"]);
    for (let i = 1; i <= count; i++) {
      const ns = `${net.tag}-n${i}`;
      net.add(ns);
      net.nodes.push(ns);
      ip(["-n", net.hub, "link", "add", `vb${i}`, "type", "veth", "peer", "name", "eth0", "netns", ns]);
      ip(["-n", net.hub, "link", "set", `vb${i}`, "master", "br0", "up"]);
      ip(["-n", ns, "addr", "add", `${Network.address(i)}/24`, "dev", "eth0"]);
      ip(["-n", ns, "link", "set", "eth0", "up"]);
      ip(["-n", ns, "link", "set", "lo", "up"]);
    }
    return net;
  }

  static address(i: number): string {
    return `10.77.0.${i}`;
  }

  private add(ns: string): void {
    ip(["netns", "add", ns]);
    live.add(ns);
  }

  /** The prefix that runs a command in node i's namespace. */
  exec(i: number): string[] {
    return ["ip", "netns", "exec", this.nodes[i - 1]!];
  }

  /** Cuts node i off (its hub-side link down), or heals it. */
  setLink(i: number, up: boolean): void {
    ip(["-n", this.hub, "link", "set", `vb${i}`, up ? "up" : "down"]);
  }

  /** netem on node i's eth0 (its outgoing traffic), e.g. ["delay", "400ms"]; [] removes it. */
  netem(i: number, spec: string[]): void {
    const ns = this.nodes[i - 1]!;
    if (spec.length === 0) spawnSync("tc", ["-n", ns, "qdisc", "del", "dev", "eth0", "root"]);
    else execFileSync("tc", ["-n", ns, "qdisc", "replace", "dev", "eth0", "root", "netem", ...spec], { stdio: ["ignore", "ignore", "pipe"] });
  }

  /**
   * Drops, in node i's kernel, the packets arriving on its eth0 that `match`
   * selects (nft rule syntax), counting them: e.g. random 10% of TCP,
   * `meta l4proto tcp numgen random mod 100 < 10`, or everything from node 2,
   * `ip saddr 10.77.0.2`.
   */
  drop(i: number, match: string): void {
    this.nft(i, `${NFT_CHAIN}\nadd rule inet ${NFT_TABLE} in iifname "eth0" ${match} counter drop\n`);
  }

  /** How many packets node i's drop rules have discarded so far. */
  dropped(i: number): number {
    const listed = spawnSync("ip", ["netns", "exec", this.nodes[i - 1]!, "nft", "list", "chain", "inet", NFT_TABLE, "in"], { encoding: "utf8" });
    if (listed.status !== 0) return 0;
    return [...listed.stdout.matchAll(/counter packets (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  }

  /** Removes node i's drop rules (its network is whole again). */
  undrop(i: number): void {
    spawnSync("ip", ["netns", "exec", this.nodes[i - 1]!, "nft", "delete", "table", "inet", NFT_TABLE]);
  }

  /** TCP segments node i's kernel has retransmitted (its namespace's /proc/net/snmp). */
  tcpRetransmits(i: number): number {
    const snmp = execFileSync("ip", ["netns", "exec", this.nodes[i - 1]!, "cat", "/proc/net/snmp"], { encoding: "utf8" });
    const [names, values] = snmp.split("\n").filter((l) => l.startsWith("Tcp:"));
    const at = names?.split(/\s+/).indexOf("RetransSegs") ?? -1;
    return at < 0 ? 0 : Number(values?.split(/\s+/)[at] ?? 0);
  }

  private nft(i: number, script: string): void {
    execFileSync("ip", ["netns", "exec", this.nodes[i - 1]!, "nft", "-f", "-"], { input: script, stdio: ["pipe", "ignore", "pipe"] });
  }

  destroy(): void {
    for (const ns of [...this.nodes, this.hub]) {
      spawnSync("ip", ["netns", "del", ns]);
      live.delete(ns);
    }
  }
}

/** Namespaces of this process that still exist (for the test that teardown removed them). */
export function namespacesOf(tag: string): string[] {
  const list = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  return list.split("\n").map((l) => l.split(" ")[0] ?? "").filter((n) => n.startsWith(tag));
}
