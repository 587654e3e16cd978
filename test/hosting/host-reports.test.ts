// HostReports over real MessageChannels: a thread keeps the first report port
// it is given and closes any later one; what its branches log, apply and hold
// in a turn arrives as one "reports" message; a state or restart mark goes out
// after everything gathered before it; a crashed branch's gathered reports
// never leave. Order is checked with messages posted after the fact (a
// channel keeps order), never by waiting a fixed time.

import { once } from "node:events";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import t, { type Test } from "tap";
import type { Write } from "../../lib/core/ledger.js";
import { logEntries } from "../../lib/hosting/applied-groups.js";
import { HostReports } from "../../lib/hosting/host-reports.js";
import type { ToMain } from "../../lib/hosting/worker-protocol.js";

const write = (branch: number, seq: number): Write => ({ id: { branch, seq }, kind: "deposit", amountCents: 100, deps: new Map(), acceptedAtMs: 1_000 });
const state = (branchId: number): ToMain => ({ type: "state", branchId, requestId: 1, error: "marker" });

/** A report port: the end to hand to HostReports, and what arrives at the other. */
function port(t: Test): { worker: MessagePort; main: MessagePort; received: ToMain[]; until: (n: number) => Promise<ToMain[]> } {
  const { port1, port2 } = new MessageChannel();
  t.teardown(() => (port1.close(), port2.close()));
  const received: ToMain[] = [];
  port2.on("message", (m: ToMain) => received.push(m));
  const until = async (n: number) => {
    while (received.length < n) await once(port2, "message");
    return received;
  };
  return { worker: port1, main: port2, received, until };
}

/** "applied b:ids b:ids" or the type, per message. */
const shape = (m: ToMain) => (m.type === "reports" ? `reports ${m.groups.map((g) => `${g.branches.join("+")}:${g.writes.map((w) => w.id).join(",")}`).join(" ")}` : m.type);

t.test("the first port is kept; a later task's port is closed at once and carries nothing", async (t) => {
  const first = port(t);
  const later = port(t);
  const reports = new HostReports();
  reports.adopt(first.worker);
  reports.adopt(later.worker);
  await once(later.main, "close");
  reports.applied(2, [write(1, 1)], [4]);
  reports.post(state(2));
  t.same((await first.until(2)).map(shape), ["reports 2:1.1", "state"]);
  t.same(later.received, []);
});

t.test("one turn's lines, holds and applies of every branch arrive as one message, the applies grouped", async (t) => {
  const p = port(t);
  const reports = new HostReports();
  reports.adopt(p.worker);
  const before = Date.now();
  reports.log(2, "branch 2 listening");
  reports.log(3, "branch 3 listening");
  reports.log(2, "second line");
  const after = Date.now();
  reports.held(3, [write(1, 2)]);
  reports.applied(2, [write(1, 1)], [4]);
  reports.applied(3, [write(1, 1)], [6], 15_000);
  reports.log(3, "after the apply");
  const [msg] = await p.until(1);
  if (msg?.type !== "reports") return t.fail(`expected a reports message, found ${JSON.stringify(msg)}`);
  t.same([...logEntries(msg)].map(([b, , line]) => [b, line]), [
    [2, "branch 2 listening"], [3, "branch 3 listening"], [2, "second line"], [3, "replica 3 applied 1.1 (balance=15000c)"], [3, "after the apply"],
  ], "every line, in the order logged: an apply with its balance among them, an own write's (no balance) not");
  t.ok(msg.logs.wallMs.slice(0, 3).every((at) => at >= before && at <= after), "each line carries the wall time it was logged");
  t.same(msg.buffered.map((b) => [b.branch, b.ids]), [[3, ["1.2"]]]);
  t.same(msg.groups.map((g) => [g.branches, g.clocks]), [[[2, 3], [4, 6]]]);
});

t.test("a state goes out after every report gathered before it, and the turn's timer then sends nothing", async (t) => {
  const p = port(t);
  const reports = new HostReports();
  reports.adopt(p.worker);
  reports.applied(2, [write(1, 1)], [4]);
  reports.post(state(2));
  await new Promise<void>((resolve) => setTimeout(resolve, 30));
  reports.post(state(3));
  t.same((await p.until(3)).map(shape), ["reports 2:1.1", "state", "state"]);
});

t.test("a crashed branch's gathered reports are dropped; the others' still go", async (t) => {
  const p = port(t);
  const reports = new HostReports();
  reports.adopt(p.worker);
  reports.applied(2, [write(1, 1)], [4]);
  reports.applied(3, [write(1, 1)], [5]);
  reports.log(3, "about to crash");
  reports.drop(3);
  reports.post(state(2));
  const msgs = await p.until(2);
  t.same(msgs.map(shape), ["reports 2:1.1", "state"]);
  t.same(msgs[0]?.type === "reports" && msgs[0].logs, { branches: [], wallMs: [], lines: [], balances: [] }, "its line is gone too");
});

t.test("a closed incarnation's reporter says nothing more, however late its callbacks come; the branch's next one speaks for it", async (t) => {
  const p = port(t);
  const reports = new HostReports();
  reports.adopt(p.worker);
  const old = reports.forBranch(2);
  old.log("serving");
  old.applied([write(1, 1)], [4]);
  old.drop(); // it crashed: what it gathered never leaves
  old.post({ type: "crashed", branchId: 2 });
  old.close();
  old.log("a gate waiter rejected after the crash");
  old.applied([write(1, 2)], [5]);
  old.held([write(1, 3)]);
  old.post(state(2));
  const next = reports.forBranch(2);
  next.post({ type: "recovered", branchId: 2, applied: [], outcomes: 0, cutBytes: 0 });
  next.applied([write(1, 1)], [2]);
  next.post(state(2));
  const msgs = await p.until(4);
  t.same(msgs.map(shape), ["crashed", "recovered", "reports 2:1.1", "state"]);
  t.same(msgs[2]?.type === "reports" && msgs[2].groups[0]?.clocks, [2], "the apply is the new incarnation's");
  t.same(msgs[2]?.type === "reports" && msgs[2].logs, { branches: [], wallMs: [], lines: [], balances: [] }, "no line of the old one");
});
