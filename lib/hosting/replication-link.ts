// One outbound replication link: an ordered, batched, bounded-in-flight stream
// of writes from this host to one peer host, retried until acknowledged.
//
// Writes queue in order; a pump packs up to `batchMax` of them per message and
// keeps at most `inFlightMax` messages unacknowledged. When the stream breaks,
// the unacknowledged batches go back to the head of the queue and are resent
// after a backoff, so the peer may see a write twice: replicas apply by write
// id, so duplicates change nothing. A batch that stays unacknowledged past
// `ackTimeoutMs` (lost on the way) is sent again on the same stream.

import * as grpc from "@grpc/grpc-js";
import type { Write } from "../core/ledger.js";
import { writeToWire } from "../wire/write-codec.js";
import { banksim } from "../../generated/bank.js";

const pb = banksim.v1;

export interface LinkOptions {
  fromHost: number;
  address: string;
  batchMax: number;
  inFlightMax: number;
  backoffMsMin: number;
  backoffMsMax: number;
  ackTimeoutMs: number;
  log: (line: string) => void;
}

export class ReplicationLink {
  private readonly opts: LinkOptions;
  private readonly client: banksim.v1.ReplicationClient;
  private stream: grpc.ClientDuplexStream<banksim.v1.WriteBatch, banksim.v1.Ack> | undefined;
  private queue: Write[] = [];
  private readonly inFlight = new Map<number, Write[]>();
  private readonly sentAt = new Map<number, number>();
  private ackTimer: NodeJS.Timeout | undefined;
  private batchSeq = 0;
  private backoffMs: number;
  private pumpScheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Counters, for benchmarks. */
  messagesSent = 0;
  writesSent = 0;
  reconnects = 0;
  /** Batches sent again after their acknowledgement did not come in time. */
  resent = 0;

  constructor(opts: LinkOptions) {
    this.opts = opts;
    this.backoffMs = opts.backoffMsMin;
    this.client = new pb.ReplicationClient(opts.address, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
    });
  }

  /** Writes waiting or unacknowledged. */
  get backlog(): number {
    let n = this.queue.length;
    for (const b of this.inFlight.values()) n += b.length;
    return n;
  }

  send(write: Write): void {
    if (this.closed) return;
    this.queue.push(write);
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      // Let writes accepted in the same turn of the event loop share a message.
      setImmediate(() => {
        this.pumpScheduled = false;
        this.pump();
      });
    }
  }

  private open(): grpc.ClientDuplexStream<banksim.v1.WriteBatch, banksim.v1.Ack> {
    const stream = this.client.Replicate();
    stream.on("data", (ack: banksim.v1.Ack) => {
      this.inFlight.delete(Number(ack.batchSeq));
      this.sentAt.delete(Number(ack.batchSeq));
      this.backoffMs = this.opts.backoffMsMin;
      this.pump();
    });
    const broken = (why: string) => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      if (this.closed) return;
      this.reconnects++;
      // Resend everything unacknowledged, in the original order, ahead of newer writes.
      const unacked = [...this.inFlight.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, ws]) => ws);
      this.inFlight.clear();
      this.sentAt.clear();
      this.queue = unacked.concat(this.queue);
      this.opts.log(`link to ${this.opts.address} broke (${why}); resending ${unacked.length} writes in ${this.backoffMs} ms`);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.pump();
      }, this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, this.opts.backoffMsMax);
    };
    stream.on("error", (err: Error) => broken(err.message));
    stream.on("end", () => broken("peer ended the stream"));
    return stream;
  }

  private pump(): void {
    if (this.closed || this.retryTimer || this.queue.length === 0) return;
    this.stream ??= this.open();
    while (this.queue.length > 0 && this.inFlight.size < this.opts.inFlightMax) {
      const writes = this.queue.splice(0, this.opts.batchMax);
      const seq = ++this.batchSeq;
      this.inFlight.set(seq, writes);
      this.sentAt.set(seq, performance.now());
      this.armAckTimer();
      this.messagesSent++;
      this.writesSent += writes.length;
      this.stream.write(new pb.WriteBatch({ fromHost: this.opts.fromHost, batchSeq: seq, writes: writes.map(writeToWire) }));
    }
  }

  /** Checks now and then that the oldest batch in flight has not waited too long. */
  private armAckTimer(): void {
    if (this.ackTimer) return;
    this.ackTimer = setInterval(() => {
      if (this.sentAt.size === 0) {
        clearInterval(this.ackTimer);
        this.ackTimer = undefined;
        return;
      }
      const now = performance.now();
      for (const [seq, at] of this.sentAt) {
        const writes = this.inFlight.get(seq);
        if (now - at <= this.opts.ackTimeoutMs || !writes || !this.stream) continue;
        this.resent++;
        this.sentAt.set(seq, now);
        this.stream.write(new pb.WriteBatch({ fromHost: this.opts.fromHost, batchSeq: seq, writes: writes.map(writeToWire) }));
      }
    }, Math.max(10, this.opts.ackTimeoutMs / 4));
  }

  close(): void {
    this.closed = true;
    if (this.ackTimer) clearInterval(this.ackTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const s = this.stream;
    this.stream = undefined;
    s?.end();
    s?.cancel();
    this.client.close();
  }
}
