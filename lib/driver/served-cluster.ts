// The driver's handle on a served cluster (bank-sim serve processes already
// running): everything a run needs of a cluster, over the branches' admin
// RPCs instead of worker control ports. `awaitApplied` asks every branch's
// Bank.AwaitApplied (retrying a branch that is down, e.g. killed and being
// restarted, until the deadline); `appliedLogs` reads every branch's
// Bank.AppliedLog, from which the run writes its apply records.

import * as grpc from "@grpc/grpc-js";
import type { BranchState } from "../core/branch.js";
import type { Write } from "../core/ledger.js";
import { MAX_AWAIT_MS } from "../core/limits.js";
import type { VersionVector } from "../core/version-vector.js";
import { fromWire, toWire } from "../wire/vector-codec.js";
import type { TlsMaterial } from "../wire/tls.js";
import { writeFromWire } from "../wire/write-codec.js";
import { banksim } from "../../generated/bank.js";
import { BranchClients } from "./branch-clients.js";

const pb = banksim.v1;

export interface ServedClusterOptions {
  /** Branch → "host:port" to dial. */
  addresses: ReadonlyMap<number, string>;
  /** Branch → the id of the host that runs it. */
  hostOf: ReadonlyMap<number, number>;
  secret: string;
  tls?: TlsMaterial;
}

export interface AppliedEntry {
  write: Write;
  wallMs: number;
  monoMs: number;
}

const RETRY_MS = 200;

export class ServedCluster {
  readonly addresses: ReadonlyMap<number, string>;
  readonly secret: string;
  readonly tls: TlsMaterial | undefined;
  private readonly hostOf: ReadonlyMap<number, number>;
  /** The driver's own admin clients (the customers have theirs). */
  private readonly admin: BranchClients;

  constructor(o: ServedClusterOptions) {
    this.addresses = o.addresses;
    this.hostOf = o.hostOf;
    this.secret = o.secret;
    this.tls = o.tls;
    this.admin = new BranchClients(o.addresses, o.secret, o.tls);
  }

  get branchIds(): number[] {
    return [...this.addresses.keys()];
  }

  /** The host a branch runs on. */
  workerOf(branch: number): number | undefined {
    return this.hostOf.get(branch);
  }

  /** Fault schedules are not this driver's: real faults are injected from outside. */
  epoch(_wallMs: number): void {}

  /** Every branch's state once it has applied `need` (empty: now), each retried while it cannot be reached, until `timeoutMs`. */
  awaitApplied(need: VersionVector, timeoutMs: number): Promise<BranchState[]> {
    const deadline = Date.now() + timeoutMs;
    return Promise.all(this.branchIds.map((b) => this.askUntil(b, need, deadline)));
  }

  private async askUntil(branch: number, need: VersionVector, deadline: number): Promise<BranchState> {
    for (;;) {
      const left = deadline - Date.now();
      try {
        return await this.awaitOne(branch, need, Math.max(1, Math.min(left, MAX_AWAIT_MS)));
      } catch (err) {
        const e = err as grpc.ServiceError;
        // Down, restarting, or not there yet: ask again. A refusal (bad secret, bad request) is final.
        const transient = e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED || e.code === grpc.status.FAILED_PRECONDITION;
        if (!transient || Date.now() + RETRY_MS >= deadline) throw new Error(`branch ${branch} (${this.addresses.get(branch)}): ${e.details || e.message}`);
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  private awaitOne(branch: number, need: VersionVector, timeoutMs: number): Promise<BranchState> {
    const req = new pb.AwaitRequest({ applied: toWire(need), timeoutMs });
    return new Promise((resolve, reject) => {
      this.admin.get(branch).AwaitApplied(req, { deadline: Date.now() + timeoutMs + 2_000 }, (err, s) => {
        if (err || !s) reject(err ?? new Error("no reply"));
        else resolve({ branch: s.branch, balanceCents: s.balanceCents, applied: fromWire(s.applied), issued: s.issued, pending: s.pending });
      });
    });
  }

  /** Every branch's applied log, in the order it applied the writes. */
  appliedLogs(timeoutMs: number): Promise<Map<number, AppliedEntry[]>> {
    return Promise.all(this.branchIds.map(async (b) => [b, await this.appliedLog(b, timeoutMs)] as const)).then((pairs) => new Map(pairs));
  }

  private appliedLog(branch: number, timeoutMs: number): Promise<AppliedEntry[]> {
    return new Promise((resolve, reject) => {
      const out: AppliedEntry[] = [];
      const call = this.admin.get(branch).AppliedLog(new pb.AppliedLogRequest({ fromIndex: 0 }), { deadline: Date.now() + timeoutMs });
      call.on("data", (e: banksim.v1.AppliedEntry) => {
        const w = writeFromWire(e.write);
        if (typeof w === "string") reject(new Error(`branch ${branch}: applied log entry ${e.index}: ${w}`));
        else out.push({ write: w, wallMs: e.wallMs, monoMs: e.monoMs });
      });
      call.on("error", (err: grpc.ServiceError) => reject(new Error(`branch ${branch}: applied log: ${err.details || err.message}`)));
      call.on("end", () => resolve(out));
    });
  }

  close(): void {
    this.admin.close();
  }
}
