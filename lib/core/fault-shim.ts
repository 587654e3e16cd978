// The faults a transport suffers, decided in one place for both worlds: the
// real hosts' inbound replication (lib/hosting/fault-injector.ts) and the
// simulated network (lib/sim/sim-network.ts) ask the same shim what happens to
// each message: lost, delivered once or twice, held back so later ones
// overtake it. Pure: all chance comes from the random source it is given, so
// a seed replays the same faults.

export interface MessageFaults {
  /** Probability that a message is lost. */
  lossRate: number;
  /** Probability that a message is delivered a second time. */
  duplicateRate: number;
  /** Probability that a message is held back, so that later ones may overtake it. */
  reorderRate: number;
  /** A held message waits 1 ms to this long. */
  reorderMsMax: number;
}

export interface Fate {
  /** 0: lost; 2: duplicated. */
  copies: 0 | 1 | 2;
  /** How long it is held back (0: not reordered). */
  holdMs: number;
}

export interface FaultCounts {
  lost: number;
  duplicated: number;
  reordered: number;
}

export const NO_MESSAGE_FAULTS: MessageFaults = { lossRate: 0, duplicateRate: 0, reorderRate: 0, reorderMsMax: 0 };

export class FaultShim {
  readonly counts: FaultCounts = { lost: 0, duplicated: 0, reordered: 0 };
  private faults: MessageFaults;
  private readonly random: () => number;

  constructor(faults: MessageFaults, random: () => number) {
    this.faults = faults;
    this.random = random;
  }

  /** Replaces the rates (the simulator calms its network before the final drain). */
  setFaults(faults: MessageFaults): void {
    this.faults = faults;
  }

  /** What happens to the next message. Draws only for the faults that are on. */
  fate(): Fate {
    const f = this.faults;
    if (f.lossRate > 0 && this.random() < f.lossRate) {
      this.counts.lost++;
      return { copies: 0, holdMs: 0 };
    }
    const copies = f.duplicateRate > 0 && this.random() < f.duplicateRate ? 2 : 1;
    if (copies === 2) this.counts.duplicated++;
    let holdMs = 0;
    if (f.reorderRate > 0 && this.random() < f.reorderRate) {
      this.counts.reordered++;
      holdMs = 1 + this.random() * Math.max(0, f.reorderMsMax - 1);
    }
    return { copies, holdMs };
  }
}
