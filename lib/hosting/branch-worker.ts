// The piscina task that hosts one branch in a worker thread. It builds the
// branch and its gRPC server, reports "ready" with the port it bound, takes
// the cluster topology, and stays pending until the main thread says "stop";
// then it closes its server (and, with the last branch here, the host) and
// resolves. Branches stop by message, never by aborting the task, because an
// abort kills the whole worker and every branch in it.

import * as grpc from "@grpc/grpc-js";
import { threadId } from "node:worker_threads";
import { Branch, type CustomerOp, type Durable, type OpReply } from "../core/branch.js";
import { bindServer, shutdown } from "../wire/bind.js";
import { createBranchServer } from "./branch-server.js";
import { bitsToGuarantees, guaranteesToBits, parseGuarantees } from "../core/gate.js";
import { BranchStore } from "../storage/branch-store.js";
import { Host } from "./host.js";
import { formatWriteId } from "../core/version-vector.js";
import { writeFromWire } from "../wire/write-codec.js";
import { banksim } from "../../generated/bank.js";
import type { Write } from "../core/ledger.js";
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

const pb = banksim.v1;

let host: Host | undefined;
/** How each branch in this worker dies when the whole worker is crashed. */
const dying = new Set<() => void>();
let hostStarting: Promise<string> | undefined;

export default async function hostBranch(task: BranchTask): Promise<{ branchId: number; crashed: boolean }> {
  const { control, branchId } = task;
  const outbox = new BranchOutbox(branchId, control);
  const post = (msg: ToMain) => outbox.post(msg);
  const log = (line: string) => outbox.log(line);
  grpcLog = log;

  host ??= new Host(threadId, (line) => log(line));
  hostStarting ??= host.start(task.bindHost, task.hostPort);
  const hostAddress = await hostStarting;
  const myHost = host;
  myHost.setFaults(task.faults, task.delaySpec, task.delaySeed);

  const opened = task.storeDir ? BranchStore.open(task.storeDir, branchId) : undefined;
  const store = opened?.store;
  const recovered = opened?.recovered ?? { writes: [], outcomes: [] };
  const restarting = task.restart;
  if (opened && (recovered.writes.length > 0 || opened.cutBytes > 0)) {
    log(`recovered ${recovered.writes.length} writes and ${recovered.outcomes.length} outcomes from ${opened.store.path}` +
      (opened.cutBytes > 0 ? `; cut ${opened.cutBytes} bytes off its end (${opened.cutReason})` : ""));
  }

  const branch = new (BROKEN_GATE_BITS === 0 ? Branch : BrokenGateBranch)(
    { id: branchId, branchIds: task.branchIds, initialBalanceCents: task.initialBalanceCents, gateTimeoutMs: task.gateTimeoutMs, recovered },
    {
      propagate: (w: Write) => myHost.broadcast(w),
      applied: (ws) => outbox.addApplied(ws),
      log,
      ...(store ? { persist: (records: Durable[], sync: boolean) => store.persist(records, sync) } : {}),
    },
  );
  myHost.addBranch(branch);
  const die = () => {
    store?.crash();
    outbox.drop();
    server.forceShutdown();
  };
  dying.add(die);
  if (BROKEN_GATE_BITS !== 0) log(`TEST HOOK BANK_SIM_TEST_BREAK_GATE: branch ${branchId}'s gate ignores ${bitsToGuarantees(BROKEN_GATE_BITS).join(",")}`);
  const server = createBranchServer(branch, log, store ? (after) => store.ownWritesAfter(branchId, after) : undefined);
  let port: number;
  try {
    port = await bindServer(server, task.bindHost, restarting ? 0 : task.port);
  } catch (err) {
    await release(myHost, branch);
    await store?.close();
    control.close();
    throw err;
  }
  const address = `${task.bindHost}:${port}`;
  log(`branch ${branchId} listening on ${address} (host ${myHost.hostId}, replication on ${hostAddress})`);
  if (restarting) {
    // The main thread reconciles the history with what the log gave back:
    // writes applied just before the crash may never have been reported.
    post({
      type: "recovered", branchId, outcomes: recovered.outcomes.length, cutBytes: opened?.cutBytes ?? 0,
      applied: recovered.writes.map((w) => ({ id: formatWriteId(w.id), kind: w.kind, amountCents: w.amountCents, acceptedAtMs: w.acceptedAtMs })),
      ...(opened?.cutReason ? { cutReason: opened.cutReason } : {}),
    });
  }

  let stats: LinkStats = myHost.linkStats();
  const ending = await new Promise<"stop" | "crash">((resolve) => {
    control.on("message", (msg: ToWorker) => {
      if (msg.type === "topology") {
        myHost.setTopology(msg.hosts, { batchMax: task.batchMax, inFlightMax: task.inFlightMax, ackTimeoutMs: task.ackTimeoutMs });
        post({ type: "topology-set", branchId });
        if (restarting) void catchUp(branch, task, recovered.writes, myHost, log);
      } else if (msg.type === "epoch") {
        myHost.setEpoch(msg.wallMs);
      } else if (msg.type === "await") {
        branch.awaitApplied(new Map(msg.need), msg.timeoutMs).then(
          (st) => post({ type: "state", branchId, requestId: msg.requestId, state: { ...st, applied: [...st.applied] } }),
          (err: Error) => post({ type: "state", branchId, requestId: msg.requestId, error: err.message }),
        );
      } else if (msg.type === "crash-worker") {
        // Every branch here dies at once: logs stop where they are, servers
        // and links drop their connections (Node can abort the whole process
        // if a worker exits with live HTTP/2 sessions), then the thread ends
        // (in a worker, process.exit ends this thread only).
        for (const die of dying) die();
        myHost.kill();
        setTimeout(() => process.exit(70), 20);
      } else if (msg.type === "stop" || msg.type === "crash") {
        resolve(msg.type);
      }
    });
    post({ type: "ready", branchId, address, hostId: myHost.hostId, hostAddress });
  });

  dying.delete(die);
  if (ending === "crash") {
    // Die as a process would: nothing more reaches the disk, the main thread
    // or a customer. The host (the worker) lives on for the other branches.
    store?.crash();
    outbox.drop();
    server.forceShutdown();
    branch.stop();
    myHost.removeBranch(branchId);
    control.close();
    return { branchId, crashed: true };
  }
  stats = myHost.linkStats();
  branch.stop();
  await shutdown(server);
  // Off the host first, so no late delivery reaches a closed log.
  await release(myHost, branch);
  await store?.close();
  log(`branch ${branchId} stopped`);
  post({ type: "stopped", branchId, stats });
  control.close();
  return { branchId, crashed: false };
}

/**
 * After a restart: send this branch's own writes again (the crash may have
 * come before they left), and fetch from every other branch the writes it
 * issued that this one has not applied (they reached this host while the
 * branch was down). Both are idempotent; a peer that is down is retried, and
 * in any case it resends its own writes when it restarts.
 */
async function catchUp(branch: Branch, task: BranchTask, recovered: readonly Write[], h: Host, log: (line: string) => void): Promise<void> {
  for (const w of recovered) if (w.id.branch === task.branchId) h.broadcast(w);
  const applied = branch.state().applied;
  let fetched = 0;
  await Promise.all(task.peers.map(async ([peer, address]) => {
    const client = new pb.BankClient(address, grpc.credentials.createInsecure());
    try {
      for (let attempt = 1; attempt <= 5; attempt++) {
        try {
          const writes = await ownWrites(client, applied.get(peer) ?? 0);
          fetched += writes.length;
          await branch.receive(writes);
          return;
        } catch (err) {
          if (attempt === 5) log(`catch-up from branch ${peer} gave up: ${(err as Error).message}`);
          else await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
    } finally {
      client.close();
    }
  }));
  log(`caught up: resent ${recovered.filter((w) => w.id.branch === task.branchId).length} own writes, fetched ${fetched} from ${task.peers.length} peers`);
}

function ownWrites(client: banksim.v1.BankClient, afterSeq: number): Promise<Write[]> {
  return new Promise((resolve, reject) => {
    const out: Write[] = [];
    const call = client.OwnWrites(new pb.OwnWritesRequest({ afterSeq }), { deadline: Date.now() + 10_000 });
    call.on("data", (m: banksim.v1.Write) => {
      const w = writeFromWire(m);
      if (typeof w !== "string") out.push(w);
    });
    call.on("error", reject);
    call.on("end", () => resolve(out));
  });
}

/** Drops the branch from its host; the last branch out stops the host. */
async function release(h: Host, branch: Branch): Promise<void> {
  if (h.removeBranch(branch.id) === 0 && host === h) {
    host = undefined;
    hostStarting = undefined;
    await h.stop();
  }
}
