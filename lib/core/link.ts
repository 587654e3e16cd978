// One outbound replication link as a state machine without I/O: the writes
// one host owes one peer host, in order, batched, bounded in flight, and
// resent until acknowledged. The gRPC host (lib/hosting/replication-link.ts)
// and the simulator (lib/sim/sim-links.ts) are adapters: they feed it events
// (a write to send, a stream that opened or broke, an ack, the time) and carry
// out the actions it returns. Both worlds run this code, so a seed replays the
// resend and reconnect logic that runs in production.
//
// Rules it keeps:
// - Writes leave in the order they were queued; a batch holds at most
//   `batchMax` writes and at most `inFlightMax` batches are unacknowledged.
// - A batch unacknowledged for its resend interval is sent again; the interval
//   doubles per resend of that batch, up to `resendMsMax`. A duplicate changes
//   nothing at the peer: replicas apply by write id.
// - A broken stream keeps every unacknowledged batch; they are sent again, in
//   batch order and ahead of newer writes, once a new stream is open. The link
//   reconnects after a backoff that doubles per failure (`reconnectMs*`) and
//   resets when an ack arrives.
// - Bounded: more than `backlogMax` writes waiting or unacknowledged is a
//   LinkOverflow, never an unbounded queue.

import type { Write } from "./ledger.js";

export interface LinkConfig {
  batchMax: number;
  inFlightMax: number;
  /** Most writes the link may hold (queued plus unacknowledged). */
  backlogMax: number;
  resendMsMin: number;
  resendMsMax: number;
  reconnectMsMin: number;
  reconnectMsMax: number;
}

export type LinkAction =
  /** Open a stream to the peer; answer with `connected` (or `broken`). */
  | { type: "connect" }
  /** Send this batch on the open stream. */
  | { type: "send"; batchSeq: number; writes: readonly Write[]; resend: boolean };

export interface LinkStats {
  /** Batches sent, first sends and resends. */
  messages: number;
  /** Writes sent, counting a write again each time its batch is resent. */
  writes: number;
  /** Streams that broke and were opened again. */
  reconnects: number;
  /** Batches sent again because no ack came in time. */
  resent: number;
}

export class LinkOverflow extends Error {
  override name = "LinkOverflow";
}

interface Batch {
  writes: Write[];
  /** When it is due to be sent again without an ack (meaningful while sent). */
  dueAtMs: number;
  resendMs: number;
  /** False after a stream broke: it waits for the next stream. */
  sent: boolean;
}

type Connection = "down" | "connecting" | "up";

export class LinkSender {
  readonly stats: LinkStats = { messages: 0, writes: 0, reconnects: 0, resent: 0 };
  private readonly config: LinkConfig;
  private queue: Write[] = [];
  private readonly inFlight = new Map<number, Batch>();
  private inFlightWrites = 0;
  private batchSeq = 0;
  private connection: Connection = "down";
  /** While down after a failure: no reconnect before this time. */
  private reconnectAtMs = 0;
  private reconnectMs: number;

  constructor(config: LinkConfig) {
    if (config.batchMax < 1 || config.inFlightMax < 1 || config.backlogMax < 1) {
      throw new RangeError(`link: batchMax, inFlightMax and backlogMax must be at least 1`);
    }
    this.config = config;
    this.reconnectMs = config.reconnectMsMin;
  }

  /** Writes waiting or unacknowledged. */
  get backlog(): number {
    return this.queue.length + this.inFlightWrites;
  }

  get isConnected(): boolean {
    return this.connection === "up";
  }

  /** Queues a write; `pump` sends it (callers pump once per turn, so writes of one turn share a batch). */
  enqueue(write: Write): void {
    if (this.backlog >= this.config.backlogMax) {
      throw new LinkOverflow(`replication link holds ${this.backlog} writes unacknowledged (at most ${this.config.backlogMax}); the peer is not keeping up or not answering`);
    }
    this.queue.push(write);
  }

  /** Sends what the window allows, or asks for a stream first. */
  pump(nowMs: number): LinkAction[] {
    if (this.connection === "connecting") return [];
    if (this.connection === "down") {
      if (this.backlog === 0 || nowMs < this.reconnectAtMs) return [];
      this.connection = "connecting";
      return [{ type: "connect" }];
    }
    const actions: LinkAction[] = [];
    // Batches a broken stream left behind go first, in their order.
    for (const [seq, b] of this.inFlight) if (!b.sent) actions.push(this.transmit(seq, b, nowMs, true));
    while (this.queue.length > 0 && this.inFlight.size < this.config.inFlightMax) {
      const writes = this.queue.splice(0, this.config.batchMax);
      const seq = ++this.batchSeq;
      const b: Batch = { writes, dueAtMs: 0, resendMs: this.config.resendMsMin, sent: false };
      this.inFlight.set(seq, b);
      this.inFlightWrites += writes.length;
      actions.push(this.transmit(seq, b, nowMs, false));
    }
    return actions;
  }

  /** The stream asked for is open. */
  connected(nowMs: number): LinkAction[] {
    this.connection = "up";
    return this.pump(nowMs);
  }

  /** The stream broke (or could not open): keep every unacknowledged batch for the next one. */
  broken(nowMs: number): void {
    if (this.connection === "down") return;
    if (this.connection === "up") this.stats.reconnects++;
    this.connection = "down";
    for (const b of this.inFlight.values()) b.sent = false;
    this.reconnectAtMs = nowMs + this.reconnectMs;
    this.reconnectMs = Math.min(this.reconnectMs * 2, this.config.reconnectMsMax);
  }

  /** The peer took batch `batchSeq`; a duplicate or unknown ack changes nothing. */
  acked(batchSeq: number, nowMs: number): LinkAction[] {
    const b = this.inFlight.get(batchSeq);
    if (b === undefined) return [];
    this.inFlight.delete(batchSeq);
    this.inFlightWrites -= b.writes.length;
    this.reconnectMs = this.config.reconnectMsMin;
    return this.pump(nowMs);
  }

  /** Time passed: resend what is overdue, or reconnect once the backoff is over. */
  tick(nowMs: number): LinkAction[] {
    if (this.connection !== "up") return this.pump(nowMs);
    const actions: LinkAction[] = [];
    for (const [seq, b] of this.inFlight) {
      if (!b.sent || nowMs < b.dueAtMs) continue;
      this.stats.resent++;
      b.resendMs = Math.min(b.resendMs * 2, this.config.resendMsMax);
      actions.push(this.transmit(seq, b, nowMs, true));
    }
    return actions;
  }

  /** When `tick` should next run (undefined: nothing is waiting on time). */
  nextDeadline(): number | undefined {
    if (this.connection === "connecting") return undefined;
    if (this.connection === "down") return this.backlog > 0 ? this.reconnectAtMs : undefined;
    let next: number | undefined;
    for (const b of this.inFlight.values()) if (b.sent && (next === undefined || b.dueAtMs < next)) next = b.dueAtMs;
    return next;
  }

  private transmit(seq: number, b: Batch, nowMs: number, resend: boolean): LinkAction {
    b.sent = true;
    b.dueAtMs = nowMs + b.resendMs;
    this.stats.messages++;
    this.stats.writes += b.writes.length;
    return { type: "send", batchSeq: seq, writes: b.writes, resend };
  }
}
