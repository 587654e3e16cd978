// Builds hand-written histories for checker tests. It plays a tiny cluster:
// each branch holds the writes it applied, in order; a write is applied at its
// origin when accepted; `apply` propagates writes to other branches; `sync`
// brings every branch up to date. Witnesses, balances and final records are
// derived from that state unless a test overrides them (a lying branch, a
// stale read). Times come from one counter, so every op completes before the
// next one is invoked unless a test says otherwise. Lamport clocks are played
// as the real processes keep them: a session ticks per send, a branch on each
// receipt and on each propagation send (one per other branch, stamped when it
// accepts the write).

import { LamportClock, ranks, sendStamp } from "../../lib/core/lamport.js";
import type { AppliedWrite, CompleteRecord, HistoryRecord, VersionVectorJson } from "../../lib/history/types.js";

type Kind = "deposit" | "withdraw";
interface Write {
  id: string;
  kind: Kind;
  amountCents: number;
}

export interface OpOptions {
  /** Completion status; "info" with `applied: true` means it took effect unseen. */
  status?: "ok" | "fail" | "info";
  applied?: boolean;
  /** Override the witness / balance the branch returns. */
  witness?: VersionVectorJson;
  balance?: number;
  /** Withdraws: force the decision instead of deciding on the branch's balance. */
  result?: "success" | "fail";
}

export interface Opened {
  op: number;
  id?: string;
}

export class HistoryBuilder {
  private clock = 0;
  private nextOp = 1;
  private readonly seq = new Map<number, number>();
  private readonly balances = new Map<number, number>();
  private readonly vectors = new Map<number, VersionVectorJson>();
  private readonly writes = new Map<string, Write>();
  private readonly out: HistoryRecord[] = [];
  private readonly finalOverrides = new Map<number, { balanceCents?: number; applied?: VersionVectorJson }>();
  private readonly sessionClocks = new Map<string, LamportClock>();
  private readonly branchClocks = new Map<number, LamportClock>();
  /** Each issued write's first send clock at its origin. */
  private readonly firstSends = new Map<string, number>();
  private readonly rankOf: Map<number, number>;

  constructor(
    private readonly opts: { branches: number[]; initial: number; guarantees?: string[]; concurrent?: boolean },
  ) {
    for (const b of opts.branches) this.vectors.set(b, {});
    this.rankOf = ranks(opts.branches);
    this.out.push({
      type: "meta",
      version: 1,
      source: "test",
      branches: opts.branches,
      initialBalanceCents: opts.initial,
      guarantees: opts.guarantees ?? [],
      concurrent: opts.concurrent ?? false,
      wallMs: 0,
      monoMs: this.tick(),
    });
  }

  private tick(): number {
    return ++this.clock;
  }

  private clockOf<K>(map: Map<K, LamportClock>, key: K): LamportClock {
    let c = map.get(key);
    if (!c) map.set(key, (c = new LamportClock()));
    return c;
  }

  balanceAt(branch: number): number {
    return this.balances.get(branch) ?? this.opts.initial;
  }

  vectorAt(branch: number): VersionVectorJson {
    return { ...this.vectors.get(branch) };
  }

  deposit(session: string, branch: number, amountCents: number, o: OpOptions = {}): Opened {
    return this.run(session, branch, "deposit", amountCents, o);
  }

  withdraw(session: string, branch: number, amountCents: number, o: OpOptions = {}): Opened {
    return this.run(session, branch, "withdraw", amountCents, o);
  }

  query(session: string, branch: number, o: OpOptions = {}): Opened {
    return this.run(session, branch, "query", 0, o);
  }

  /** Branch `branch` applies these already-issued writes, in this order. */
  apply(branch: number, ...ids: string[]): this {
    const writes = ids.map((id) => {
      const w = this.writes.get(id);
      if (w === undefined) throw new Error(`history-builder: no write ${id} was issued`);
      return w;
    });
    return this.applyRaw(branch, ...writes);
  }

  /** Branch `branch` applies arbitrary writes (duplicates, writes nobody issued). */
  applyRaw(branch: number, ...writes: Write[]): this {
    const v = this.vectors.get(branch) ?? {};
    let balance = this.balanceAt(branch);
    const clocked: AppliedWrite[] = [];
    for (const w of writes) {
      const [origin = "", seq = "0"] = w.id.split(".");
      v[origin] = Math.max(v[origin] ?? 0, Number(seq));
      balance += w.kind === "deposit" ? w.amountCents : -w.amountCents;
      const first = this.firstSends.get(w.id);
      const clock = Number(origin) === branch && first !== undefined
        ? first
        : this.clockOf(this.branchClocks, branch).receive(sendStamp(first ?? 0, Number(origin), branch, this.rankOf));
      clocked.push({ ...w, clock });
    }
    this.vectors.set(branch, v);
    this.balances.set(branch, balance);
    this.out.push({ type: "apply", branch, writes: clocked, wallMs: 0, monoMs: this.tick() });
    return this;
  }

  /** Every branch applies every issued write it lacks, in issue order. */
  sync(): this {
    for (const b of this.opts.branches) {
      const v = this.vectors.get(b) ?? {};
      const missing = [...this.writes.keys()].filter((id) => {
        const [origin = "", seq = "0"] = id.split(".");
        return (v[origin] ?? 0) < Number(seq);
      });
      if (missing.length > 0) this.apply(b, ...missing);
    }
    return this;
  }

  final(branch: number, override: { balanceCents?: number; applied?: VersionVectorJson }): this {
    this.finalOverrides.set(branch, override);
    return this;
  }

  records(opts: { finals?: boolean } = {}): HistoryRecord[] {
    const finals: HistoryRecord[] =
      opts.finals === false
        ? []
        : this.opts.branches.map((b) => ({
            type: "final" as const,
            branch: b,
            balanceCents: this.finalOverrides.get(b)?.balanceCents ?? this.balanceAt(b),
            applied: this.finalOverrides.get(b)?.applied ?? this.vectorAt(b),
          }));
    return [...this.out, ...finals];
  }

  private run(session: string, branch: number, kind: Kind | "query", amountCents: number, o: OpOptions): Opened {
    const op = this.nextOp++;
    const sent = this.clockOf(this.sessionClocks, session).tick();
    this.out.push({
      type: "invoke",
      op,
      session,
      requestId: `${session}#${op}`,
      branch,
      kind,
      amountCents,
      writeSet: {},
      readSet: {},
      wallMs: 0,
      monoMs: this.tick(),
      clock: sent,
    });
    const status = o.status ?? "ok";
    const branchClock = this.clockOf(this.branchClocks, branch).receive(sent);
    let id: string | undefined;
    let result: "success" | "fail" | undefined;
    const executes = status === "ok" || (status === "info" && o.applied === true);
    if (kind !== "query" && executes) {
      const covered = kind === "deposit" || this.balanceAt(branch) >= amountCents;
      result = o.result ?? (covered ? "success" : "fail");
      if (result === "success") {
        const n = (this.seq.get(branch) ?? 0) + 1;
        this.seq.set(branch, n);
        id = `${branch}.${n}`;
        const w: Write = { id, kind, amountCents };
        this.writes.set(id, w);
        this.firstSends.set(id, this.clockOf(this.branchClocks, branch).sends(this.opts.branches.length - 1));
        this.applyRaw(branch, w);
      }
    }
    const c: CompleteRecord = {
      type: "complete",
      op,
      session,
      branch,
      kind,
      status,
      gateWaitMs: 0,
      attempts: 1,
      wallMs: 0,
      monoMs: this.tick(),
    };
    if (status === "ok") {
      if (result !== undefined) c.result = result;
      if (id !== undefined) c.writeId = id;
      if (kind !== "deposit") c.balanceCents = o.balance ?? this.balanceAt(branch);
      c.witness = o.witness ?? this.vectorAt(branch);
      c.branchClock = branchClock;
    }
    this.out.push(c);
    return id === undefined ? { op } : { op, id };
  }
}
