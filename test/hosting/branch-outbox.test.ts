// BranchOutbox over a real MessageChannel: what a branch logs and applies in
// one turn of the event loop reaches the main thread as one "events" message,
// stamped with the time of its first write; a control message goes out after
// everything gathered before it; a crash drops what was gathered. Ordering is
// checked by posting a marker after the fact (a channel keeps order), never by
// waiting a fixed time.

import { once } from "node:events";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import t, { type Test } from "tap";
import type { Write } from "../../lib/core/ledger.js";
import { BranchOutbox } from "../../lib/hosting/branch-outbox.js";
import type { ToMain } from "../../lib/hosting/worker-protocol.js";

const write = (branch: number, seq: number, over: Partial<Write> = {}): Write => ({
  id: { branch, seq }, kind: "deposit", amountCents: 100 * seq, deps: new Map(), acceptedAtMs: 1_000 + seq, ...over,
});

/** A marker control message: whatever arrives before it was posted before it. */
const MARKER: ToMain = { type: "topology-set", branchId: 0 };

/** An outbox for branch 3 on one end of a channel, and everything that arrives at the other end. */
function channel(t: Test): { outbox: BranchOutbox; received: ToMain[]; port: MessagePort; until: (n: number) => Promise<ToMain[]> } {
  const { port1, port2 } = new MessageChannel();
  t.teardown(() => (port1.close(), port2.close()));
  const received: ToMain[] = [];
  port2.on("message", (m: ToMain) => received.push(m));
  /** Resolves once `n` messages have arrived in all. */
  const until = async (n: number) => {
    while (received.length < n) await once(port2, "message");
    return received;
  };
  return { outbox: new BranchOutbox(3, port1), received, port: port2, until };
}

/** A synchronous spin until Date.now() has moved past `ms`: time passes within one turn. */
function spinPast(ms: number): void {
  while (Date.now() <= ms) { /* spin */ }
}

t.test("log lines and applied writes of one turn arrive as one events message, writes in wire form", async (t) => {
  const { outbox, until } = channel(t);
  const before = Date.now();
  outbox.log("branch 3 listening");
  outbox.addApplied([write(1, 1), write(3, 2, { kind: "withdraw" })]);
  outbox.log("second line");
  outbox.addApplied([write(2, 7)]);
  const after = Date.now();
  const [msg] = await until(1);
  if (msg?.type !== "events") return t.fail(`expected an events message, found ${JSON.stringify(msg)}`);
  t.equal(msg.branchId, 3);
  t.same(msg.logs.map(([, line]) => line), ["branch 3 listening", "second line"], "the lines, in order");
  t.ok(msg.logs.every(([at]) => at >= before && at <= after), "each line carries the wall time it was logged");
  t.same(msg.applied, [
    { id: "1.1", kind: "deposit", amountCents: 100, acceptedAtMs: 1_001 },
    { id: "3.2", kind: "withdraw", amountCents: 200, acceptedAtMs: 1_002 },
    { id: "2.7", kind: "deposit", amountCents: 700, acceptedAtMs: 1_007 },
  ], "every write, in the order applied, in wire form (deps stay behind)");
});

t.test("a batch of writes is stamped with the time of its first write, not of the flush", async (t) => {
  const { outbox, until } = channel(t);
  const wallBefore = Date.now();
  const monoBefore = performance.timeOrigin + performance.now();
  outbox.addApplied([write(1, 1)]);
  const wallFirst = Date.now();
  const monoFirst = performance.timeOrigin + performance.now();
  spinPast(wallFirst + 2);
  outbox.addApplied([write(1, 2)]);
  const [msg] = await until(1);
  if (msg?.type !== "events") return t.fail(`expected an events message, found ${JSON.stringify(msg)}`);
  t.equal(msg.applied.length, 2, "both writes in one message");
  t.ok(msg.wallMs >= wallBefore && msg.wallMs <= wallFirst, `wallMs ${msg.wallMs} is when the first write was added (${wallBefore}..${wallFirst})`);
  t.ok(msg.monoMs >= monoBefore && msg.monoMs <= monoFirst, `monoMs ${msg.monoMs} is when the first write was added`);
});

t.test("each turn of the event loop gets its own message, and a turn with nothing to say sends none", async (t) => {
  const { outbox, until, received } = channel(t);
  outbox.log("turn 1");
  await until(1);
  await new Promise<void>((resolve) => setImmediate(resolve));
  outbox.addApplied([write(1, 1)]);
  await until(2);
  outbox.flush(); // nothing gathered: nothing to send
  outbox.post(MARKER);
  await until(3);
  t.same(received.map((m) => (m.type === "events" ? `events ${m.logs.map(([, l]) => l).join()}|${m.applied.map((w) => w.id).join()}` : m.type)), [
    "events turn 1|", "events |1.1", "topology-set",
  ]);
});

t.test("a control message is posted after everything gathered before it", async (t) => {
  const { outbox, until } = channel(t);
  outbox.log("before stop");
  outbox.addApplied([write(3, 1)]);
  outbox.post({ type: "stopped", branchId: 3, stats: { links: 0, messages: 0, writes: 0, reconnects: 0, backlog: 0, resent: 0, lost: 0, duplicated: 0, reordered: 0, partitioned: 0 } });
  const msgs = await until(2);
  t.same(msgs.map((m) => m.type), ["events", "stopped"]);
  const events = msgs[0];
  if (events?.type === "events") t.same(events.applied.map((w) => w.id), ["3.1"]);
  // The scheduled flush of that turn finds nothing left to send.
  await new Promise<void>((resolve) => setImmediate(resolve));
  outbox.post(MARKER);
  t.same((await until(3)).map((m) => m.type), ["events", "stopped", "topology-set"], "no empty events message followed");
});

t.test("drop forgets what was gathered: a crashed branch's last turn never reaches the main thread", async (t) => {
  const { outbox, until } = channel(t);
  outbox.log("about to crash");
  outbox.addApplied([write(3, 4)]);
  outbox.drop();
  await new Promise<void>((resolve) => setImmediate(resolve));
  outbox.post(MARKER);
  t.same((await until(1)).map((m) => m.type), ["topology-set"], "only the marker arrived");
  // Writes after the drop start a new batch, stamped afresh.
  const wallBefore = Date.now();
  outbox.addApplied([write(3, 5)]);
  const msgs = await until(2);
  const next = msgs[1];
  if (next?.type !== "events") return t.fail(`expected an events message, found ${JSON.stringify(next)}`);
  t.same(next.applied.map((w) => w.id), ["3.5"]);
  t.ok(next.wallMs >= wallBefore, "stamped when 3.5 was added");
});

t.test("buffered writes travel with the turn's events, stamped with the first one's time", async (t) => {
  const { outbox, until } = channel(t);
  const before = Date.now();
  outbox.addBuffered([write(1, 2)]);
  outbox.addBuffered([write(2, 1)]);
  const [msg] = await until(1);
  if (msg?.type !== "events") throw new Error(`expected events, got ${msg?.type}`);
  t.same(msg.buffered?.ids, ["1.2", "2.1"]);
  t.ok(msg.buffered!.wallMs >= before);
  t.same(msg.applied, []);
});
