// A host on its own, in this thread: two hosts with real branches and real
// replication servers on localhost, linked by setTopology. A write one host's
// branch accepts reaches the other host's replicas and its own co-hosted
// ones; a write naming a branch outside the cluster is dropped; a stopped
// host leaves no server listening; a dependency the host checks once for its
// replicas is dropped only when every one of them has it.

import t, { type Test } from "tap";
import { Branch } from "../../lib/core/branch.js";
import { NO_FAULTS } from "../../lib/core/fault-plan.js";
import type { Write } from "../../lib/core/ledger.js";
import { Host } from "../../lib/hosting/host.js";
import { refuses } from "../helpers/ports.js";

const SECRET = "host-test-secret";
const LINK = { batchMax: 8, inFlightMax: 2, ackTimeoutMs: 1_000 };

function branch(id: number, branchIds: number[], logs: string[]): Branch {
  return new Branch({ id, branchIds, initialBalanceCents: 0, gateTimeoutMs: 1_000 }, { propagate: () => undefined, applied: () => undefined, log: (l) => logs.push(l) });
}

async function twoHosts(t: Test) {
  const logs: string[] = [];
  const a = new Host(1, (l) => logs.push(l), { delaySpec: "", delaySeed: 1, faults: NO_FAULTS, secret: SECRET });
  const b = new Host(2, (l) => logs.push(l), { delaySpec: "", delaySeed: 1, faults: NO_FAULTS, secret: SECRET });
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  const ids = [1, 2, 3];
  const branches = new Map(ids.map((id) => [id, branch(id, ids, logs)]));
  a.addBranch(branches.get(1)!);
  b.addBranch(branches.get(2)!);
  b.addBranch(branches.get(3)!);
  const [addrA, addrB] = await Promise.all([a.start("127.0.0.1"), b.start("127.0.0.1")]);
  const hosts = [{ hostId: 1, address: addrA, branchIds: [1] }, { hostId: 2, address: addrB, branchIds: [2, 3] }];
  a.setTopology(hosts, LINK);
  b.setTopology(hosts, LINK);
  return { a, b, branches, logs, addrA };
}

/** Polls (bounded) until `done`, saying what it waited for. */
async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (done()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`still waiting for ${what} after 15 s`);
}

t.test("a write broadcast by one host reaches every replica on the other host, once, and its link is acknowledged", async (t) => {
  const { a, branches } = await twoHosts(t);
  const r = await branches.get(1)!.serve({ requestId: "c1#1", session: "c1", kind: "deposit", amountCents: 500, writeSet: new Map(), readSet: new Map(), guarantees: 0 });
  const w: Write = { id: r.writeId!, kind: "deposit", amountCents: 500, deps: new Map(), acceptedAtMs: 0 };
  a.broadcast(w);
  a.broadcast(w); // a resend changes nothing
  await until("branches 2 and 3 to apply 1.1", () => [2, 3].every((b) => branches.get(b)!.state().balanceCents === 500));
  await until("the link to drain", () => a.linkStats().backlog === 0);
  const stats = a.linkStats();
  t.equal(stats.links, 1, "one link: to the other host, not one per branch");
  t.ok(stats.messages >= 1 && stats.writes >= 2);
  for (const b of [2, 3]) t.equal(branches.get(b)!.state().applied.get(1), 1, `branch ${b} applied 1.1 once`);
});

t.test("a write from a branch outside the cluster is dropped with one log line, and changes nothing", async (t) => {
  const { a, branches, logs } = await twoHosts(t);
  a.broadcast({ id: { branch: 9, seq: 1 }, kind: "deposit", amountCents: 1_000_000, deps: new Map(), acceptedAtMs: 0 });
  await until("the foreign write to be refused", () => logs.some((l) => /write 9\.1: origin 9 is not a branch of this cluster|dropped write 9\.1 from unknown branch 9/.test(l)));
  for (const b of [1, 2, 3]) t.equal(branches.get(b)!.state().balanceCents, 0, `branch ${b} unchanged`);
});

t.test("a stopped host leaves its replication port closed", async (t) => {
  const { a, addrA } = await twoHosts(t);
  await a.stop();
  t.ok(await refuses(addrA), `${addrA} refuses connections`);
});

t.test("deliveries hold no memory once done: after 200 writes no replica keeps a waiting delivery, and a removed branch keeps nothing", async (t) => {
  const { a, b, branches } = await twoHosts(t);
  for (let i = 1; i <= 200; i++) {
    const r = await branches.get(1)!.serve({ requestId: `c1#${i}`, session: "c1", kind: "deposit", amountCents: 1, writeSet: new Map(), readSet: new Map(), guarantees: 0 });
    a.broadcast({ id: r.writeId!, kind: "deposit", amountCents: 1, deps: new Map(), acceptedAtMs: 0 });
  }
  await until("branches 2 and 3 to apply 200 writes", () => [2, 3].every((id) => branches.get(id)!.state().balanceCents === 200));
  await until("the deliveries to end", () => b.deliveriesAt(2) + b.deliveriesAt(3) === 0);
  t.equal(b.deliveriesAt(2) + b.deliveriesAt(3), 0, "no delivery is still recorded as waiting (O(in flight), not O(writes))");
  t.equal(b.removeBranch(2), 1, "branch 3 is left");
  t.equal(b.deliveriesAt(2), 0, "a removed branch keeps nothing");
});

// The host checks a write's dependencies once for all its replicas, dropping
// those every replica here has applied. A replica that lacks one must still
// hold the write, and one that joins later (a restart) must not be trusted
// with what the others had.
t.test("a dependency is dropped for the host only when every replica here has it: a lagging replica holds the write, and one that joins later is not trusted", async (t) => {
  const logs: string[] = [];
  const host = new Host(1, (l) => logs.push(l), { delaySpec: "", delaySeed: 1, faults: NO_FAULTS, secret: SECRET });
  t.teardown(() => host.stop());
  const ids = [1, 2, 3, 4, 5, 6, 7];
  const at = new Map(ids.map((id) => [id, branch(id, ids, logs)]));
  host.addBranch(at.get(2)!);
  host.addBranch(at.get(3)!);
  const write = (branchId: number, seq: number, deps: Array<[number, number]>, amountCents: number): Write =>
    ({ id: { branch: branchId, seq }, kind: "deposit", amountCents, deps: new Map(deps), acceptedAtMs: 0 });
  const balance = (id: number) => at.get(id)!.state().balanceCents;
  const w11 = write(1, 1, [], 100);
  await at.get(2)!.receive([w11]); // branch 2 has 1.1; branch 3 does not
  host.broadcast(write(4, 1, [[1, 1]], 10));
  await until("branch 2 to apply 4.1", () => balance(2) === 110);
  t.equal(balance(3), 0, "branch 3 lacks 1.1, so it holds 4.1");
  t.ok(logs.some((l) => l === "replica 3 holds 4.1 until 1.1 arrives"), "and says what it waits for");
  host.broadcast(w11);
  await until("branch 3 to apply 1.1, then 4.1", () => balance(3) === 110);
  t.equal(balance(2), 110, "branch 2 took 1.1 once");
  // 1.1 is now everywhere here; a replica that joins without it must still wait for it.
  host.broadcast(write(6, 1, [[1, 1]], 1));
  await until("branches 2 and 3 to apply 6.1", () => balance(2) === 111 && balance(3) === 111);
  host.addBranch(at.get(5)!);
  host.broadcast(write(7, 1, [[1, 1]], 1000));
  await until("branches 2 and 3 to apply 7.1", () => balance(2) === 1111 && balance(3) === 1111);
  // The host hands a write to all its replicas in one pass: branch 5 has had it too.
  t.equal(balance(5), 0, "branch 5, which joined without 1.1, holds 7.1");
  t.ok(logs.includes("replica 5 holds 7.1 until 1.1 arrives"), "and says what it waits for");
  host.broadcast(w11);
  await until("branch 5 to apply 1.1, then 7.1", () => balance(5) === 1100);
  t.same(at.get(5)!.state().applied, new Map([[1, 1], [7, 1]]), "branch 5 applied 1.1 and 7.1, in that order");
});
