// The main thread's gRPC clients, one per branch: created on first use,
// moved when a branch restarts at a new address, all closed together. Each
// sends the cluster's secret with every call.

import * as grpc from "@grpc/grpc-js";
import { banksim } from "../../generated/bank.js";
import { secretMetadata, sendSecret } from "../wire/auth.js";
import { channelCredentials, type TlsMaterial } from "../wire/tls.js";

const pb = banksim.v1;

export class BranchClients {
  private readonly clients = new Map<number, banksim.v1.BankClient>();
  private readonly plain = new Map<number, grpc.Client>();
  private readonly bearer: grpc.Metadata;
  private readonly addresses: Map<number, string>;
  private readonly options: grpc.ClientOptions;
  private readonly credentials: grpc.ChannelCredentials;

  /** `secret`: the cluster's, sent with every call (its branches refuse calls without it); `tls`: mutual TLS with a served cluster. */
  constructor(addresses: ReadonlyMap<number, string>, secret: string, tls?: TlsMaterial) {
    this.addresses = new Map(addresses);
    this.options = sendSecret(secret);
    this.bearer = secretMetadata(secret);
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

  /**
   * For the customer call, the hot path: a client on the branch's channel
   * without the secret's interceptor (a layer of call objects on every call,
   * 2–3% of a run's CPU), and the secret as the call's metadata instead (a
   * copy per call: grpc-js may add to what it is given).
   */
  forCustomers(branch: number): { client: grpc.Client; metadata: grpc.Metadata } {
    let c = this.plain.get(branch);
    if (!c) {
      c = new grpc.Client(this.addresses.get(branch) ?? "", this.credentials, { channelOverride: this.get(branch).getChannel() });
      this.plain.set(branch, c);
    }
    return { client: c, metadata: this.bearer.clone() };
  }

  /** A branch restarted at a new address: later requests go there. */
  setAddress(branch: number, address: string): void {
    this.addresses.set(branch, address);
    this.clients.get(branch)?.close();
    this.clients.delete(branch);
    this.plain.delete(branch);
  }

  /** Opens connections to these branches ahead of the first request (in parallel). */
  connect(branches: Iterable<number>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    return Promise.all([...branches].map((b) => new Promise<void>((resolve, reject) => {
      this.get(b).waitForReady(deadline, (err) => (err ? reject(new Error(`branch ${b}: cannot connect: ${err.message}`)) : resolve()));
    }))).then(() => undefined);
  }

  close(): void {
    // The customers' clients share these channels: closing the owners closes them.
    this.plain.clear();
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
