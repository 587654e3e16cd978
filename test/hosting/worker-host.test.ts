// The per-thread hosting state, in this thread (no pool): branches share one
// host, the last one out stops it, a crashed branch leaves it running, a
// worker crash kills every branch registered, and a worker started without a
// host configuration says so.

import { createServer, type Server } from "node:net";
import { refuses } from "../helpers/ports.js";
import t, { type Test } from "tap";
import { NO_FAULTS } from "../../lib/core/fault-plan.js";
import { hostConfigFrom, WorkerHost } from "../../lib/hosting/worker-host.js";
import type { HostConfig } from "../../lib/hosting/worker-protocol.js";

const CONFIG: HostConfig = {
  branchIds: [1, 2, 3], initialBalanceCents: 0, gateTimeoutMs: 1_000, bindHost: "127.0.0.1",
  batchMax: 64, inFlightMax: 4, delaySpec: "", delaySeed: 1, ackTimeoutMs: 1_000, storeDir: "", faults: NO_FAULTS, secret: "worker-host-test-secret",
};

const quiet = () => undefined;


function workerHost(t: Test, exit: (code: number) => void = () => t.fail("the worker must not exit")): WorkerHost {
  return new WorkerHost(CONFIG, 7, exit);
}

t.test("branches that join one worker share one host, started once on one address", async (t) => {
  const w = workerHost(t);
  const a = await w.join(0, quiet);
  t.teardown(() => a.release(1));
  const b = await w.join(0, quiet);
  t.teardown(() => b.release(2));
  t.equal(b.host, a.host);
  t.equal(b.address, a.address);
  t.match(a.address, /^127\.0\.0\.1:\d+$/);
  t.equal(a.host.hostId, 7);
  t.equal(w.members, 2);
});

t.test("the last branch to leave stops the host, and the next to join starts a new one", async (t) => {
  const w = workerHost(t);
  const a = await w.join(0, quiet);
  const b = await w.join(0, quiet);
  await a.release(1);
  t.notOk(await refuses(a.address), "one branch left: the host still listens");
  await b.release(2);
  t.ok(await refuses(a.address), "the last branch left: the host stopped");
  t.equal(w.members, 0);
  const c = await w.join(0, quiet);
  t.teardown(() => c.release(3));
  t.not(c.host, a.host, "a fresh host");
});

t.test("releasing twice counts as leaving once", async (t) => {
  const w = workerHost(t);
  const a = await w.join(0, quiet);
  const b = await w.join(0, quiet);
  t.teardown(() => b.release(2));
  await a.release(1);
  await a.release(1);
  t.equal(w.members, 1);
  t.notOk(await refuses(b.address), "the other branch still holds the host");
});

t.test("a crashed branch leaves the host running, so its restart joins the same host", async (t) => {
  const w = workerHost(t);
  const a = await w.join(0, quiet);
  a.abandon(1);
  t.equal(w.members, 0);
  t.notOk(await refuses(a.address), "the host outlives the crash");
  const again = await w.join(0, quiet);
  t.teardown(() => again.release(1));
  t.equal(again.host, a.host);
  t.equal(again.address, a.address);
});

t.test("a branch still joining keeps the host up while the only other branch leaves", async (t) => {
  const w = workerHost(t);
  const a = await w.join(0, quiet);
  const joining = w.join(0, quiet);
  await a.release(1);
  const b = await joining;
  t.teardown(() => b.release(2));
  t.equal(b.host, a.host);
  t.notOk(await refuses(b.address), "the host was not stopped under the joining branch");
});

t.test("a host that cannot bind its port is forgotten, so a later branch starts a fresh one", async (t) => {
  const blocker = await new Promise<Server>((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
  t.teardown(() => new Promise<void>((r) => blocker.close(() => r())));
  const port = (blocker.address() as { port: number }).port;
  const w = workerHost(t);
  await t.rejects(w.join(port, quiet), { message: new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}`) });
  t.equal(w.members, 0);
  const b = await w.join(0, quiet);
  t.teardown(() => b.release(1));
  t.notOk(await refuses(b.address));
});

t.test("crashing the worker kills every registered branch and the host, then exits with code 70", async (t) => {
  let exited: (code: number) => void = () => undefined;
  const exitCode = new Promise<number>((resolve) => (exited = resolve));
  const w = workerHost(t, (code) => exited(code));
  const a = await w.join(0, quiet);
  const died: number[] = [];
  w.onWorkerCrash(() => died.push(1));
  const forget = w.onWorkerCrash(() => died.push(2));
  w.onWorkerCrash(() => died.push(3));
  forget();
  w.crashWorker();
  t.same(died, [1, 3], "the unregistered branch is not killed again");
  t.ok(await refuses(a.address), "the host's server is down");
  t.equal(await exitCode, 70);
});

t.test("grpc-js's errors go to the log of the branch that joined last", async (t) => {
  const w = workerHost(t);
  const first: string[] = [];
  const last: string[] = [];
  const a = await w.join(0, (l) => first.push(l));
  t.teardown(() => a.release(1));
  const b = await w.join(0, (l) => last.push(l));
  t.teardown(() => b.release(2));
  w.grpcError(["No address added", "to the server"]);
  t.same(first, []);
  t.same(last, ["grpc: No address added to the server"]);
});

t.test("a worker started without a host configuration fails saying what it expected", async (t) => {
  t.throws(() => hostConfigFrom(undefined), {
    message: "branch-worker: expected a HostConfig as the worker's workerData (start branches through Cluster), found none",
  });
  t.throws(() => hostConfigFrom({ branchIds: [1] }), { message: /found \{"branchIds":\[1\]\}$/ });
  t.equal(hostConfigFrom(CONFIG), CONFIG);
});
