// Big histories without a cluster: a generator of synthetic but valid
// history.jsonl records, for the checker's benchmark (`bench --case check-1m`)
// and its tests at scale. A million operations take seconds to make here and
// hours on real servers.
//
// It plays a replicated bank in which every guarantee holds: one global log
// of writes; each branch has applied a prefix of it (so its state is a
// version vector, exactly); a branch catches up to what the session depends
// on before it serves it (RYW, MR, MW, WFR), and to the head before it decides
// a write, so withdrawals are decided against every earlier write and never
// overdraw. Otherwise branches lag, and catch up every `syncEvery` operations.
// Apply records batch up to `applyBatch` writes per branch, as the real
// recorder merges them. Lamport clocks are kept as the real processes keep
// them (a session ticks per send; a branch on each receipt, and once per other
// branch when it decides a write). The checker must call every such history OK.

import { closeSync, openSync, writeSync } from "node:fs";
import { LamportClock, ranks, sendStamp } from "../core/lamport.js";
import { seededRandom } from "../core/random.js";
import type { AppliedWrite, HistoryRecord, VersionVectorJson } from "../history/types.js";

export interface SyntheticOptions {
  branches: number;
  sessions: number;
  operations: number;
  seed: number;
  /** Relative weights of deposits, withdrawals and queries (default 4/3/3, as `gen`). */
  mix?: { deposit: number; withdraw: number; query: number };
  initialBalanceCents?: number;
  /** Every this many operations every branch catches up to the head (default 1,000). */
  syncEvery?: number;
  /** Writes per apply record at most (default 256). */
  applyBatch?: number;
  /** Branches to send operations to, when not all (e.g. [1]: every write has origin 1). */
  targets?: number[];
}

interface Write {
  id: string;
  origin: number;
  seq: number;
  kind: "deposit" | "withdraw";
  amountCents: number;
  /** The origin's first propagation send. */
  clock: number;
}

interface BranchState {
  /** How much of the log it has applied (a prefix). */
  applied: number;
  vector: VersionVectorJson;
  balance: number;
  /** Applied writes not yet in an apply record, with this branch's clock at each. */
  pending: AppliedWrite[];
  lamport: LamportClock;
}

interface SessionState {
  name: string;
  ops: number;
  /** How much of the log its reads and writes depend on. */
  depends: number;
  writeSet: VersionVectorJson;
  readSet: VersionVectorJson;
  lamport: LamportClock;
}

type Kind = "deposit" | "withdraw" | "query";

const WALL_BASE_MS = 1_700_000_000_000;

/** The records of one synthetic run, in file order (meta first, finals last). */
export function* syntheticHistory(o: SyntheticOptions): Generator<HistoryRecord> {
  const bank = new SyntheticBank(o);
  yield bank.meta();
  for (let n = 1; n <= o.operations; n++) {
    if (!(yield* bank.operation(n))) break;
    if (n % bank.syncEvery === 0) yield* bank.catchUpAll();
  }
  yield* bank.settle();
  yield* bank.finals();
}

/** The bank the generator plays: one log of writes, branches that have applied a prefix of it, sessions. */
class SyntheticBank {
  readonly syncEvery: number;
  private readonly rand: () => number;
  private readonly mix: { deposit: number; withdraw: number; query: number };
  private readonly total: number;
  private readonly initial: number;
  private readonly batch: number;
  private readonly branchIds: number[];
  private readonly targets: number[];
  private clock = 0;
  private readonly log: Write[] = [];
  /** Per branch, the seq of the last write it issued. */
  private readonly issued = new Map<number, number>();
  private readonly branch: Map<number, BranchState>;
  private readonly sessions: SessionState[];
  private readonly rankOf: Map<number, number>;

  constructor(private readonly o: SyntheticOptions) {
    this.rand = seededRandom(o.seed);
    this.mix = o.mix ?? { deposit: 4, withdraw: 3, query: 3 };
    this.total = this.mix.deposit + this.mix.withdraw + this.mix.query;
    this.initial = o.initialBalanceCents ?? 40_000;
    this.syncEvery = o.syncEvery ?? 1_000;
    this.batch = o.applyBatch ?? 256;
    this.branchIds = Array.from({ length: o.branches }, (_, i) => i + 1);
    this.targets = o.targets ?? this.branchIds;
    this.rankOf = ranks(this.branchIds);
    this.branch = new Map(this.branchIds.map((b) => [b, { applied: 0, vector: {}, balance: this.initial, pending: [], lamport: new LamportClock() }]));
    this.sessions = Array.from({ length: o.sessions }, (_, i) => ({
      name: `c${i + 1}`, ops: 0, depends: 0, writeSet: {}, readSet: {}, lamport: new LamportClock(),
    }));
  }

  meta(): HistoryRecord {
    return {
      type: "meta", version: 1, source: `synthetic seed ${this.o.seed}`, branches: this.branchIds, initialBalanceCents: this.initial,
      guarantees: ["mw", "ryw", "mr", "wfr"], concurrent: true, wallMs: WALL_BASE_MS, monoMs: this.tick(),
    };
  }

  /** Operation n, from invocation to completion; false when there is no session or branch to run it. */
  *operation(n: number): Generator<HistoryRecord, boolean> {
    const session = this.sessions[Math.floor(this.rand() * this.sessions.length)] ?? this.sessions[0];
    const b = this.targets[Math.floor(this.rand() * this.targets.length)] ?? 1;
    const s = this.branch.get(b);
    if (session === undefined || s === undefined) return false;
    const r = this.rand() * this.total;
    const kind: Kind = r < this.mix.deposit ? "deposit" : r < this.mix.deposit + this.mix.withdraw ? "withdraw" : "query";
    const amountCents = kind === "query" ? 0 : 100 * (1 + Math.floor(this.rand() * 200));
    session.ops++;
    const sent = session.lamport.tick();
    yield {
      type: "invoke", op: n, session: session.name, requestId: `${session.name}#${session.ops}`, branch: b, kind, amountCents,
      writeSet: { ...session.writeSet }, readSet: { ...session.readSet }, wallMs: this.wall(), monoMs: this.tick(), clock: sent,
    };
    const received = s.lamport.receive(sent);
    // The session's dependencies first; a write also waits for the head.
    yield* this.catchUp(b, kind === "query" ? session.depends : this.log.length);
    const decided = kind === "query" ? undefined : yield* this.decide(b, s, session, kind, amountCents);
    yield this.complete(n, session, b, s, kind, decided, received);
    return true;
  }

  /** Every branch catches up to the head. */
  *catchUpAll(): Generator<HistoryRecord> {
    for (const id of this.branchIds) yield* this.catchUp(id, this.log.length);
  }

  /** The end of the run: every branch catches up and writes what it applied. */
  *settle(): Generator<HistoryRecord> {
    for (const id of this.branchIds) {
      yield* this.catchUp(id, this.log.length);
      yield* this.flush(id);
    }
  }

  *finals(): Generator<HistoryRecord> {
    for (const id of this.branchIds) {
      const s = this.branch.get(id);
      if (s !== undefined) yield { type: "final", branch: id, balanceCents: s.balance, applied: { ...s.vector } };
    }
  }

  /** A deposit, or a withdraw the balance covers, becomes the next write of the log, applied at once where it was decided. */
  private *decide(b: number, s: BranchState, session: SessionState, kind: "deposit" | "withdraw", amountCents: number): Generator<HistoryRecord, { result: "success" | "fail"; writeId: string | undefined }> {
    const result = kind === "deposit" || s.balance >= amountCents ? "success" : "fail";
    if (result === "fail") return { result, writeId: undefined };
    const seq = (this.issued.get(b) ?? 0) + 1;
    this.issued.set(b, seq);
    const writeId = `${b}.${seq}`;
    this.log.push({ id: writeId, origin: b, seq, kind, amountCents, clock: s.lamport.sends(this.branchIds.length - 1) });
    yield* this.catchUp(b, this.log.length);
    session.writeSet[String(b)] = seq;
    return { result, writeId };
  }

  /** The completion of operation n; the session learns what it read. */
  private complete(n: number, session: SessionState, b: number, s: BranchState, kind: Kind, decided: { result: "success" | "fail"; writeId: string | undefined } | undefined, received: number): HistoryRecord {
    const witness = { ...s.vector };
    if (kind !== "deposit") for (const [origin, k] of Object.entries(witness)) if ((session.readSet[origin] ?? 0) < k) session.readSet[origin] = k;
    session.depends = Math.max(session.depends, s.applied);
    const c: HistoryRecord = {
      type: "complete", op: n, session: session.name, branch: b, kind, status: "ok",
      gateWaitMs: 0, attempts: 1, wallMs: this.wall(), monoMs: this.tick(),
    };
    if (decided !== undefined) c.result = decided.result;
    if (decided?.writeId !== undefined) c.writeId = decided.writeId;
    if (kind !== "deposit") c.balanceCents = s.balance;
    c.witness = witness;
    c.branchClock = received;
    return c;
  }

  private *flush(b: number): Generator<HistoryRecord> {
    const s = this.branch.get(b);
    if (s === undefined || s.pending.length === 0) return;
    yield {
      type: "apply", branch: b, wallMs: this.wall(), monoMs: this.tick(),
      writes: s.pending,
    };
    s.pending = [];
  }

  /** Branch b applies the log up to (not including) `upTo`. */
  private *catchUp(b: number, upTo: number): Generator<HistoryRecord> {
    const s = this.branch.get(b);
    if (s === undefined) return;
    while (s.applied < upTo) {
      const w = this.log[s.applied++];
      if (w === undefined) break;
      s.vector[String(w.origin)] = w.seq;
      s.balance += w.kind === "deposit" ? w.amountCents : -w.amountCents;
      const clock = w.origin === b ? w.clock : s.lamport.receive(sendStamp(w.clock, w.origin, b, this.rankOf));
      s.pending.push({ id: w.id, kind: w.kind, amountCents: w.amountCents, clock });
      if (s.pending.length >= this.batch) yield* this.flush(b);
    }
  }

  private tick(): number {
    return (this.clock += 0.05);
  }

  private wall(): number {
    return WALL_BASE_MS + this.clock;
  }
}

/** Writes a synthetic history to `file` as history.jsonl, in 1 MiB writes; returns its size. */
export function writeSyntheticHistory(file: string, o: SyntheticOptions): { records: number; bytes: number } {
  const fd = openSync(file, "w");
  let records = 0;
  let bytes = 0;
  let chunk: string[] = [];
  let size = 0;
  const out = () => {
    const text = chunk.join("");
    bytes += writeSync(fd, text);
    chunk = [];
    size = 0;
  };
  try {
    for (const r of syntheticHistory(o)) {
      const line = JSON.stringify(r) + "\n";
      chunk.push(line);
      size += line.length;
      records++;
      if (size >= 1024 * 1024) out();
    }
    out();
  } finally {
    closeSync(fd);
  }
  return { records, bytes };
}
