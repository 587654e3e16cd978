// The crash schedule on a virtual clock and a fake cluster: when each crash
// and restart happens, what is logged, what stop() skips, and how a failure
// surfaces. No cluster, no wall-clock waits.

import t from "tap";
import type { Crash } from "../../lib/core/fault-plan.js";
import { startCrashes, type CrashTarget } from "../../lib/run/crash-plan.js";

/** Timers in virtual milliseconds: `runUntil` fires them in time order, letting the awaiting code run between. */
class VirtualClock {
  now = 0;
  private timers: Array<{ at: number; fire: () => void }> = [];
  readonly sleep = (ms: number) => new Promise<void>((fire) => this.timers.push({ at: this.now + ms, fire }));
  readonly elapsedMs = () => this.now;

  async runUntil(limitMs = Infinity): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > limitMs) return;
      this.timers.shift();
      this.now = next.at;
      next.fire();
    }
  }
}

/** A cluster that records what was done to it, and when. */
function fakeCluster(clock: VirtualClock, over: Partial<CrashTarget> = {}) {
  const calls: string[] = [];
  const target: CrashTarget = {
    crash: async (b) => void calls.push(`${clock.now}: crash ${b}`),
    crashWorker: async (b) => {
      calls.push(`${clock.now}: crash the worker of ${b}`);
      return { branches: [b, b + 2], hostPort: 41_000 };
    },
    restart: async (b, hostPort) => {
      calls.push(`${clock.now}: restart ${b} (host port ${hostPort})`);
      return `127.0.0.1:${5000 + b}`;
    },
    ...over,
  };
  return { target, calls };
}

const crash = (branch: number, atMs: number, restartAfterMs: number, scope: Crash["scope"] = "branch"): Crash => ({ branch, atMs, restartAfterMs, scope });

t.test("a branch crash waits for its time, crashes the branch, waits its restart delay, then restarts it", async (t) => {
  const clock = new VirtualClock();
  const { target, calls } = fakeCluster(clock);
  const log: string[] = [];
  const running = startCrashes([crash(2, 100, 300)], target, clock, (l) => log.push(l));
  await clock.runUntil();
  t.same(calls, ["100: crash 2", "400: restart 2 (host port 0)"]);
  t.same(log, ["crashed branch 2 at 100 ms", "restarted branch 2 at 400 ms on 127.0.0.1:5002"]);
  t.equal(await running.settled, undefined);
});

t.test("a worker crash restarts every branch that died with it, a new host taking the dead host's port", async (t) => {
  const clock = new VirtualClock();
  const { target, calls } = fakeCluster(clock);
  const log: string[] = [];
  const running = startCrashes([crash(1, 50, 200, "worker")], target, clock, (l) => log.push(l));
  await clock.runUntil();
  t.same(calls, ["50: crash the worker of 1", "250: restart 1 (host port 41000)", "250: restart 3 (host port 41000)"]);
  t.same(log, [
    "terminated the worker of branch 1 (branches 1, 3) at 50 ms",
    "restarted branch 1 at 250 ms on 127.0.0.1:5001",
    "restarted branch 3 at 250 ms on 127.0.0.1:5003",
  ]);
  t.equal(await running.settled, undefined);
});

t.test("crashes keep their own schedules, side by side, whatever their order in the plan", async (t) => {
  const clock = new VirtualClock();
  const { target, calls } = fakeCluster(clock);
  const running = startCrashes([crash(1, 300, 100), crash(2, 100, 500)], target, clock, () => undefined);
  await clock.runUntil();
  t.same(calls, ["100: crash 2", "300: crash 1", "400: restart 1 (host port 0)", "600: restart 2 (host port 0)"]);
  t.equal(await running.settled, undefined);
});

t.test("once stopped, a crash whose time has not come is skipped, and one under way still restarts its branch", async (t) => {
  const clock = new VirtualClock();
  const { target, calls } = fakeCluster(clock);
  const running = startCrashes([crash(1, 100, 300), crash(2, 500, 100)], target, clock, () => undefined);
  await clock.runUntil(200);
  running.stop();
  await clock.runUntil();
  t.same(calls, ["100: crash 1", "400: restart 1 (host port 0)"]);
  t.equal(await running.settled, undefined);
});

t.test("a restart that fails settles as its error, which is never an unhandled rejection", async (t) => {
  const clock = new VirtualClock();
  const { target } = fakeCluster(clock, { restart: () => Promise.reject(new Error("branch 2 did not restart")) });
  const running = startCrashes([crash(2, 10, 10), crash(3, 1_000, 10)], target, clock, () => undefined);
  await clock.runUntil(100);
  const err = await running.settled;
  t.equal(err?.message, "branch 2 did not restart", "settled before the later crash's time");
  running.stop();
  await clock.runUntil();
});

t.test("with no crashes planned it settles at once, without touching the cluster", async (t) => {
  const clock = new VirtualClock();
  const { target, calls } = fakeCluster(clock);
  t.equal(await startCrashes([], target, clock, () => undefined).settled, undefined);
  t.same(calls, []);
});
