import t from "tap";
import fc from "fast-check";
import { equal, type VersionVector } from "../../lib/core/version-vector.js";
import { packVector, sameVector, unpackVector } from "../../lib/hosting/vector-frame.js";

const vector = fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.maxSafeInteger().filter((s) => s > 0)), { selector: ([b]) => b, maxLength: 40 })
  .map((pairs): VersionVector => new Map(pairs));

t.test("a vector packed for a port unpacks to the same entries, exactly, up to 2^53 - 1", async (t) => {
  fc.assert(fc.property(vector, (v) => {
    const back = unpackVector(packVector(v));
    return back.size === v.size && [...v].every(([b, s]) => back.get(b) === s);
  }), { numRuns: 500 });
  t.same([...unpackVector(packVector(new Map([[7, Number.MAX_SAFE_INTEGER]])))], [[7, Number.MAX_SAFE_INTEGER]]);
  t.same([...unpackVector(packVector(new Map()))], []);
});

t.test("sameVector says what equal says, whatever the order of the entries", async (t) => {
  fc.assert(fc.property(vector, vector, fc.boolean(), (a, b, same) => {
    const other = same ? new Map([...a].reverse()) : b;
    return sameVector(other, packVector(a)) === equal(other, a);
  }), { numRuns: 500 });
  t.notOk(sameVector(new Map([[1, 2]]), packVector(new Map([[1, 2], [2, 1]]))), "fewer entries");
  t.notOk(sameVector(new Map([[1, 2], [2, 1]]), packVector(new Map([[1, 2]]))), "more entries");
  t.notOk(sameVector(new Map([[1, 3]]), packVector(new Map([[1, 2]]))), "a later write");
});
