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

t.test("write ids parse strictly", async (t) => {
  t.same(parseWriteId("12.3"), { branch: 12, seq: 3 });
  for (const bad of ["1", "0.1", "1.0", "a.b", "1.2.3", " 1.2"]) t.throws(() => parseWriteId(bad), /expected a write id/, bad);
});
