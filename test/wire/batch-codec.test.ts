// The direct codec of the replication stream (lib/wire/batch-codec.ts)
// against the generated WriteBatch class: the same bytes out for every batch,
// the same fields back from any bytes, a refusal exactly where the wire guard
// refuses; and a write the ledger makes crosses it exactly.

import fc from "fast-check";
import t from "tap";
import type { Write } from "../../lib/core/ledger.js";
import { decodeWriteBatch, encodeWriteBatch, type WriteFields, type WriteBatchFields } from "../../lib/wire/batch-codec.js";
import { pb } from "../../lib/wire/pb.js";
import { WRITE_BATCH } from "../../lib/wire/wire-guard.js";
import { writeToFields, writeFromWire } from "../../lib/wire/write-codec.js";
import { mutated, optional, plainVector, readsLikeTheGeneratedClass, safe, same, SEED, soup, u32, uSafe, vector } from "../helpers/wire-soup.js";

const write: fc.Arbitrary<WriteFields> = fc.record({
  id: optional(fc.record({ branch: u32, seq: u32 })), interface: fc.integer({ min: -3, max: 200 }), amountCents: safe,
  deps: optional(vector), acceptedAtMs: fc.oneof(fc.double(), fc.constantFrom(0, -0, Number.NaN, 1_796_186_121_687.25)), clock: uSafe,
});
const batch: fc.Arbitrary<WriteBatchFields> = fc.record({ fromHost: u32, batchSeq: uSafe, writes: fc.array(write, { maxLength: 5 }) });

const generatedWrite = (w: WriteFields) =>
  new pb.Write({ ...w, id: w.id && new pb.WriteId(w.id), deps: w.deps && new pb.VersionVector(w.deps) });
const generated = (b: WriteBatchFields) => new pb.WriteBatch({ ...b, writes: b.writes.map(generatedWrite) });

/** The fields the generated class read, as plain values. */
function fieldsOf(m: InstanceType<typeof pb.WriteBatch>): WriteBatchFields {
  return {
    fromHost: m.fromHost, batchSeq: m.batchSeq,
    writes: m.writes.map((w) => ({
      id: w.hasId ? { branch: w.id.branch, seq: w.id.seq } : undefined, interface: w.interface, amountCents: w.amountCents,
      deps: w.hasDeps ? plainVector(w.deps) : undefined, acceptedAtMs: w.acceptedAtMs, clock: w.clock,
    })),
  };
}

t.test("a batch encodes to the generated class's bytes, byte for byte, and reads back as it reads them", async (t) => {
  fc.assert(fc.property(batch, (b) => Buffer.from(generated(b).serialize()).equals(encodeWriteBatch(b))), { numRuns: 2_000, seed: SEED });
  fc.assert(fc.property(batch, (b) => {
    const bytes = generated(b).serialize();
    return same(decodeWriteBatch(bytes), fieldsOf(pb.WriteBatch.deserialize(bytes)));
  }), { numRuns: 2_000, seed: SEED });
  t.pass("checked on random batches");
});

t.test("a write the ledger decides crosses the stream exactly", async (t) => {
  const w: Write = { id: { branch: 7, seq: 12 }, kind: "withdraw", amountCents: 9_007_199_254_740, deps: new Map([[3, 4], [9, 2]]), acceptedAtMs: 1_796_186_121_687.325, clock: 41 };
  const [back] = decodeWriteBatch(encodeWriteBatch({ fromHost: 2, batchSeq: 5, writes: [writeToFields(w)] })).writes;
  t.same(writeFromWire(back!), w);
});

t.test("on any bytes, a batch is refused exactly where the wire guard refuses it, and otherwise reads as google-protobuf reads it", async (t) => {
  const encoded = batch.map(encodeWriteBatch);
  fc.assert(fc.property(fc.oneof(soup(encoded), mutated(encoded), fc.uint8Array({ maxLength: 60 })),
    readsLikeTheGeneratedClass(WRITE_BATCH, decodeWriteBatch, (b) => fieldsOf(pb.WriteBatch.deserialize(b)))), { numRuns: 5_000, seed: SEED });
  t.pass("checked on random and mutated bytes");
});
