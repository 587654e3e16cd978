// The main thread's gRPC clients, one per branch: created on first use,
// moved when a branch restarts at a new address, all closed together.

import * as grpc from "@grpc/grpc-js";
import { banksim } from "../../generated/bank.js";
import { sendSecret } from "../wire/auth.js";
import { channelCredentials, type TlsMaterial } from "../wire/tls.js";

const pb = banksim.v1;

export class BranchClients {
  private readonly clients = new Map<number, banksim.v1.BankClient>();
  private readonly addresses: Map<number, string>;
  private readonly options: grpc.ClientOptions;
  private readonly credentials: grpc.ChannelCredentials;

  /** `secret`: the cluster's, sent with every call (its branches refuse calls without it); `tls`: mutual TLS with a served cluster. */
  constructor(addresses: ReadonlyMap<number, string>, secret: string, tls?: TlsMaterial) {
    this.addresses = new Map(addresses);
    this.options = sendSecret(secret);
    this.credentials = channelCredentials(tls);
  }

  get(branch: number): banksim.v1.BankClient {
    let c = this.clients.get(branch);
    if (!c) {
      const address = this.addresses.get(branch);
      if (!address) throw new Error(`no address for branch ${branch}`);
      c = new pb.BankClient(address, this.credentials, this.options);
      this.clients.set(branch, c);
    }
    return c;
  }

  /** A branch restarted at a new address: later requests go there. */
  setAddress(branch: number, address: string): void {
    this.addresses.set(branch, address);
    this.clients.get(branch)?.close();
    this.clients.delete(branch);
  }

  /** Opens connections to these branches ahead of the first request (in parallel). */
  connect(branches: Iterable<number>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    return Promise.all([...branches].map((b) => new Promise<void>((resolve, reject) => {
      this.get(b).waitForReady(deadline, (err) => (err ? reject(new Error(`branch ${b}: cannot connect: ${err.message}`)) : resolve()));
    }))).then(() => undefined);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
