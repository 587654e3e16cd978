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
// recorder merges them. The checker must call every such history OK.

import { closeSync, openSync, writeSync } from "node:fs";
import { seededRandom } from "../core/random.js";
import type { HistoryRecord, VersionVectorJson } from "../history/types.js";

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
}

interface Write {
  id: string;
  origin: number;
  seq: number;
  kind: "deposit" | "withdraw";
  amountCents: number;
}

/** The records of one synthetic run, in file order (meta first, finals last). */
export function* syntheticHistory(o: SyntheticOptions): Generator<HistoryRecord> {
  const rand = seededRandom(o.seed);
  const mix = o.mix ?? { deposit: 4, withdraw: 3, query: 3 };
  const total = mix.deposit + mix.withdraw + mix.query;
  const initial = o.initialBalanceCents ?? 40_000;
  const syncEvery = o.syncEvery ?? 1_000;
  const batch = o.applyBatch ?? 256;
  const branchIds = Array.from({ length: o.branches }, (_, i) => i + 1);
  const wallBase = 1_700_000_000_000;
  let clock = 0;
  const tick = () => (clock += 0.05);

  yield {
    type: "meta", version: 1, source: `synthetic seed ${o.seed}`, branches: branchIds, initialBalanceCents: initial,
    guarantees: ["mw", "ryw", "mr", "wfr"], concurrent: true, wallMs: wallBase, monoMs: tick(),
  };

  const log: Write[] = [];
  const issued = new Map<number, number>();
  const branch = new Map(branchIds.map((b) => [b, { applied: 0, vector: {} as VersionVectorJson, balance: initial, pending: [] as Write[] }]));
  const sessions = Array.from({ length: o.sessions }, (_, i) => ({
    name: `c${i + 1}`, ops: 0, depends: 0, writeSet: {} as VersionVectorJson, readSet: {} as VersionVectorJson,
  }));

  function* flush(b: number): Generator<HistoryRecord> {
    const s = branch.get(b);
    if (s === undefined || s.pending.length === 0) return;
    yield {
      type: "apply", branch: b, wallMs: wallBase + clock, monoMs: tick(),
      writes: s.pending.map((w) => ({ id: w.id, kind: w.kind, amountCents: w.amountCents })),
    };
    s.pending = [];
  }

  /** Branch b applies the log up to (not including) `upTo`. */
  function* catchUp(b: number, upTo: number): Generator<HistoryRecord> {
    const s = branch.get(b);
    if (s === undefined) return;
    while (s.applied < upTo) {
      const w = log[s.applied++];
      if (w === undefined) break;
      s.vector[String(w.origin)] = w.seq;
      s.balance += w.kind === "deposit" ? w.amountCents : -w.amountCents;
      s.pending.push(w);
      if (s.pending.length >= batch) yield* flush(b);
    }
  }

  for (let n = 1; n <= o.operations; n++) {
    const session = sessions[Math.floor(rand() * sessions.length)] ?? sessions[0];
    const b = branchIds[Math.floor(rand() * branchIds.length)] ?? 1;
    const s = branch.get(b);
    if (session === undefined || s === undefined) break;
    const r = rand() * total;
    const kind = r < mix.deposit ? "deposit" : r < mix.deposit + mix.withdraw ? "withdraw" : "query";
    const amountCents = kind === "query" ? 0 : 100 * (1 + Math.floor(rand() * 200));
    session.ops++;
    yield {
      type: "invoke", op: n, session: session.name, requestId: `${session.name}#${session.ops}`, branch: b, kind, amountCents,
      writeSet: { ...session.writeSet }, readSet: { ...session.readSet }, wallMs: wallBase + clock, monoMs: tick(),
    };
    // The session's dependencies first; a write also waits for the head.
    yield* catchUp(b, kind === "query" ? session.depends : log.length);
    let result: "success" | "fail" | undefined;
    let writeId: string | undefined;
    if (kind !== "query") {
      result = kind === "deposit" || s.balance >= amountCents ? "success" : "fail";
      if (result === "success") {
        const seq = (issued.get(b) ?? 0) + 1;
        issued.set(b, seq);
        writeId = `${b}.${seq}`;
        log.push({ id: writeId, origin: b, seq, kind, amountCents });
        yield* catchUp(b, log.length);
        session.writeSet[String(b)] = seq;
      }
    }
    const witness = { ...s.vector };
    if (kind !== "deposit") for (const [origin, k] of Object.entries(witness)) if ((session.readSet[origin] ?? 0) < k) session.readSet[origin] = k;
    session.depends = Math.max(session.depends, s.applied);
    const c: HistoryRecord = {
      type: "complete", op: n, session: session.name, branch: b, kind, status: "ok",
      gateWaitMs: 0, attempts: 1, wallMs: wallBase + clock, monoMs: tick(),
    };
    if (result !== undefined) c.result = result;
    if (writeId !== undefined) c.writeId = writeId;
    if (kind !== "deposit") c.balanceCents = s.balance;
    c.witness = witness;
    yield c;
    if (n % syncEvery === 0) for (const id of branchIds) yield* catchUp(id, log.length);
  }
  for (const id of branchIds) {
    yield* catchUp(id, log.length);
    yield* flush(id);
  }
  for (const id of branchIds) {
    const s = branch.get(id);
    if (s !== undefined) yield { type: "final", branch: id, balanceCents: s.balance, applied: { ...s.vector } };
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
