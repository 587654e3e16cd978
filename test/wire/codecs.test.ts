// bank-sim's own wire conversions: version vectors as packed arrays, writes
// as protobuf messages, and the checks that refuse what no honest peer sends.
// Each property is checked on random values through real serialize/deserialize.

import fc from "fast-check";
import t from "tap";
import type { Write } from "../../lib/core/ledger.js";
import { MAX_VECTOR_ENTRIES } from "../../lib/core/limits.js";
import { addWrite, type VersionVector } from "../../lib/core/version-vector.js";
import { pb } from "../../lib/wire/pb.js";
import { fromWire, toWire } from "../../lib/wire/vector-codec.js";
import { wireVectorProblem, writeFromWire, writeToWire } from "../../lib/wire/write-codec.js";

const vector = fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 2 ** 32 - 1 })), { selector: ([b]) => b, maxLength: 50 })
  .map((entries) => new Map(entries) as VersionVector);

const throughBytes = (vv: VersionVector) => pb.VersionVector.deserialize(toWire(vv).serialize());

t.test("a version vector survives the wire exactly, entry for entry", async (t) => {
  fc.assert(fc.property(vector, (vv) => {
    const back = fromWire(throughBytes(vv));
    return back.size === vv.size && [...vv].every(([b, s]) => back.get(b) === s);
  }));
  t.pass("checked on random vectors");
});

t.test("zero entries are left off the wire and an absent vector is empty", async (t) => {
  const msg = toWire(new Map([[1, 0], [2, 5]]));
  t.same([...msg.branches], [2]);
  t.same([...msg.seqs], [5]);
  t.equal(fromWire(undefined).size, 0);
});

t.test("a vector whose arrays differ in length is reported, naming the field", async (t) => {
  const bad = new pb.VersionVector({ branches: [1, 2, 3], seqs: [1, 2] });
  t.match(wireVectorProblem(bad, "write set"), /^write set has 3 branches but 2 seqs/);
  // The decoder itself never reads past the shorter array.
  t.same([...fromWire(bad)], [[1, 1], [2, 2]]);
  t.match(wireVectorProblem(new pb.VersionVector({ branches: [4, 4], seqs: [1, 2] }), "deps"), /deps names branch 4 more than once/);
  const long = Array.from({ length: MAX_VECTOR_ENTRIES + 1 }, (_, i) => i + 1);
  t.match(wireVectorProblem(new pb.VersionVector({ branches: long, seqs: long }), "read set"), /at most 2000/);
  t.equal(wireVectorProblem(toWire(new Map([[1, 3]])), "read set"), undefined);
});

const write = fc.record({
  id: fc.record({ branch: fc.integer({ min: 1, max: 2000 }), seq: fc.integer({ min: 1, max: 2 ** 32 - 1 }) }),
  kind: fc.constantFrom("deposit" as const, "withdraw" as const),
  amountCents: fc.integer({ min: 0, max: 10_000_000_000_000 }),
  deps: vector,
  acceptedAtMs: fc.integer({ min: 0, max: 2 ** 47 }),
  clock: fc.integer({ min: 0, max: 2 ** 52 }),
});

t.test("a write survives the wire exactly", async (t) => {
  fc.assert(fc.property(write, (w: Write) => {
    const back = writeFromWire(pb.Write.deserialize(writeToWire(w).serialize()));
    if (typeof back === "string") return false;
    return back.id.branch === w.id.branch && back.id.seq === w.id.seq && back.kind === w.kind &&
      back.amountCents === w.amountCents && back.acceptedAtMs === w.acceptedAtMs && back.clock === w.clock &&
      back.deps.size === w.deps.size && [...w.deps].every(([b, s]) => back.deps.get(b) === s);
  }));
  t.pass("checked on random writes");
});

t.test("a write no honest peer sends is refused with its reason", async (t) => {
  t.match(writeFromWire(new pb.Write({})), /without an id/);
  t.match(writeFromWire(new pb.Write({ id: new pb.WriteId({ branch: 1, seq: 1 }), interface: pb.Interface.QUERY })), /write 1\.1: interface must be DEPOSIT or WITHDRAW/);
  t.match(writeFromWire(new pb.Write({ id: new pb.WriteId({ branch: 1, seq: 2 }), interface: pb.Interface.DEPOSIT, amountCents: 2 ** 60 })), /write 1\.2: amount must be whole cents/);
  t.match(writeFromWire(new pb.Write({ id: new pb.WriteId({ branch: 1, seq: 3 }), interface: pb.Interface.DEPOSIT, deps: new pb.VersionVector({ branches: [1], seqs: [] }) })), /write 1\.3: deps has 1 branches but 0 seqs/);
});

t.test("after 10,000 operations a session's request stays a few bytes per branch", async (t) => {
  // A session that wrote 10,000 times over 10 branches and read everything:
  // its sets are version vectors, one entry per branch, however long it ran.
  const writes = new Map<number, number>();
  for (let i = 0; i < 10_000; i++) addWrite(writes, { branch: 1 + (i % 10), seq: 1 + Math.floor(i / 10) });
  const req = new pb.CustomerRequest({
    requestId: "c1#10001", session: "c1", interface: pb.Interface.QUERY,
    writeSet: toWire(writes), readSet: toWire(writes), guarantees: 15,
  });
  const bytes = req.serialize().length;
  t.ok(bytes <= 10 * 2 * 4 + 40, `${bytes} bytes for 10 branches`);
});
