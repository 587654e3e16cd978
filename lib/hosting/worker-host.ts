// What one worker thread keeps for the branches it hosts, in one object
// instead of module-level variables: the host's configuration (the same for
// every branch, from piscina's workerData); the host itself (its replication
// server and links), started by the first branch to join and stopped when the
// last one leaves; the thread's reports to the main thread (host-reports.ts);
// how each branch dies if the whole worker is crashed; and where grpc-js's own
// error lines go.

import { Host } from "./host.js";
import { HostReports } from "./host-reports.js";
import type { HostConfig } from "./worker-protocol.js";

/** A branch's membership of the worker's host, from `WorkerHost.join`. */
export interface HostLease {
  readonly host: Host;
  /** The host's replication address. */
  readonly address: string;
  /** Leaves the host (the branch stopped); the last branch out stops it. */
  release(branchId: number): Promise<void>;
  /** Leaves the host at once (the branch crashed); the host lives on for the others. */
  abandon(branchId: number): void;
}

interface Incarnation {
  host: Host;
  started: Promise<string>;
  /** Branches that joined and have not left (counted from the join, so none can stop the host while another is joining). */
  members: number;
}

export class WorkerHost {
  readonly config: HostConfig;
  /** What every branch here applied and held, their states and restart marks, on the thread's one report port. */
  readonly reports = new HostReports();
  private readonly hostId: number;
  private readonly exit: (code: number) => void;
  private current: Incarnation | undefined;
  private readonly dying = new Set<() => void>();
  private grpcLog: (line: string) => void = () => undefined;

  /** `exit` ends the thread when the worker is crashed (in a worker, process.exit ends only its thread). */
  constructor(config: HostConfig, hostId: number, exit: (code: number) => void = (code) => process.exit(code)) {
    this.config = config;
    this.hostId = hostId;
    this.exit = exit;
  }

  /**
   * Joins the worker's host, starting it if no branch holds it (its
   * replication server on `hostPort`, 0: any). `log` becomes the host's log
   * if this branch starts it, and grpc-js's log in any case (the branch that
   * arrived last). A host that fails to start is forgotten, so a later branch
   * can try again.
   */
  async join(hostPort: number, log: (line: string) => void): Promise<HostLease> {
    this.grpcLog = log;
    const inc = (this.current ??= this.startHost(hostPort, log));
    inc.members++;
    let address: string;
    try {
      address = await inc.started;
    } catch (err) {
      inc.members--;
      if (this.current === inc) this.current = undefined;
      throw err;
    }
    let left = false;
    const leave = (branchId: number): boolean => {
      if (left) return false;
      left = true;
      inc.host.removeBranch(branchId);
      return --inc.members === 0;
    };
    return {
      host: inc.host,
      address,
      release: async (branchId) => {
        if (leave(branchId) && this.current === inc) {
          this.current = undefined;
          await inc.host.stop();
        }
      },
      abandon: (branchId) => void leave(branchId),
    };
  }

  /** Registers how a branch dies if the worker is crashed; returns the undo. */
  onWorkerCrash(die: () => void): () => void {
    this.dying.add(die);
    return () => this.dying.delete(die);
  }

  /**
   * Every branch here dies at once: logs stop where they are, servers and
   * links drop their connections (Node can abort the whole process if a
   * worker exits with live HTTP/2 sessions), then the thread ends.
   */
  crashWorker(): void {
    for (const die of this.dying) die();
    this.current?.host.kill();
    setTimeout(() => this.exit(70), 20);
  }

  /** For grpc.setLogger: grpc-js's errors (such as "No address added") go to a branch log, not stderr. */
  grpcError(args: unknown[]): void {
    this.grpcLog(`grpc: ${args.join(" ")}`);
  }

  /** Branches hosted now (joined and not yet left). */
  get members(): number {
    return this.current?.members ?? 0;
  }

  private startHost(hostPort: number, log: (line: string) => void): Incarnation {
    const host = new Host(this.hostId, log, this.config);
    return { host, started: host.start(this.config.bindHost, hostPort), members: 0 };
  }
}

/** The HostConfig a worker was started with (piscina's workerData), or a clear error. */
export function hostConfigFrom(workerData: unknown): HostConfig {
  const c = workerData as Partial<HostConfig> | undefined;
  if (!c || !Array.isArray(c.branchIds) || typeof c.bindHost !== "string" || !c.faults) {
    throw new Error("branch-worker: expected a HostConfig as the worker's workerData (start branches through Cluster), found " +
      (c === undefined ? "none" : JSON.stringify(c).slice(0, 200)));
  }
  return c as HostConfig;
}
