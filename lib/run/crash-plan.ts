// The planned crashes of a run (--faults crash=… and crash-worker=…), on a
// schedule that counts from the customers' start: each crash waits for its
// time, crashes its branch (or terminates the worker thread hosting it, with
// every branch there), waits its restart delay, then restarts what died,
// logging each step. The cluster and the clock are passed in, so the schedule
// runs in a test without either.

import type { Cluster } from "../cluster/cluster.js";
import type { Crash } from "../core/fault-plan.js";
import type { BranchClients } from "../driver/branch-clients.js";

/** What crashing needs of the cluster. */
export interface CrashTarget {
  crash(branch: number): Promise<void>;
  /** Resolves with the branches that died and the port of the host that died with them. */
  crashWorker(branch: number): Promise<{ branches: number[]; hostPort: number }>;
  /** Restarts a crashed branch (a new host takes `hostPort`); resolves with the branch's new address. */
  restart(branch: number, hostPort: number): Promise<string>;
}

export interface CrashClock {
  sleep(ms: number): Promise<void>;
  /** Milliseconds since the customers started, for the log lines. */
  elapsedMs(): number;
}

export interface RunningCrashes {
  /** The customers are done: a crash whose time has not come yet is skipped. */
  stop(): void;
  /** Resolves once every crash has run (or been skipped), with the first failure or undefined; never rejects. */
  readonly settled: Promise<Error | undefined>;
}

export function startCrashes(crashes: readonly Crash[], target: CrashTarget, clock: CrashClock, log: (line: string) => void): RunningCrashes {
  let stopped = false;
  const at = () => Math.round(clock.elapsedMs());
  const all = Promise.all(crashes.map(async (f) => {
    await clock.sleep(f.atMs);
    if (stopped) return;
    let down = [f.branch];
    let hostPort = 0;
    if (f.scope === "worker") {
      ({ branches: down, hostPort } = await target.crashWorker(f.branch));
      log(`terminated the worker of branch ${f.branch} (branches ${down.join(", ")}) at ${at()} ms`);
    } else {
      await target.crash(f.branch);
      log(`crashed branch ${f.branch} at ${at()} ms`);
    }
    // A crash that happened is always followed by its restart, customers done or not.
    await clock.sleep(f.restartAfterMs);
    for (const b of down) {
      const address = await target.restart(b, hostPort);
      log(`restarted branch ${b} at ${at()} ms on ${address}`);
    }
  }));
  // Observed at once, so a failed crash or restart is never an unhandled rejection.
  const settled = all.then(() => undefined, (err: Error) => err);
  return { stop: () => void (stopped = true), settled };
}

/** The running cluster as a crash target: a restarted branch's customers follow it to its new address. */
export function clusterCrashTarget(cluster: Cluster, clients: BranchClients, epochWallMs: number): CrashTarget {
  return {
    crash: (b) => cluster.crash(b),
    crashWorker: (b) => cluster.crashWorker(b),
    restart: async (b, hostPort) => {
      const address = await cluster.restart(b, epochWallMs, hostPort);
      clients.setAddress(b, address);
      return address;
    },
  };
}
