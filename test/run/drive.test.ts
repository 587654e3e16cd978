// Driving customers with fake sessions and a fake barrier: the order of
// customers and events, the barrier's vector, the overdraft guard, the
// concurrent mode, failures and Ctrl-C. No cluster.

import t from "tap";
import type { OpKind } from "../../lib/core/branch.js";
import type { VersionVector } from "../../lib/core/version-vector.js";
import type { SessionOpOutcome } from "../../lib/driver/customer.js";
import { CustomerTally, driveCustomers, type CustomerSession, type DriveDeps } from "../../lib/run/drive.js";
import { Interruption } from "../../lib/run/interruption.js";
import type { CustomerRun, EventOutcome, Interface } from "../../lib/scenario/scenario.js";

const ev = (id: number, kind: Interface, branch: number, amountCents = 100) => ({ id, interface: kind, amountCents: kind === "query" ? 0 : amountCents, branch, path: `[?].events[${id - 1}]` });

/** Sessions whose deposits get write ids from the target branch's counter; every call is logged. */
function fakeWorld(opts: { failOn?: string; hold?: boolean } = {}) {
  const log: string[] = [];
  const seq = new Map<number, number>();
  const made: number[] = [];
  const session = (customerId: number): CustomerSession => {
    made.push(customerId);
    return {
      async perform(kind: OpKind, amountCents: number, branch: number): Promise<SessionOpOutcome> {
        const call = `c${customerId} ${kind} ${amountCents} at ${branch}`;
        log.push(`start ${call}`);
        if (opts.hold) await new Promise((r) => setImmediate(r));
        if (call === opts.failOn) throw new Error(`${call} broke`);
        log.push(`end ${call}`);
        const base = { status: "ok" as const, latencyMs: 2, gateWaitMs: 1, attempts: 1, op: log.length, asking: [] };
        if (kind === "query") return { ...base, balanceCents: 0 };
        const n = (seq.get(branch) ?? 0) + 1;
        seq.set(branch, n);
        return { ...base, result: "success", writeId: `${branch}.${n}` };
      },
    };
  };
  const barriers: string[] = [];
  const barrier = async (acked: VersionVector) => {
    barriers.push(JSON.stringify([...acked].sort()));
    log.push("barrier");
  };
  return { log, made, barriers, session, barrier };
}

/** A tally that also keeps every outcome, in the order they completed. */
function keepingTally(): CustomerTally & { outcomes: EventOutcome[] } {
  const outcomes: EventOutcome[] = [];
  return Object.assign(new CustomerTally((o) => outcomes.push(o)), { outcomes });
}

function deps(world: ReturnType<typeof fakeWorld>, over: Partial<Omit<DriveDeps, "tally">> = {}): DriveDeps & { tally: ReturnType<typeof keepingTally> } {
  return { session: world.session, barrier: world.barrier, interruption: new Interruption(undefined), tally: keepingTally(), ...over };
}

const runs: CustomerRun[] = [
  { customerId: 1, objectIndex: 0, events: [ev(1, "deposit", 1), ev(2, "query", 2)] },
  { customerId: 2, objectIndex: 1, events: [ev(1, "deposit", 2), ev(2, "withdraw", 2, 50)] },
  { customerId: 1, objectIndex: 2, events: [ev(1, "deposit", 1)] },
];
const scenario = { branches: [1, 2, 3], customers: runs };
const sequential = { concurrent: false, overdraftGuard: "none" as const };

t.test("customers run one after another in file order, each followed by a barrier on every write acknowledged so far", async (t) => {
  const world = fakeWorld();
  const d = deps(world);
  await driveCustomers(scenario, sequential, d);
  t.same(world.log, [
    "start c1 deposit 100 at 1", "end c1 deposit 100 at 1", "start c1 query 0 at 2", "end c1 query 0 at 2", "barrier",
    "start c2 deposit 100 at 2", "end c2 deposit 100 at 2", "start c2 withdraw 50 at 2", "end c2 withdraw 50 at 2", "barrier",
    "start c1 deposit 100 at 1", "end c1 deposit 100 at 1", "barrier",
  ]);
  t.same(world.barriers, ["[[1,1]]", "[[1,1],[2,2]]", "[[1,2],[2,2]]"]);
});

t.test("each outcome names its customer, customer object and event, in the order the events completed", async (t) => {
  const world = fakeWorld();
  const d = deps(world);
  await driveCustomers(scenario, sequential, d);
  t.same(d.tally.outcomes.map((o) => [o.customerId, o.objectIndex, o.eventIndex, o.event.id, o.writeId ?? "-"]), [
    [1, 0, 0, 1, "1.1"], [1, 0, 1, 2, "-"], [2, 1, 0, 1, "2.1"], [2, 1, 1, 2, "2.2"], [1, 2, 0, 1, "1.2"],
  ]);
  t.ok(d.tally.outcomes.every((o) => o.servedBy === undefined), "no event was redirected");
  t.equal(d.tally.latency.summary().count, 5);
  t.equal(d.tally.gateWait.summary().meanMs, 1);
});

t.test("a customer id that comes up again asks for its session again, by the same id", async (t) => {
  const world = fakeWorld();
  await driveCustomers(scenario, sequential, deps(world));
  t.same(world.made, [1, 2, 1]);
});

t.test("with the overdraft guard on, every withdraw goes to the lowest-numbered branch and says so; other events go where sent", async (t) => {
  const world = fakeWorld();
  await driveCustomers(scenario, { concurrent: false, overdraftGuard: "home" }, deps(world));
  t.ok(world.log.includes("start c2 withdraw 50 at 1"), world.log.join("\n"));
  t.ok(world.log.includes("start c2 deposit 100 at 2"));
  const d2 = deps(fakeWorld());
  await driveCustomers({ branches: [4, 5], customers: [{ customerId: 7, objectIndex: 0, events: [ev(1, "withdraw", 5), ev(2, "deposit", 5), ev(3, "query", 5)] }] },
    { concurrent: false, overdraftGuard: "home" }, d2);
  t.same(d2.tally.outcomes.map((o) => [o.event.interface, o.servedBy]), [["withdraw", 4], ["deposit", undefined], ["query", undefined]]);
});

t.test("concurrent customers all start at once with no barrier, and each session runs its customer objects in file order", async (t) => {
  const world = fakeWorld({ hold: true });
  const d = deps(world);
  await driveCustomers(scenario, { concurrent: true, overdraftGuard: "none" }, d);
  t.same(world.barriers, [], "no barrier");
  t.same(world.log.slice(0, 2), ["start c1 deposit 100 at 1", "start c2 deposit 100 at 2"], "both sessions started before either finished an event");
  const c1 = world.log.filter((l) => l.startsWith("start c1"));
  t.same(c1, ["start c1 deposit 100 at 1", "start c1 query 0 at 2", "start c1 deposit 100 at 1"]);
  t.same(d.tally.outcomes.filter((o) => o.customerId === 1).map((o) => o.objectIndex), [0, 0, 2]);
});

t.test("a session that fails in concurrent mode lets the others finish, then fails the drive with its error", async (t) => {
  const world = fakeWorld({ hold: true, failOn: "c1 deposit 100 at 1" });
  const d = deps(world);
  await t.rejects(driveCustomers(scenario, { concurrent: true, overdraftGuard: "none" }, d), { message: "c1 deposit 100 at 1 broke" });
  t.ok(world.log.includes("end c2 withdraw 50 at 2"), "customer 2 went on to its last event");
  t.same(d.tally.outcomes.map((o) => o.customerId), [2, 2]);
});

t.test("Ctrl-C stops the drive before the next event", async (t) => {
  const abort = new AbortController();
  const world = fakeWorld();
  const d = deps(world, { interruption: new Interruption(abort.signal) });
  const session = world.session;
  d.session = (id) => {
    const s = session(id);
    return { perform: async (...args) => (abort.abort(), s.perform(...args)) };
  };
  await t.rejects(driveCustomers(scenario, sequential, d), { message: "interrupted" });
  t.equal(d.tally.outcomes.length, 1, "only the event under way completed");
});

t.test("Ctrl-C does not wait for a barrier that is still waiting", async (t) => {
  const abort = new AbortController();
  const world = fakeWorld();
  const d = deps(world, { interruption: new Interruption(abort.signal), barrier: () => new Promise(() => undefined) });
  const driving = driveCustomers(scenario, sequential, d);
  await new Promise((r) => setImmediate(r));
  abort.abort();
  await t.rejects(driving, { message: "interrupted" });
  t.equal(d.tally.outcomes.length, 2, "the first customer finished, then the barrier held");
});
