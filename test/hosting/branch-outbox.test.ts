// BranchOutbox over a real MessageChannel: what a branch logs in one turn of
// the event loop reaches the main thread as one "events" message; a control
// message goes out after everything gathered before it; a crash drops what
// was gathered. Ordering is
// checked by posting a marker after the fact (a channel keeps order), never by
// waiting a fixed time.

import { once } from "node:events";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import t, { type Test } from "tap";
import { BranchOutbox } from "../../lib/hosting/branch-outbox.js";
import type { ToMain } from "../../lib/hosting/worker-protocol.js";

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

t.test("the log lines of one turn arrive as one events message, each with its time", async (t) => {
  const { outbox, until } = channel(t);
  const before = Date.now();
  outbox.log("branch 3 listening");
  outbox.log("second line");
  const after = Date.now();
  const [msg] = await until(1);
  if (msg?.type !== "events") return t.fail(`expected an events message, found ${JSON.stringify(msg)}`);
  t.equal(msg.branchId, 3);
  t.same(msg.logs.map(([, line]) => line), ["branch 3 listening", "second line"], "the lines, in order");
  t.ok(msg.logs.every(([at]) => at >= before && at <= after), "each line carries the wall time it was logged");
});

t.test("each turn of the event loop gets its own message, and a turn with nothing to say sends none", async (t) => {
  const { outbox, until, received } = channel(t);
  outbox.log("turn 1");
  await until(1);
  await new Promise<void>((resolve) => setImmediate(resolve));
  outbox.log("turn 2");
  await until(2);
  outbox.flush(); // nothing gathered: nothing to send
  outbox.post(MARKER);
  await until(3);
  t.same(received.map((m) => (m.type === "events" ? `events ${m.logs.map(([, l]) => l).join()}` : m.type)), [
    "events turn 1", "events turn 2", "topology-set",
  ]);
});

t.test("a control message is posted after everything gathered before it", async (t) => {
  const { outbox, until } = channel(t);
  outbox.log("before stop");
  outbox.post({ type: "stopped", branchId: 3, stats: { links: 0, messages: 0, writes: 0, reconnects: 0, backlog: 0, resent: 0, lost: 0, duplicated: 0, reordered: 0, partitioned: 0 } });
  const msgs = await until(2);
  t.same(msgs.map((m) => m.type), ["events", "stopped"]);
  const events = msgs[0];
  if (events?.type === "events") t.same(events.logs.map(([, l]) => l), ["before stop"]);
  // The scheduled flush of that turn finds nothing left to send.
  await new Promise<void>((resolve) => setImmediate(resolve));
  outbox.post(MARKER);
  t.same((await until(3)).map((m) => m.type), ["events", "stopped", "topology-set"], "no empty events message followed");
});

t.test("drop forgets what was gathered: a crashed branch's last turn never reaches the main thread", async (t) => {
  const { outbox, until } = channel(t);
  outbox.log("about to crash");
  outbox.drop();
  await new Promise<void>((resolve) => setImmediate(resolve));
  outbox.post(MARKER);
  t.same((await until(1)).map((m) => m.type), ["topology-set"], "only the marker arrived");
});
