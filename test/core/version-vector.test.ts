import t from "tap";
import { covers, mergeInto, missingIds, parseWriteId } from "../../lib/core/version-vector.js";
import { fromWire, toWire } from "../../lib/wire/vector-codec.js";
import { fromJson, toJson } from "../../lib/history/vector-json.js";

t.test("a vector covers another when every origin's prefix is at least as long", async (t) => {
  t.ok(covers(new Map([[1, 3], [2, 1]]), new Map([[1, 2]])));
  t.notOk(covers(new Map([[1, 3]]), new Map([[1, 2], [2, 1]])));
});

t.test("missing ids are listed in order and capped", async (t) => {
  t.same(missingIds(new Map([[1, 1]]), new Map([[1, 3], [2, 1]])), ["1.2", "1.3", "2.1"]);
  t.same(missingIds(new Map(), new Map([[1, 100]]), 3), ["1.1", "1.2", "1.3", "..."]);
});

t.test("merge is a set union", async (t) => {
  t.same(toJson(mergeInto(new Map([[1, 3]]), new Map([[1, 2], [2, 4]]))), { 1: 3, 2: 4 });
});

t.test("vectors survive the wire and JSON", async (t) => {
  const v = new Map([[3, 7], [1, 2]]);
  t.same(toJson(fromWire(toWire(v))), { 1: 2, 3: 7 });
  t.same(toJson(fromJson(toJson(v))), { 1: 2, 3: 7 });
});

t.test("a vector prints its keys in ascending branch order, however it was built, beyond array indices too", async (t) => {
  const shuffled = new Map([[30, 1], [2, 5], [1_000, 2], [7, 9]]);
  t.equal(JSON.stringify(toJson(shuffled)), `{"2":5,"7":9,"30":1,"1000":2}`);
  const huge = new Map([[2 ** 40, 1], [2 ** 33, 3], [5, 2]]);
  t.equal(JSON.stringify(toJson(huge)), `{"5":2,"8589934592":3,"1099511627776":1}`, "keys past 2^32 - 2 are sorted too");
  t.same(fromJson(toJson(huge)), huge);
});

t.test("write ids parse strictly", async (t) => {
  t.same(parseWriteId("12.3"), { branch: 12, seq: 3 });
  for (const bad of ["1", "0.1", "1.0", "a.b", "1.2.3", " 1.2"]) t.throws(() => parseWriteId(bad), /expected a write id/, bad);
});
