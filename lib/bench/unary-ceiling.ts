// The raw grpc-js unary ceiling on this machine: a no-op Bank server in a
// worker thread, called from the main thread by `inFlight` concurrent callers
// with the same stubs and the same kind of request customers send. Bench
// reports bank-sim's throughput as a ratio of it, which compares across
// machines where absolute numbers do not.

import * as grpc from "@grpc/grpc-js";
import { fileURLToPath } from "node:url";
import { MessageChannel } from "node:worker_threads";
import { Piscina } from "piscina";
import { banksim } from "../../generated/bank.js";

const pb = banksim.v1;

export async function measureUnaryCeiling(opts: { calls: number; inFlight: number }): Promise<{ callsPerSec: number; calls: number }> {
  const pool = new Piscina({
    filename: fileURLToPath(new URL("./noop-worker.js", import.meta.url)),
    minThreads: 1, maxThreads: 1, idleTimeout: Infinity, atomics: "disabled",
  });
  const { port1, port2 } = new MessageChannel();
  const closed = new Promise<void>((r) => port1.once("close", () => r()));
  const task = pool.run({ control: port2, bindHost: "127.0.0.1" }, { transferList: [port2] as never });
  let client: banksim.v1.BankClient | undefined;
  try {
    const address = await new Promise<string>((resolve, reject) => {
      port1.once("message", (m: { address: string }) => resolve(m.address));
      task.catch(reject);
    });
    const c = new pb.BankClient(address, grpc.credentials.createInsecure());
    client = c;
    const request = new pb.CustomerRequest({ requestId: "bench#1", session: "bench", interface: pb.Interface.QUERY, guarantees: 15 });
    const call = () => new Promise<void>((resolve, reject) => c.MsgDelivery(request, (err) => (err ? reject(err) : resolve())));
    for (let i = 0; i < 200; i++) await call(); // warm-up
    let left = opts.calls;
    const started = performance.now();
    await Promise.all(Array.from({ length: opts.inFlight }, async () => {
      while (left > 0) {
        left--;
        await call();
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    return { callsPerSec: opts.calls / seconds, calls: opts.calls };
  } finally {
    client?.close();
    port1.postMessage({ type: "stop" });
    await task.catch(() => undefined);
    port1.close();
    await closed;
    await pool.destroy();
  }
}
