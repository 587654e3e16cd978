// The bare-call limit: what bank-sim's work would cost with nothing but the
// transport. A process of its own (started cold, like `bank-sim run`) binds N
// no-op Bank servers in W piscina workers (noop-worker.ts, the same stubs and
// server options as the branches), connects one channel per server, and makes
// the same number of MsgDelivery calls as the run makes operations, with the
// same number in flight (one per customer) and requests of the same size,
// spread over the servers as the run's customers spread theirs. bench reports
// bank-sim's end-to-end wall time as a multiple of this process's, and its
// start-up (`--calls 0`: node, the libraries, W workers, N servers bound,
// channels connected) as the floor of bank-sim's.
//
//   node dist/lib/bench/bare-limit.js --servers 10 --workers 2 --calls 1000 --in-flight 10
//
// Prints one JSON line: { servers, workers, calls, inFlight, requestBytes, startupMs, callsMs, latency }
// (latency: each call's, from its start to its answer, p50Ms and p99Ms, as a run's summary measures its operations).

import * as grpc from "@grpc/grpc-js";
import { fileURLToPath } from "node:url";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { parseArgs } from "node:util";
import { Piscina } from "piscina";
import type { VersionVector } from "../core/version-vector.js";
import { toWire } from "../wire/vector-codec.js";
import { LatencyStats } from "../run/latency-stats.js";
import { banksim } from "../../generated/bank.js";

const pb = banksim.v1;

export interface BareLimitOptions {
  servers: number;
  workers: number;
  calls: number;
  inFlight: number;
}

export interface BareLimitResult extends BareLimitOptions {
  requestBytes: number;
  startupMs: number;
  callsMs: number;
  /** Each call's latency (null figures with no calls). */
  latency: { p50Ms: number | null; p99Ms: number | null };
}

interface Served {
  port: MessagePort;
  task: Promise<unknown>;
  address: Promise<string>;
}

function serve(pool: Piscina): Served {
  const { port1, port2 } = new MessageChannel();
  const task = pool.run({ control: port2, bindHost: "127.0.0.1" }, { transferList: [port2] as never });
  const address = new Promise<string>((resolve, reject) => {
    port1.once("message", (m: { address: string }) => resolve(m.address));
    task.catch(reject);
  });
  return { port: port1, task, address };
}

/** A request like a customer's under --guarantees all: a write set and a read set naming every server's branch. */
function customerRequest(servers: number): banksim.v1.CustomerRequest {
  const read: VersionVector = new Map(Array.from({ length: Math.min(servers, 10) }, (_, i) => [i + 1, 1 + ((i * 7) % 13)]));
  const write: VersionVector = new Map([...read].slice(0, 2));
  return new pb.CustomerRequest({
    requestId: "c1#17", session: "c1", interface: pb.Interface.DEPOSIT, amountCents: 12_345, guarantees: 15,
    writeSet: toWire(write), readSet: toWire(read),
  });
}

export async function runBareLimit(opts: BareLimitOptions): Promise<BareLimitResult> {
  const t0 = performance.now();
  const pool = new Piscina({
    filename: fileURLToPath(new URL("./noop-worker.js", import.meta.url)),
    minThreads: opts.workers, maxThreads: opts.workers, idleTimeout: Infinity, atomics: "disabled",
    concurrentTasksPerWorker: Math.ceil(opts.servers / opts.workers), maxQueue: Infinity,
  });
  const served = Array.from({ length: opts.servers }, () => serve(pool));
  const clients: banksim.v1.BankClient[] = [];
  try {
    const addresses = await Promise.all(served.map((s) => s.address));
    for (const a of addresses) clients.push(new pb.BankClient(a, grpc.credentials.createInsecure()));
    const deadline = Date.now() + 60_000;
    await Promise.all(clients.map((c) => new Promise<void>((resolve, reject) => c.waitForReady(deadline, (err) => (err ? reject(err) : resolve())))));
    const startupMs = performance.now() - t0;
    const request = customerRequest(opts.servers);
    const t1 = performance.now();
    let next = 0;
    const latency = new LatencyStats();
    const call = (c: banksim.v1.BankClient) => new Promise<void>((resolve, reject) => {
      const started = performance.now();
      c.MsgDelivery(request, { deadline: Date.now() + 30_000 }, (err) => (err ? reject(err) : (latency.record(performance.now() - started), resolve())));
    });
    await Promise.all(Array.from({ length: Math.min(opts.inFlight, opts.calls) }, async () => {
      while (next < opts.calls) {
        const i = next++;
        await call(clients[(i * 7919) % clients.length]!);
      }
    }));
    const callsMs = performance.now() - t1;
    const { p50Ms, p99Ms } = latency.summary();
    return { ...opts, requestBytes: request.serialize().length, startupMs, callsMs, latency: { p50Ms, p99Ms } };
  } finally {
    for (const c of clients) c.close();
    for (const s of served) s.port.postMessage({ type: "stop" });
    await Promise.allSettled(served.map((s) => s.task));
    for (const s of served) s.port.close();
    await pool.destroy();
  }
}

function intFlag(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,7}$/.test(text)) throw new Error(`bare-limit: --${name}: expected a whole number, found ${JSON.stringify(text)}`);
  return Number(text);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { servers: { type: "string" }, workers: { type: "string" }, calls: { type: "string" }, "in-flight": { type: "string" } } });
  const servers = Math.max(1, intFlag("servers", values.servers, 10));
  const result = await runBareLimit({
    servers,
    workers: Math.max(1, Math.min(servers, intFlag("workers", values.workers, 2))),
    calls: intFlag("calls", values.calls, 1_000),
    inFlight: Math.max(1, intFlag("in-flight", values["in-flight"], 10)),
  });
  process.stdout.write(JSON.stringify(result) + "\n");
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
  });
}
