// The bare-call limit's server (bare-limit.ts): a piscina task that serves the Bank service with replies
// that do nothing, in a worker thread like a branch, so that `bench` can
// measure what the transport alone costs, the same way customers
// call branches.

import * as grpc from "@grpc/grpc-js";
import type { MessagePort } from "node:worker_threads";
import { bindServer, SERVER_OPTIONS, shutdown } from "../wire/bind.js";
import { banksim } from "../../generated/bank.js";

const pb = banksim.v1;

export default async function serveNoop(task: { control: MessagePort; bindHost: string }): Promise<void> {
  const server = new grpc.Server(SERVER_OPTIONS);
  const reply = new pb.CustomerReply({ result: pb.Result.SUCCESS });
  server.addService(pb.UnimplementedBankService.definition, {
    MsgDelivery: (_call: unknown, cb: grpc.sendUnaryData<banksim.v1.CustomerReply>) => cb(null, reply),
    AwaitApplied: (_call: unknown, cb: grpc.sendUnaryData<banksim.v1.BranchState>) => cb(null, new pb.BranchState()),
    State: (_call: unknown, cb: grpc.sendUnaryData<banksim.v1.BranchState>) => cb(null, new pb.BranchState()),
  });
  const port = await bindServer(server, task.bindHost, 0);
  await new Promise<void>((resolve) => {
    task.control.on("message", (msg: { type: string }) => {
      if (msg.type === "stop") resolve();
    });
    task.control.postMessage({ type: "ready", address: `${task.bindHost}:${port}` });
  });
  await shutdown(server);
  task.control.close();
}
