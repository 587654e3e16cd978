// A bank branch, independent of how it is hosted or reached: it validates a
// customer request, holds it at the session gate until the session's
// guarantees can be met here, decides it on its ledger, and hands new writes to
// whoever propagates them. The gRPC layer (branch-server.ts) and the host
// (worker or process) wrap it; this file does no I/O.

import { AppliedWaiters, REAL_CLOCK, WaitersFull, WaitTimeout, type Clock } from "./applied-waiters.js";
import { gateNeed, GUARANTEE_TITLES } from "./gate.js";
import { Ledger, PendingFull, type Write } from "./ledger.js";
import { LamportClock, ranks, sendStamp } from "./lamport.js";
import { LOG_WRITE_IDS_MAX, MAX_AMOUNT_CENTS, MAX_CLOCK } from "./limits.js";
import { covers, formatWriteId, missingIds, type VersionVector, type WriteId } from "./version-vector.js";

export type OpKind = "deposit" | "withdraw" | "query";

export interface CustomerOp {
  requestId: string;
  session: string;
  kind: OpKind;
  amountCents: number;
  writeSet: VersionVector;
  readSet: VersionVector;
  /** Bit set of guarantees to enforce (gate.ts GUARANTEE_BITS). */
  guarantees: number;
  /** The customer's Lamport clock at this send (0 or absent: a customer that keeps none). */
  clock?: number;
}

export interface OpReply {
  branch: number;
  kind: OpKind;
  result: "success" | "fail";
  balanceCents: number;
  writeId?: WriteId;
  witness: VersionVector;
  gateWaitMs: number;
  replayed: boolean;
  /** The branch's Lamport clock at its receipt of the request (absent in outcomes logged before clocks were kept). */
  clock?: number;
}

export interface BranchState {
  branch: number;
  balanceCents: number;
  applied: VersionVector;
  issued: number;
  pending: number;
}

/**
 * invalid: the request can never succeed; gate: its guarantees could not be
 * met in time; stopping: shutting down; failed: the branch cannot store its
 * decisions any more and has stopped serving for good.
 */
export class BranchError extends Error {
  /** (busy: too many requests are waiting at this branch already; nothing ran.) */
  readonly code: "invalid" | "gate" | "stopping" | "failed" | "busy";
  constructor(code: BranchError["code"], message: string) {
    super(message);
    this.name = "BranchError";
    this.code = code;
  }
}

export interface BranchConfig {
  id: number;
  /** Every branch id in the cluster. */
  branchIds: readonly number[];
  initialBalanceCents: number;
  gateTimeoutMs: number;
  /** Time source; the real clock unless a simulator injects virtual time. */
  clock?: Clock;
  /** Lower bounds than limits.ts's, for tests: pending writes, waiting requests. */
  pendingMax?: number;
  waitersMax?: number;
}

/** What a durable branch logs before it lets anyone see it. */
export type Durable =
  | { kind: "write"; write: Write }
  | { kind: "outcome"; session: string; n: number; reply: OpReply };

/** A branch's state read back from its log. */
export interface Recovered {
  /** Every write it had applied, in the order it applied them. */
  writes: Write[];
  /** Each session's latest write outcome. */
  outcomes: Array<{ session: string; n: number; reply: OpReply }>;
}

export interface BranchHooks {
  /** A write this branch accepted as origin, now durable: send it to every other replica. */
  propagate(write: Write): void;
  /**
   * Writes this branch applied (its own once durable), in order, its own
   * included; `clocks[i]` is the Lamport clock of writes[i]'s event here: for
   * its own write, its first propagation send; for a peer's, its receipt.
   * For writes from peers, `balanceAfter` is the balance once they are
   * applied, and the hooks owe the replica's log its line, at this point
   * among its lines (applied-line.ts): built where the log is written, not
   * here, since a host's replicas share one list of write ids. Absent for its
   * own write (its request's line says it).
   */
  applied(writes: readonly Write[], clocks: readonly number[], balanceAfter?: number): void;
  /** Writes from peers this branch took but holds, waiting for their dependencies (recorded in the history for the report). */
  buffered?(writes: readonly Write[]): void;
  log(line: string): void;
  /** The branch failed for good (its log could not store a decision): the host must say so and stop the run. */
  failed?(reason: string): void;
  /**
   * Logs records in one append and resolves once they are on disk (with
   * everything queued before them). Optional: without it the branch keeps
   * everything in memory only. Resolutions must come in call order (a log
   * does that).
   */
  persist?(records: Durable[]): Promise<void>;
  /**
   * Queues writes from peers for the log, unsynced, after everything
   * persisted before (a log does that): nobody waits for them, and a failure
   * to store them must reach the branch another way (its `fail`). Called by
   * every replica for every write it receives, so it returns nothing.
   * Present exactly when `persist` is.
   */
  queue?(writes: readonly Write[]): void;
}

const REQUEST_ID = /^(.{1,200})#([1-9]\d{0,15})$/;

/**
 * What every branch of a cluster derives alike from its branch ids (the set
 * of them, their send order), built once per id list: 1,000 branches on a
 * host each holding their own copies was two million map entries.
 */
const shared = new WeakMap<readonly number[], { known: ReadonlySet<number>; rankOf: ReadonlyMap<number, number> }>();
function clusterOf(branchIds: readonly number[]): { known: ReadonlySet<number>; rankOf: ReadonlyMap<number, number> } {
  let c = shared.get(branchIds);
  if (c === undefined) shared.set(branchIds, (c = { known: new Set(branchIds), rankOf: ranks(branchIds) }));
  return c;
}

export class Branch {
  readonly id: number;
  private readonly ledger: Ledger;
  private readonly waiters: AppliedWaiters;
  private readonly known: ReadonlySet<number>;
  private readonly config: BranchConfig;
  private readonly hooks: BranchHooks;
  private readonly clock: Clock;
  /** Per session, its latest request and outcome: a session is sequential, so a retry is always of its latest. */
  private readonly lastRequest = new Map<string, { n: number; reply: Promise<OpReply> }>();
  private stopping = false;
  /** Why the branch stopped serving for good, once it has. */
  private failure: string | undefined;
  /** Resolves once everything logged so far is durable: no reply shows state that a crash could take back. */
  private durable: Promise<void> = Promise.resolve();
  /** This branch's Lamport clock (lamport.ts): ticks on every receipt and every propagation send. */
  private readonly lamport: LamportClock;
  /** Each branch id's position in ascending order: which of a write's sends reached this replica. */
  private readonly rankOf: ReadonlyMap<number, number>;

  constructor(config: BranchConfig & { recovered?: Recovered }, hooks: BranchHooks) {
    this.id = config.id;
    this.config = config;
    this.hooks = hooks;
    this.clock = config.clock ?? REAL_CLOCK;
    const cluster = clusterOf(config.branchIds);
    this.known = cluster.known;
    this.ledger = new Ledger(config.id, config.initialBalanceCents, config.pendingMax);
    this.waiters = new AppliedWaiters(() => this.ledger.appliedVector, this.clock, config.waitersMax);
    for (const w of config.recovered?.writes ?? []) this.ledger.replay(w);
    for (const o of config.recovered?.outcomes ?? []) this.lastRequest.set(o.session, { n: o.n, reply: Promise.resolve(o.reply) });
    this.rankOf = cluster.rankOf;
    this.lamport = new LamportClock(config.recovered ? this.recoveredClock(config.recovered) : 0);
  }

  /**
   * Where a restarted branch's clock resumes: the largest clock its log
   * shows (its replies' receipts, its own writes' last sends, the sends of
   * peers' writes it received). Receipts of peers' writes are not logged, so
   * the clock may resume below a value it had before the crash.
   */
  private recoveredClock(recovered: Recovered): number {
    let max = 0;
    const others = this.config.branchIds.length - 1;
    for (const w of recovered.writes) {
      const c = w.clock ?? 0;
      max = Math.max(max, w.id.branch === this.id ? c + Math.max(others - 1, 0) : sendStamp(c, w.id.branch, this.id, this.rankOf));
    }
    for (const o of recovered.outcomes) max = Math.max(max, o.reply.clock ?? 0);
    return max;
  }

  /** The last write of `origin` applied here (0: none). */
  appliedSeq(origin: number): number {
    return this.ledger.appliedVector.get(origin) ?? 0;
  }

  /** The branch's Lamport clock now. */
  get lamportClock(): number {
    return this.lamport.value;
  }

  /**
   * What a branch decides (its own writes, its customers' outcomes) must be
   * on disk before anyone sees it: its write ids and answers are promises
   * only it can keep. What it received from peers need not wait for the disk:
   * a replica that loses the end of its log in a crash fetches those writes
   * again from their origins, whose logs have them (`hooks.queue`).
   */
  private persist(records: Durable[]): Promise<void> {
    if (!this.hooks.persist) return this.durable;
    return (this.durable = this.hooks.persist(records));
  }

  state(): BranchState {
    return {
      branch: this.id,
      balanceCents: this.ledger.balanceCents,
      applied: this.ledger.snapshot(),
      issued: this.ledger.issued,
      pending: this.ledger.pendingWrites,
    };
  }

  /** Serves a customer request; retries of a request get its original outcome. */
  serve(op: CustomerOp): Promise<OpReply> {
    if (this.failure !== undefined) return Promise.reject(this.failedError());
    if (this.stopping) return Promise.reject(new BranchError("stopping", `branch ${this.id} is shutting down`));
    const m = REQUEST_ID.exec(op.requestId);
    if (!m || m[1] !== op.session) {
      return Promise.reject(new BranchError("invalid", `request id must be "<session>#<n>" for session ${JSON.stringify(op.session)}, found ${JSON.stringify(op.requestId)}`));
    }
    const n = Number(m[2]);
    const last = this.lastRequest.get(op.session);
    if (last && last.n === n) return last.reply.then((r) => ({ ...r, replayed: true }));
    if (last && last.n > n) {
      return Promise.reject(new BranchError("invalid", `request ${op.requestId} is older than this session's latest (#${last.n}); its outcome is no longer kept`));
    }
    // The receipt is an event of this branch whatever comes of the request.
    const received = this.lamport.receive(Math.min(op.clock ?? 0, MAX_CLOCK));
    const reply = this.execute(op, n, received);
    const entry = { n, reply };
    this.lastRequest.set(op.session, entry);
    // A refused attempt executed nothing: forget it, so that a retry runs afresh.
    reply.catch(() => {
      if (this.lastRequest.get(op.session) === entry) this.lastRequest.delete(op.session);
    });
    return reply;
  }

  private async execute(op: CustomerOp, n: number, received: number): Promise<OpReply> {
    this.validate(op);
    const need = gateNeed(op.kind, op.guarantees, op.writeSet, op.readSet);
    const started = this.clock.now();
    // A request served at once waited nothing (not the clock's noise between two readings).
    const held = !this.ledger.covers(need.required);
    if (held) {
      try {
        await this.waiters.wait(need.required, this.config.gateTimeoutMs);
      } catch (err) {
        if (err instanceof WaitersFull) throw new BranchError("busy", `branch ${this.id} is busy: ${err.message}`);
        if (err instanceof WaitTimeout) {
          const rules = need.reasons.map((g) => GUARANTEE_TITLES[g]).join(" + ");
          throw new BranchError("gate", `branch ${this.id} has not applied ${err.missing.join(", ")} that session ${op.session} needs for ${rules} (${err.message})`);
        }
        throw err;
      }
    }
    const gateWaitMs = held ? this.clock.now() - started : 0;
    if (this.stopping) throw new BranchError("stopping", `branch ${this.id} is shutting down`);
    if (op.kind === "query") {
      const reply = this.reply(op, "success", this.ledger.balanceCents, undefined, gateWaitMs, received);
      await this.stored(this.durable);
      return reply;
    }
    if (op.kind === "deposit" && this.ledger.balanceCents + op.amountCents > Number.MAX_SAFE_INTEGER) {
      throw new BranchError("invalid", `a deposit of ${op.amountCents} cents would take branch ${this.id}'s balance of ${this.ledger.balanceCents} cents past 2^53 - 1, beyond which it cannot be exact`);
    }
    // A write is sent to every other branch, one send event each (lamport.ts).
    const sends = () => this.lamport.sends(this.config.branchIds.length - 1);
    const decision = this.ledger.decide(op.kind, op.amountCents, need.deps, this.clock.wallNow(), sends);
    const reply = this.reply(op, decision.result, decision.balanceCents, decision.write?.id, gateWaitMs, received);
    // Log the write and the outcome (so a retry after a crash gets it) before
    // anyone sees them: the reply, the peers, the requests waiting for it.
    const write = decision.write;
    const records: Durable[] = write ? [{ kind: "write", write }] : [];
    records.push({ kind: "outcome", session: op.session, n, reply });
    const durable = this.persist(records);
    if (write) this.waiters.notify();
    await this.stored(durable);
    if (write) {
      this.hooks.applied([write], [write.clock ?? 0]);
      this.hooks.propagate(write);
    }
    return reply;
  }

  private reply(op: CustomerOp, result: OpReply["result"], balanceCents: number, writeId: WriteId | undefined, gateWaitMs: number, clock: number): OpReply {
    const reply: OpReply = { branch: this.id, kind: op.kind, result, balanceCents, witness: this.ledger.snapshot(), gateWaitMs, replayed: false, clock };
    if (writeId) reply.writeId = writeId;
    const what = op.kind === "query" ? "" : ` ${op.amountCents}c`;
    this.hooks.log(`${op.requestId} ${op.kind}${what} -> ${result}${writeId ? ` ${formatWriteId(writeId)}` : ""} balance=${this.ledger.balanceCents}c gate=${gateWaitMs.toFixed(1)}ms`);
    return reply;
  }

  private validate(op: CustomerOp): void {
    if (op.kind !== "query") {
      if (!Number.isSafeInteger(op.amountCents) || op.amountCents < 0 || op.amountCents > MAX_AMOUNT_CENTS) {
        throw new BranchError("invalid", `${op.kind} amount must be whole cents between 0 and ${MAX_AMOUNT_CENTS}, found ${op.amountCents}`);
      }
    }
    for (const [name, set] of [["write set", op.writeSet], ["read set", op.readSet]] as const) {
      for (const [origin, seq] of set) {
        if (!this.known.has(origin)) throw new BranchError("invalid", `${name} names write ${origin}.${seq} of unknown branch ${origin}`);
        if (origin === this.id && seq > this.ledger.issued) {
          throw new BranchError("invalid", `${name} names write ${origin}.${seq}, but branch ${this.id} has issued only ${this.ledger.issued}`);
        }
      }
    }
  }

  /**
   * Takes writes from peers (any order, duplicates allowed). Resolves once
   * those it could apply are applied and queued for its log (if it keeps one);
   * rejects with PendingFull if it could not take them all.
   */
  receive(writes: readonly Write[]): Promise<void> {
    const refused = this.take(writes);
    return refused === undefined ? Promise.resolve() : Promise.reject(refused);
  }

  /**
   * `receive`, done at once: what it could apply is applied, queued for its
   * log and reported before this returns. Returns why it could not take them
   * all (they are not acknowledged, so the sender resends the batch once room
   * is made), or undefined. A received write waits for no disk (see
   * `persist`), so there is nothing to wait for: a host fanning a batch out
   * to hundreds of replicas makes no promise per replica.
   */
  take(writes: readonly Write[]): PendingFull | undefined {
    let applied: Write[] | undefined;
    let held: Write[] | undefined;
    let refused: PendingFull | undefined;
    for (const w of writes) {
      if (!this.known.has(w.id.branch)) {
        this.hooks.log(`dropped write ${formatWriteId(w.id)} from unknown branch ${w.id.branch}`);
        continue;
      }
      try {
        const heldBefore = this.ledger.holds(w.id);
        const now = this.ledger.receive(w);
        if (now.length > 0) applied = applied === undefined ? now : applied.concat(now);
        if (!heldBefore && this.ledger.holds(w.id)) {
          this.hooks.log(this.holdLine(w));
          (held ??= []).push(w);
        }
      } catch (err) {
        if (!(err instanceof PendingFull)) throw err;
        refused ??= err;
      }
    }
    if (held !== undefined) this.hooks.buffered?.(held);
    if (applied !== undefined) this.tookApplied(applied);
    if (refused !== undefined) this.hooks.log(refused.message);
    return refused;
  }

  /** Writes from peers applied here: their receipts, the report (with its log line) and their records. */
  private tookApplied(applied: readonly Write[]): void {
    // Each write applied here is the receipt of the send that reached this replica.
    const clocks = applied.map((w) => this.lamport.receive(Math.min(sendStamp(w.clock ?? 0, w.id.branch, this.id, this.rankOf), MAX_CLOCK)));
    this.hooks.applied(applied, clocks, this.ledger.balanceCents);
    // Unsynced: a failure to store them comes through the log's own failure (the branch fails), not here.
    this.hooks.queue?.(applied);
    this.waiters.notify();
  }

  /** "replica 3 holds 2.1 until 1.1 arrives": what a buffered write waits for (an earlier write of its origin, or its dependencies). */
  private holdLine(w: Write): string {
    const need: VersionVector = new Map(w.deps);
    if (w.id.seq > 1) need.set(w.id.branch, Math.max(need.get(w.id.branch) ?? 0, w.id.seq - 1));
    const missing = missingIds(this.ledger.appliedVector as VersionVector, need, LOG_WRITE_IDS_MAX);
    const verb = missing.length === 1 ? "arrives" : "arrive";
    return `replica ${this.id} holds ${formatWriteId(w.id)} until ${missing.join(", ")} ${verb}`;
  }

  /** Resolves with the state once every write in `need` is applied here. */
  async awaitApplied(need: VersionVector, timeoutMs: number): Promise<BranchState> {
    if (!covers(this.ledger.appliedVector as VersionVector, need)) {
      try {
        await this.waiters.wait(need, timeoutMs);
      } catch (err) {
        if (err instanceof WaitersFull) throw new BranchError("busy", `branch ${this.id} is busy: ${err.message}`);
        if (err instanceof WaitTimeout) throw new BranchError("gate", `branch ${this.id} ${err.message}`);
        throw err;
      }
    }
    await this.stored(this.durable);
    return this.state();
  }

  /**
   * A decision that could not be stored was applied here in memory only: no
   * reply, peer or later decision may ever see it, and a retry must not decide
   * the request again. So the branch stops serving, for good, and says why;
   * a restart recovers it from what its log does hold.
   */
  fail(reason: string): void {
    if (this.failure !== undefined) return;
    this.failure = reason;
    this.hooks.log(`branch ${this.id} stops serving: ${reason}`);
    this.waiters.rejectAll(this.failedError());
    this.hooks.failed?.(reason);
  }

  get failedReason(): string | undefined {
    return this.failure;
  }

  private failedError(): BranchError {
    return new BranchError("failed", `branch ${this.id} has stopped serving: it cannot store its decisions (${this.failure ?? ""})`);
  }

  /** Waits for a persist; if it failed, the branch fails (see `fail`) and the request gets that error. */
  private async stored(persisted: Promise<void>): Promise<void> {
    try {
      await persisted;
    } catch (err) {
      this.fail((err as Error).message);
      throw this.failedError();
    }
  }

  stop(): void {
    this.stopping = true;
    this.waiters.rejectAll(new BranchError("stopping", `branch ${this.id} is shutting down`));
  }
}
