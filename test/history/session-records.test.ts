// The session machine's record bodies as history.jsonl lines: vectors as
// JSON objects, the adapter's times, fields in the order they always had.

import t from "tap";
import { completeRecord, invokeRecord } from "../../lib/history/session-records.js";

const at = { wallMs: 1_700_000_000_123, monoMs: 123.5 };

t.test("an invoke record shows the sets as sent, as version-vector JSON, with the adapter's times", async (t) => {
  const r = invokeRecord({
    session: "c1", requestId: "c1#2", branch: 2, kind: "deposit", amountCents: 300,
    writeSet: new Map([[3, 1], [1, 4]]), readSet: new Map(), clock: 2,
  }, at);
  t.equal(JSON.stringify(r),
    '{"session":"c1","requestId":"c1#2","branch":2,"kind":"deposit","amountCents":300,"writeSet":{"1":4,"3":1},"readSet":{},"wallMs":1700000000123,"monoMs":123.5,"clock":2}');
});

t.test("an answered operation's complete record has its result, witness, write id and balance, in that order", async (t) => {
  const r = completeRecord({
    session: "c1", branch: 2, kind: "withdraw", status: "ok", result: "success", writeId: "2.5", balanceCents: 450,
    witness: new Map([[2, 5]]), gateWaitMs: 1.5, attempts: 2, branchClock: 7,
  }, at);
  t.equal(JSON.stringify(r),
    '{"session":"c1","branch":2,"kind":"withdraw","status":"ok","result":"success","witness":{"2":5},"gateWaitMs":1.5,"attempts":2,' +
    '"wallMs":1700000000123,"monoMs":123.5,"writeId":"2.5","balanceCents":450,"branchClock":7}');
});

t.test("an operation that gave up has its error and no result, witness or balance", async (t) => {
  const r = completeRecord({ session: "c1", branch: 1, kind: "query", status: "info", gateWaitMs: 0, attempts: 6, error: "DEADLINE_EXCEEDED: no reply" }, at);
  t.equal(JSON.stringify(r),
    '{"session":"c1","branch":1,"kind":"query","status":"info","gateWaitMs":0,"attempts":6,"error":"DEADLINE_EXCEEDED: no reply","wallMs":1700000000123,"monoMs":123.5}');
});
