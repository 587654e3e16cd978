// A branch's durable state on disk: one write-ahead log per branch
// (<dir>/branch-<id>.wal). Each persist call is one log record (so records
// become durable in call order), holding the writes the branch applied and
// the outcomes of its customers' writes. Opening it recovers a Recovered
// state for Branch; the branch's own writes can be read back for a peer that
// missed them.

import { join } from "node:path";
import type { Durable, OpReply, Recovered } from "../core/branch.js";
import type { Write } from "../core/ledger.js";
import { REAL_DISK, type Disk } from "./disk.js";
import { decodeLog, encodeJson, WriteAheadLog, type StorageError, type Timers } from "./wal.js";

type Pairs = Array<[number, number]>;
interface WriteJson { o: number; s: number; k: "d" | "w"; a: number; d: Pairs; t: number; c?: number }
interface OutcomeJson { c: string; n: number; r: Omit<OpReply, "witness"> & { witness: Pairs } }
type RecordJson = Array<{ w: WriteJson } | { o: OutcomeJson }>;

function writeToJson(w: Write, deps: Pairs = [...w.deps]): WriteJson {
  const j: WriteJson = { o: w.id.branch, s: w.id.seq, k: w.kind === "deposit" ? "d" : "w", a: w.amountCents, d: deps, t: w.acceptedAtMs };
  if (w.clock !== undefined) j.c = w.clock;
  return j;
}

function writeFromJson(j: WriteJson): Write {
  const w: Write = { id: { branch: j.o, seq: j.s }, kind: j.k === "d" ? "deposit" : "withdraw", amountCents: j.a, deps: new Map(j.d), acceptedAtMs: j.t };
  if (j.c !== undefined) w.clock = j.c;
  return w;
}

function writeItemJson(w: Write): string {
  return JSON.stringify({ w: writeToJson(w) });
}

// Every replica on a host logs the same received write object: frame it (JSON
// and checksum) once, and let each replica's log append the same bytes. A
// received write is logged without its deps: the log keeps writes in the
// order this replica applied them, which met every dependency, so replaying
// it in that order needs none (and recovery resends only own writes, whose
// records keep theirs). A write under Writes Follow Reads carries its
// session's read set, which at 1,000 branches was most of every replica's log.
const framed = new WeakMap<Write, Buffer>();
function receivedWriteFrame(w: Write): Buffer {
  let frame = framed.get(w);
  if (frame === undefined) framed.set(w, (frame = encodeJson(`[${JSON.stringify({ w: writeToJson(w, []) })}]`)));
  return frame;
}

export class BranchStore {
  readonly path: string;
  private readonly wal: WriteAheadLog<RecordJson>;
  private readonly disk: Disk;
  /** Own writes read back so far for ownWritesAfter, and how far into the log that reading got. */
  private readonly own = { scannedBytes: 0, writes: [] as Write[] };

  private constructor(path: string, wal: WriteAheadLog<RecordJson>, disk: Disk) {
    this.path = path;
    this.wal = wal;
    this.disk = disk;
  }

  static open(dir: string, branchId: number, disk: Disk = REAL_DISK, timers?: Timers): { store: BranchStore; recovered: Recovered; cutBytes: number; cutReason?: string } {
    disk.mkdir(dir);
    const path = join(dir, `branch-${branchId}.wal`);
    const opened = WriteAheadLog.open<RecordJson>(path, disk, timers);
    const recovered: Recovered = { writes: [], outcomes: [] };
    const outcomes = new Map<string, Recovered["outcomes"][number]>();
    for (const record of opened.records) {
      for (const item of record) {
        if ("w" in item) recovered.writes.push(writeFromJson(item.w));
        else outcomes.set(item.o.c, { session: item.o.c, n: item.o.n, reply: { ...item.o.r, witness: new Map(item.o.r.witness) } });
      }
    }
    recovered.outcomes = [...outcomes.values()];
    const out: { store: BranchStore; recovered: Recovered; cutBytes: number; cutReason?: string } = {
      store: new BranchStore(path, opened.wal, disk), recovered, cutBytes: opened.cutBytes,
    };
    if (opened.cutReason) out.cutReason = opened.cutReason;
    return out;
  }

  /**
   * Queues writes from peers, one record each, unsynced; a torn tail among
   * them only costs a catch-up. A log closed under a late delivery loses
   * nothing that its origin cannot resend.
   */
  queue(writes: readonly Write[]): void {
    for (const w of writes) this.wal.queue(receivedWriteFrame(w));
  }

  /** Logs a decision's records, synced: resolves only once they are on disk. */
  persist(records: Durable[]): Promise<void> {
    // Own decisions go in one record, so the write and its outcome survive or vanish together.
    const items = records.map((r) =>
      r.kind === "write" ? writeItemJson(r.write) : JSON.stringify({ o: { c: r.session, n: r.n, r: { ...r.reply, witness: [...r.reply.witness] } } }));
    return this.wal.appendJson(`[${items.join(",")}]`);
  }

  /**
   * This branch's own writes after `seq`, from the log on disk, for a peer
   * catching up. Only records whose append has resolved: a decision whose
   * fdatasync is still running may yet be cut (a failed sync) or lost (a
   * power cut), and then its sequence number is given to another write, so a
   * peer must never hold it. The log is read once, incrementally, across calls.
   */
  ownWritesAfter(branchId: number, seq: number): Write[] {
    const end = this.wal.goodLength;
    if (end > this.own.scannedBytes) {
      const fresh = this.disk.read(this.path, this.own.scannedBytes, end);
      for (const record of decodeLog<RecordJson>(fresh).records) {
        for (const item of record) if ("w" in item && item.w.o === branchId) this.own.writes.push(writeFromJson(item.w));
      }
      this.own.scannedBytes = end;
    }
    return this.own.writes.filter((w) => w.id.seq > seq);
  }

  /**
   * This branch's own writes in its log, each with the request it decided
   * (the outcome logged in the same record), for the simulator's check that
   * every acknowledged write survives and no request ran twice.
   */
  ownDecisions(branchId: number): Array<{ write: Write; session?: string; n?: number }> {
    const out: Array<{ write: Write; session?: string; n?: number }> = [];
    for (const record of decodeLog<RecordJson>(this.disk.read(this.path, 0, this.wal.goodLength)).records) {
      const own = record.find((item): item is { w: WriteJson } => "w" in item && item.w.o === branchId);
      if (own === undefined) continue;
      const outcome = record.find((item): item is { o: OutcomeJson } => "o" in item);
      out.push(outcome === undefined ? { write: writeFromJson(own.w) } : { write: writeFromJson(own.w), session: outcome.o.c, n: outcome.o.n });
    }
    return out;
  }

  /** Calls `fn` once if the log fails: the branch must stop serving (see Branch.fail). */
  onFailure(fn: (err: StorageError) => void): void {
    this.wal.onFailure(fn);
  }

  get stats(): { appends: number; syncs: number } {
    return { appends: this.wal.appends, syncs: this.wal.syncs };
  }

  close(): Promise<void> {
    return this.wal.close();
  }

  /** Stops at once, as a crash would: appends not yet written are lost. */
  crash(): void {
    this.wal.crash();
  }
}
