// The customer session machine without any network: requests, retries,
// failure classes and the folding of replies, driven by hand, with the
// backoff's jitter from a scripted `random`.

import t from "tap";
import type { OpReply } from "../../lib/core/branch.js";
import { SessionMachine, type AttemptFailure, type Done, type Retry, type RetryPolicy } from "../../lib/core/session.js";

const POLICY: RetryPolicy = { attemptsMax: 4, backoffMsMin: 10, backoffMsMax: 25, callTimeoutMs: 1_000 };

/** A `random` that returns these values in turn and counts its calls; past the end it fails the test. */
function scripted(...values: number[]) {
  const f = () => {
    f.calls++;
    const v = values.shift();
    if (v === undefined) throw new Error("random drawn more often than scripted");
    return v;
  };
  f.calls = 0;
  return f;
}

const machine = (random: () => number = scripted(), policy: Partial<RetryPolicy> = {}) => new SessionMachine("c1", 3, { ...POLICY, ...policy }, random);

const reply = (over: Partial<OpReply> = {}): OpReply => ({
  branch: 1, kind: "deposit", result: "success", balanceCents: 500, witness: new Map([[1, 1]]), gateWaitMs: 2, replayed: false, ...over,
});

const gate: AttemptFailure = { class: "gate", message: "FAILED_PRECONDITION: branch 2 has not applied 1.1" };
const timeout: AttemptFailure = { class: "timeout", message: "DEADLINE_EXCEEDED: no reply" };

const asRetry = (step: Retry | Done): Retry => {
  if (step.next !== "retry") throw new Error(`expected a retry, found ${JSON.stringify(step)}`);
  return step;
};

t.test("a request carries the session's name, a numbered request id and copies of its sets", async (t) => {
  const m = machine();
  m.writeSet.set(1, 3);
  m.readSet.set(2, 1);
  const first = m.begin("query", 700, 2);
  t.match(first.request, { requestId: "c1#1", session: "c1", kind: "query", amountCents: 0, guarantees: 3 });
  t.same([...first.request.writeSet], [[1, 3]]);
  t.same(first.invoke, { session: "c1", requestId: "c1#1", branch: 2, kind: "query", amountCents: 0, writeSet: new Map([[1, 3]]), readSet: new Map([[2, 1]]), clock: 1 });
  m.writeSet.set(1, 9);
  t.same([...first.request.writeSet], [[1, 3]], "the request sent does not change with the session");
  m.replied(reply({ kind: "query", witness: new Map() }));
  t.equal(m.begin("deposit", 700, 2).request.requestId, "c1#2");
});

t.test("a deposit's write id joins the write set; a withdraw's witness joins the read set, a deposit's does not", async (t) => {
  const m = machine();
  m.begin("deposit", 100, 1);
  const dep = m.replied(reply({ writeId: { branch: 1, seq: 1 }, witness: new Map([[1, 1], [2, 4]]) }));
  t.same([...m.writeSet], [[1, 1]]);
  t.same([...m.readSet], [], "a deposit read nothing");
  t.same(dep.outcome, { status: "ok", result: "success", gateWaitMs: 2, attempts: 1, writeId: "1.1", clock: 1 }, "no balance for a deposit");
  const second = m.begin("withdraw", 50, 2);
  t.equal(second.request.clock, 2, "the session's clock ticks once per request");
  const wd = m.replied(reply({ kind: "withdraw", writeId: { branch: 2, seq: 5 }, balanceCents: 450, witness: new Map([[1, 1], [2, 5]]), clock: 40 }));
  t.equal(wd.outcome.branchClock, 40, "the branch's receipt clock is recorded");
  t.equal(m.begin("query", 0, 1).request.clock, 3, "but not taken into the session's clock (as in the course's example)");
  t.same([...m.writeSet].sort(), [[1, 1], [2, 5]]);
  t.same([...m.readSet].sort(), [[1, 1], [2, 5]], "a withdraw decided on the balance: it read");
  t.same(wd.complete, {
    session: "c1", branch: 2, kind: "withdraw", status: "ok", result: "success",
    witness: new Map([[1, 1], [2, 5]]), gateWaitMs: 2, attempts: 1, writeId: "2.5", balanceCents: 450, branchClock: 40,
  });
});

t.test("a refused withdraw has no write id but still reads: its witness joins the read set", async (t) => {
  const m = machine();
  m.begin("withdraw", 900, 1);
  const done = m.replied(reply({ kind: "withdraw", result: "fail", witness: new Map([[3, 2]]) }));
  t.same([...m.writeSet], []);
  t.same([...m.readSet], [[3, 2]]);
  t.same(done.outcome, { status: "ok", result: "fail", gateWaitMs: 2, attempts: 1, balanceCents: 500, clock: 1 });
});

t.test("a gate refusal is retried with the same request id and a longer backoff", async (t) => {
  const m = machine(scripted(0, 0, 0));
  const sent = m.begin("query", 0, 2);
  const r1 = asRetry(m.failed(gate));
  const r2 = asRetry(m.failed(gate));
  const r3 = asRetry(m.failed(gate));
  t.equal(r1.request, sent.request, "the very same request, same id");
  t.equal(r3.request.requestId, "c1#1");
  // Jitter 0 halves each backoff: 10, 20, then 25 (the maximum) → 5, 10, 12.5.
  t.same([r1.afterMs, r2.afterMs, r3.afterMs], [5, 10, 12.5]);
  const done = m.replied(reply({ kind: "query", gateWaitMs: 7 }));
  t.equal(done.outcome.attempts, 4);
  t.equal(done.complete.attempts, 4);
});

t.test("the backoff draws only from the injected random, once per retry", async (t) => {
  const random = scripted(0.5, 0.999);
  const realRandom = Math.random;
  Math.random = () => {
    throw new Error("Math.random used");
  };
  t.teardown(() => (Math.random = realRandom));
  const m = machine(random);
  m.begin("deposit", 5, 1);
  t.equal(asRetry(m.failed(gate)).afterMs, 10 * 0.75);
  t.equal(asRetry(m.failed(timeout)).afterMs, 20 * (0.5 + 0.999 / 2));
  m.replied(reply());
  t.equal(random.calls, 2);
});

t.test("an attempt that may have run makes the outcome unknown unless a later attempt answers", async (t) => {
  const m = machine(scripted(0, 0, 0, 0, 0, 0), { attemptsMax: 3 });
  m.begin("deposit", 5, 1);
  m.failed({ class: "maybe-ran", message: "UNKNOWN: branch died" });
  m.failed(gate);
  const unknown = m.failed({ class: "never-connected", message: "UNAVAILABLE: No connection established" });
  t.equal(unknown.next, "done");
  if (unknown.next !== "done") return;
  t.same(unknown.outcome, {
    status: "unknown", gateWaitMs: 0, attempts: 3, clock: 1,
    error: "deposit at branch 1 failed after 3 attempt(s): UNAVAILABLE: No connection established",
  });
  t.same(unknown.complete, {
    session: "c1", branch: 1, kind: "deposit", status: "info", gateWaitMs: 0, attempts: 3, error: "UNAVAILABLE: No connection established",
  });
  m.begin("deposit", 5, 1);
  m.failed(timeout);
  const answered = m.replied(reply({ writeId: { branch: 1, seq: 1 } }));
  t.equal(answered.outcome.status, "ok", "a later answer tells the outcome after all");
  t.same([...m.writeSet], [[1, 1]]);
});

t.test("refusals and calls that never connected, until the attempts run out, fail the operation: nothing ran", async (t) => {
  const m = machine(scripted(0, 0), { attemptsMax: 3 });
  m.writeSet.set(1, 1);
  m.begin("withdraw", 5, 2);
  m.failed(gate);
  m.failed({ class: "never-connected", message: "UNAVAILABLE: ECONNREFUSED" });
  const done = m.failed(gate);
  t.match(done, { next: "done", outcome: { status: "failed", attempts: 3 }, complete: { status: "fail", error: gate.message } });
  t.same([...m.writeSet], [[1, 1]], "a failed operation changes neither set");
  t.same([...m.readSet], []);
});

t.test("invalid argument stops at once, without a backoff", async (t) => {
  const random = scripted();
  const m = machine(random);
  m.begin("deposit", -1, 1);
  const done = m.failed({ class: "invalid", message: "INVALID_ARGUMENT: amount must be whole cents" });
  t.match(done, { next: "done", outcome: { status: "failed", attempts: 1 }, complete: { status: "fail", attempts: 1 } });
  t.equal(random.calls, 0);
  t.equal(m.inFlight, undefined, "the session is free for the next operation");
});

t.test("attempts are bounded: the last failure gives up without waiting", async (t) => {
  const random = scripted(0);
  const m = machine(random, { attemptsMax: 2 });
  m.begin("query", 0, 1);
  t.equal(m.failed(timeout).next, "retry");
  t.match(m.failed(timeout), { next: "done", outcome: { status: "unknown", attempts: 2 } });
  t.equal(random.calls, 1);
  const once = machine(scripted(), { attemptsMax: 1 });
  once.begin("query", 0, 1);
  t.match(once.failed(gate), { next: "done", outcome: { status: "failed", attempts: 1 } });
});

t.test("a session refuses a second operation while one is in flight, during its backoff too", async (t) => {
  const m = machine(scripted(0));
  m.begin("deposit", 5, 1);
  t.equal(m.inFlight, "c1#1");
  t.throws(() => m.begin("query", 0, 2), { message: "session c1: cannot begin a query at branch 2 while c1#1 is in flight" });
  m.failed(gate);
  t.throws(() => m.begin("query", 0, 2), { message: /while c1#1 is in flight/ });
  m.replied(reply());
  t.equal(m.begin("query", 0, 2).request.requestId, "c1#2", "the refused begins used no number");
});

t.test("a reply or a failure with no operation in flight is refused", async (t) => {
  const m = machine();
  t.throws(() => m.replied(reply()), { message: "session c1: got a reply with no operation in flight" });
  t.throws(() => m.failed(gate), { message: "session c1: got a failure (gate) with no operation in flight" });
  m.begin("deposit", 5, 1);
  m.replied(reply());
  t.throws(() => m.replied(reply()), { message: /no operation in flight/ }, "an operation is done once");
});

t.test("a retry policy without bounds is refused, saying which field and what it found", async (t) => {
  t.throws(() => machine(scripted(), { attemptsMax: 0 }), { message: "session c1: retry policy attemptsMax: expected a whole number of at least 1, found 0" });
  t.throws(() => machine(scripted(), { attemptsMax: Infinity }), { message: /attemptsMax: expected a whole number/ });
  t.throws(() => machine(scripted(), { backoffMsMin: -1 }), { message: /backoffMsMin: expected a finite number of at least 0, found -1/ });
  t.throws(() => machine(scripted(), { backoffMsMax: Infinity }), { message: /backoffMsMax: expected a finite number of at least backoffMsMin \(10\), found Infinity/ });
  t.throws(() => machine(scripted(), { backoffMsMax: 5 }), { message: /backoffMsMax/ });
});
