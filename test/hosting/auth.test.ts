// Only a run's own customers and hosts may call its branches: every service
// (Bank and Replication) refuses a call without the cluster's secret, or with
// a wrong one, with UNAUTHENTICATED, before anything else, and it changes
// nothing. On a real cluster of three hosts.

import * as grpc from "@grpc/grpc-js";
import t, { type Test } from "tap";
import { Cluster } from "../../lib/cluster/cluster.js";
import { BranchClients } from "../../lib/driver/branch-clients.js";
import { newSecret, sendSecret } from "../../lib/wire/auth.js";
import { toWire } from "../../lib/wire/vector-codec.js";
import { banksim } from "../../generated/bank.js";
import { branchState } from "../helpers/admin-rpc.js";

const pb = banksim.v1;
const BRANCHES = [1, 2, 3];

async function startCluster(t: Test): Promise<{ cluster: Cluster; insider: BranchClients }> {
  const cluster = await Cluster.start({
    branchIds: BRANCHES, initialBalanceCents: 10_000, workers: BRANCHES.length, bindHost: "127.0.0.1", basePort: 0,
    gateTimeoutMs: 1_000, batchMax: 64, inFlightMax: 4, delaySpec: "", delaySeed: 1, startTimeoutMs: 30_000,
    secret: newSecret(), onMessage: () => undefined,
  });
  t.teardown(() => cluster.stop());
  const insider = new BranchClients(cluster.addresses, cluster.secret);
  t.teardown(() => insider.close());
  return { cluster, insider };
}

/** A client of branch 1 that sends `secret` (or nothing). */
function stranger(t: Test, address: string, secret?: string): banksim.v1.BankClient {
  const c = new pb.BankClient(address, grpc.credentials.createInsecure(), secret === undefined ? {} : sendSecret(secret));
  t.teardown(() => c.close());
  return c;
}

const deposit = () => new pb.CustomerRequest({ requestId: "mallory#1", session: "mallory", interface: pb.Interface.DEPOSIT, amountCents: 1_000_000, guarantees: 0 });

function call<T>(fn: (cb: (err: grpc.ServiceError | null, v?: T) => void) => void): Promise<{ code: grpc.status; details: string }> {
  return new Promise((resolve) => fn((err) => resolve({ code: err?.code ?? grpc.status.OK, details: err?.details ?? "" })));
}

t.test("a stranger's deposit, query or admin call is refused as UNAUTHENTICATED and changes nothing", async (t) => {
  const { cluster, insider } = await startCluster(t);
  const address = cluster.addresses.get(1)!;
  const deadline = () => ({ deadline: Date.now() + 10_000 });
  for (const [who, client] of [["no secret", stranger(t, address)], ["a wrong secret", stranger(t, address, newSecret())]] as const) {
    const refused = [
      await call((cb) => client.MsgDelivery(deposit(), deadline(), cb)),
      await call((cb) => client.State(new pb.StateRequest(), deadline(), cb)),
      await call((cb) => client.AwaitApplied(new pb.AwaitRequest({ applied: toWire(new Map()), timeoutMs: 10 }), deadline(), cb)),
    ];
    for (const r of refused) {
      t.equal(grpc.status[r.code], "UNAUTHENTICATED", `${who}: refused`);
      t.match(r.details, /send its secret as the metadata 'authorization: Bearer <secret>'/);
    }
    const own = await new Promise<string>((resolve) => {
      const s = client.OwnWrites(new pb.OwnWritesRequest({ afterSeq: 0 }), deadline());
      s.on("data", () => undefined);
      s.on("error", (e: grpc.ServiceError) => resolve(grpc.status[e.code] ?? String(e.code)));
      s.on("end", () => resolve("OK"));
    });
    t.equal(own, "UNAUTHENTICATED", `${who}: OwnWrites refused`);
  }
  for (const b of BRANCHES) {
    const s = await branchState(insider, b, 10_000);
    t.same([s.balanceCents, s.issued], [10_000, 0], `branch ${b} unchanged`);
  }
  // The run's own customers are served.
  const ok = await call((cb) => insider.get(1).MsgDelivery(deposit(), deadline(), cb));
  t.equal(grpc.status[ok.code], "OK");
});

t.test("a stranger's replication stream is refused, so a forged write never reaches a replica", async (t) => {
  const { cluster, insider } = await startCluster(t);
  const host = cluster.hosts[0]!;
  const client = new pb.ReplicationClient(host.address, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const stream = client.Replicate();
  const ended = new Promise<string>((resolve) => {
    stream.on("data", () => resolve("acknowledged"));
    stream.on("error", (e: grpc.ServiceError) => resolve(grpc.status[e.code] ?? String(e.code)));
  });
  const forged = new pb.Write({ id: new pb.WriteId({ branch: 2, seq: 1 }), interface: pb.Interface.DEPOSIT, amountCents: 5_000_000 });
  stream.write(new pb.WriteBatch({ fromHost: 99, batchSeq: 1, writes: [forged] }));
  t.equal(await ended, "UNAUTHENTICATED");
  for (const b of BRANCHES) t.equal((await branchState(insider, b, 10_000)).balanceCents, 10_000, `branch ${b} unchanged`);
});
