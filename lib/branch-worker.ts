// The piscina task that hosts one branch in a worker thread. It builds the
// branch and its gRPC server, reports "ready" with the port it bound, takes
// the cluster topology, and stays pending until the main thread says "stop";
// then it closes its server (and, with the last branch here, the host) and
// resolves. Branches stop by message, never by aborting the task, because an
// abort kills the whole worker and every branch in it.

import { threadId } from "node:worker_threads";
import { Branch } from "./branch.js";
import { bindServer } from "./bind.js";
import { createBranchServer } from "./branch-server.js";
import { makeDelayFn } from "./delay.js";
import { Host, shutdown } from "./host.js";
import type { Write } from "./ledger.js";
import { formatWriteId } from "./version-vector.js";
import type { BranchTask, LinkStats, ToMain, ToWorker, WireWrite } from "./worker-protocol.js";

let host: Host | undefined;
let hostStarting: Promise<string> | undefined;

export default async function hostBranch(task: BranchTask): Promise<{ branchId: number }> {
  const { control, branchId } = task;
  const post = (msg: ToMain) => control.postMessage(msg);
  const log = (line: string) => post({ type: "log", branchId, line, wallMs: Date.now() });

  host ??= new Host(threadId, (line) => log(line));
  hostStarting ??= host.start(task.bindHost);
  const hostAddress = await hostStarting;
  const myHost = host;
  myHost.setDelay(makeDelayFn(task.delaySpec, task.delaySeed));

  // Applied writes go to the main thread batched per turn of the event loop.
  let appliedBuffer: WireWrite[] = [];
  const flushApplied = () => {
    const writes = appliedBuffer;
    appliedBuffer = [];
    post({ type: "applied", branchId, writes, wallMs: Date.now(), monoMs: performance.timeOrigin + performance.now() });
  };
  const branch = new Branch(
    { id: branchId, branchIds: task.branchIds, initialBalanceCents: task.initialBalanceCents, gateTimeoutMs: task.gateTimeoutMs },
    {
      propagate: (w: Write) => myHost.broadcast(w),
      applied: (ws) => {
        if (appliedBuffer.length === 0) setImmediate(flushApplied);
        for (const w of ws) appliedBuffer.push({ id: formatWriteId(w.id), kind: w.kind, amountCents: w.amountCents, acceptedAtMs: w.acceptedAtMs });
      },
      log,
    },
  );
  myHost.addBranch(branch);
  const server = createBranchServer(branch, log);
  let port: number;
  try {
    port = await bindServer(server, task.bindHost, task.port);
  } catch (err) {
    await release(myHost, branch);
    control.close();
    throw err;
  }
  const address = `${task.bindHost}:${port}`;
  log(`branch ${branchId} listening on ${address} (host ${myHost.hostId}, replication on ${hostAddress})`);

  let stats: LinkStats = myHost.linkStats();
  await new Promise<void>((resolve) => {
    control.on("message", (msg: ToWorker) => {
      if (msg.type === "topology") {
        myHost.setTopology(msg.hosts, { batchMax: task.batchMax, inFlightMax: task.inFlightMax });
        post({ type: "topology-set", branchId });
      } else if (msg.type === "stop") {
        resolve();
      }
    });
    post({ type: "ready", branchId, address, hostId: myHost.hostId, hostAddress });
  });

  stats = myHost.linkStats();
  branch.stop();
  await shutdown(server);
  if (appliedBuffer.length > 0) flushApplied();
  await release(myHost, branch);
  log(`branch ${branchId} stopped`);
  post({ type: "stopped", branchId, stats });
  control.close();
  return { branchId };
}

/** Drops the branch from its host; the last branch out stops the host. */
async function release(h: Host, branch: Branch): Promise<void> {
  if (h.removeBranch(branch.id) === 0 && host === h) {
    host = undefined;
    hostStarting = undefined;
    await h.stop();
  }
}
