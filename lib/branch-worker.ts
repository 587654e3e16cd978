// The piscina task that hosts one branch in a worker thread. It builds the
// branch and its gRPC server, reports "ready" with the port it bound, takes
// the cluster topology, and stays pending until the main thread says "stop";
// then it closes its server (and, with the last branch here, the host) and
// resolves. Branches stop by message, never by aborting the task, because an
// abort kills the whole worker and every branch in it.

import * as grpc from "@grpc/grpc-js";
import { threadId } from "node:worker_threads";
import { Branch, type CustomerOp, type OpReply } from "./branch.js";
import { bindServer } from "./bind.js";
import { createBranchServer } from "./branch-server.js";
import { makeDelayFn } from "./delay.js";
import { bitsToGuarantees, guaranteesToBits, parseGuarantees } from "./gate.js";
import { Host, shutdown } from "./host.js";
import type { Write } from "./ledger.js";
import { BranchOutbox } from "./branch-outbox.js";
import type { BranchTask, LinkStats, ToMain, ToWorker } from "./worker-protocol.js";

// TEST-ONLY hook, for the mutation check in test/guarantees.test.ts: when the
// environment variable BANK_SIM_TEST_BREAK_GATE names guarantees ("mr",
// "ryw,mr", ...), every branch in this worker clears their bits from each
// customer request before its gate sees it, so it neither waits for them nor
// attaches their dependencies, while the run still records them as on. It
// exists only so a test can break the gate on purpose and show that the
// history checker catches it; never set it otherwise. Read once, when the
// worker loads this module (a worker thread copies process.env when created).
const BROKEN_GATE_BITS = guaranteesToBits(parseGuarantees(process.env["BANK_SIM_TEST_BREAK_GATE"] ?? "none"));

// grpc-js prints its own errors (such as "No address added" for a taken port)
// on stderr, where they would interleave with the CLI's messages; send them to
// the log of the branch that started last in this worker instead.
let grpcLog: (line: string) => void = () => undefined;
grpc.setLogger({ error: (...args: unknown[]) => grpcLog(`grpc: ${args.join(" ")}`) });

/** A branch whose gate ignores BROKEN_GATE_BITS (test-only, see above). */
class BrokenGateBranch extends Branch {
  override serve(op: CustomerOp): Promise<OpReply> {
    return super.serve({ ...op, guarantees: op.guarantees & ~BROKEN_GATE_BITS });
  }
}

let host: Host | undefined;
let hostStarting: Promise<string> | undefined;

export default async function hostBranch(task: BranchTask): Promise<{ branchId: number }> {
  const { control, branchId } = task;
  const outbox = new BranchOutbox(branchId, control);
  const post = (msg: ToMain) => outbox.post(msg);
  const log = (line: string) => outbox.log(line);
  grpcLog = log;

  host ??= new Host(threadId, (line) => log(line));
  hostStarting ??= host.start(task.bindHost);
  const hostAddress = await hostStarting;
  const myHost = host;
  myHost.setDelay(makeDelayFn(task.delaySpec, task.delaySeed));

  const branch = new (BROKEN_GATE_BITS === 0 ? Branch : BrokenGateBranch)(
    { id: branchId, branchIds: task.branchIds, initialBalanceCents: task.initialBalanceCents, gateTimeoutMs: task.gateTimeoutMs },
    {
      propagate: (w: Write) => myHost.broadcast(w),
      applied: (ws) => outbox.addApplied(ws),
      log,
    },
  );
  myHost.addBranch(branch);
  if (BROKEN_GATE_BITS !== 0) log(`TEST HOOK BANK_SIM_TEST_BREAK_GATE: branch ${branchId}'s gate ignores ${bitsToGuarantees(BROKEN_GATE_BITS).join(",")}`);
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
      } else if (msg.type === "await") {
        branch.awaitApplied(new Map(msg.need), msg.timeoutMs).then(
          (st) => post({ type: "state", branchId, requestId: msg.requestId, state: { ...st, applied: [...st.applied] } }),
          (err: Error) => post({ type: "state", branchId, requestId: msg.requestId, error: err.message }),
        );
      } else if (msg.type === "stop") {
        resolve();
      }
    });
    post({ type: "ready", branchId, address, hostId: myHost.hostId, hostAddress });
  });

  stats = myHost.linkStats();
  branch.stop();
  await shutdown(server);
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
