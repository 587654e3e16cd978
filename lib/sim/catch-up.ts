// A restarted branch's catch-up, as the real worker's `catchUp`
// (lib/hosting/branch-worker.ts) does it: a crash takes from the branch the
// writes it had received but not yet logged, which their origins count as
// delivered (the branch acknowledged them) and will never resend. So it asks
// every other branch for that branch's own writes after the last one it
// holds, served from the peer's log (BranchStore.ownWritesAfter, the OwnWrites
// RPC), over the simulated network. A request lost, a reply lost, a peer
// down or cut off by a partition: ask again after a backoff, up to a bound.

import type { Branch } from "../core/branch.js";
import type { Write } from "../core/ledger.js";
import { nodeOfBranch, type SimNetwork } from "./sim-network.js";
import type { VirtualClock } from "./virtual-clock.js";

export interface CatchUpConfig {
  /** Deadline of one request. */
  timeoutMs: number;
  backoffMsMin: number;
  backoffMsMax: number;
  /** Requests to one peer before the run is declared stuck. */
  attemptsMax: number;
}

export const DEFAULT_CATCH_UP: CatchUpConfig = { timeoutMs: 400, backoffMsMin: 20, backoffMsMax: 1_000, attemptsMax: 200 };

export interface CatchUpWorld {
  clock: VirtualClock;
  network: SimNetwork;
  config: CatchUpConfig;
  /** Peer `peer`'s own writes after `afterSeq`, read from its log; undefined while it is down. */
  ownWritesAt(peer: number, afterSeq: number): Write[] | undefined;
  /** Counts a fetch that got an answer, and the writes it brought. */
  fetched(writes: number): void;
  /** A catch-up that never got an answer: the run is stuck. */
  stuck(message: string): void;
}

/** Fetches, from each of `peers`, the writes it issued that `branch` lacks; stops once `current()` turns false. */
export function catchUp(world: CatchUpWorld, branch: Branch, peers: readonly number[], current: () => boolean): void {
  for (const peer of peers) new PeerFetch(world, branch, peer, current).attempt(1, world.config.backoffMsMin);
}

class PeerFetch {
  private token = 0;

  constructor(
    private readonly world: CatchUpWorld,
    private readonly branch: Branch,
    private readonly peer: number,
    private readonly current: () => boolean,
  ) {}

  attempt(n: number, backoffMs: number): void {
    const { clock, network, config } = this.world;
    if (!this.current()) return;
    if (n > config.attemptsMax) {
      this.world.stuck(`branch ${this.branch.id} could not catch up from branch ${this.peer} in ${config.attemptsMax} requests`);
      return;
    }
    const token = ++this.token;
    const here = nodeOfBranch(this.branch.id);
    const there = nodeOfBranch(this.peer);
    const afterSeq = this.branch.state().applied.get(this.peer) ?? 0;
    const timer = clock.setTimeout(() => {
      if (this.token !== token) return;
      this.token++;
      const next = Math.min(backoffMs * 2, config.backoffMsMax);
      clock.setTimeout(() => this.attempt(n + 1, next), backoffMs);
    }, config.timeoutMs);
    network.send(here, there, () => {
      const writes = this.world.ownWritesAt(this.peer, afterSeq);
      if (writes === undefined) return; // down: no answer, the deadline retries
      network.send(there, here, () => {
        if (this.token !== token || !this.current()) return;
        this.token++;
        clock.clearTimeout(timer);
        this.world.fetched(writes.length);
        // A failed log fails the branch (and restarts it, with a new catch-up): nothing to do here.
        this.branch.receive(writes).catch(() => undefined);
      });
    });
  }
}
