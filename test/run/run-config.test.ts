// Run configuration: raw flags → resolveRunConfig → a RunConfig with every
// field filled. Defaults, parsing of flags given as text, the bounds of every
// integer flag (both ends), and the exact usage errors.

import t, { type Test } from "tap";
import { defaultWorkers, resolveRunConfig, UsageError, type RawRunFlags, type RunConfig } from "../../lib/run/run-config.js";

const THREE = [1, 2, 3];

function usageError(t: Test, flags: RawRunFlags, message: string, branches: readonly number[] = THREE): void {
  t.throws(() => resolveRunConfig(flags, branches), { name: "UsageError", message }, `${JSON.stringify(flags)} → ${message}`);
}

t.test("with no flags every field takes its default", async (t) => {
  // One branch, so the worker count does not depend on this machine's cores.
  const expected: RunConfig = {
    outDir: "out", workers: 1, bindHost: "127.0.0.1", basePort: 0, guarantees: ["mw", "ryw"], concurrent: false,
    overdraftGuard: "none", verbose: false, strict: false, gateTimeoutMs: 5_000, attemptsMax: 6, backoffMsMin: 20,
    backoffMsMax: 1_000, barrierTimeoutMs: 60_000, startTimeoutMs: 30_000, batchMax: 256, inFlightMax: 8, delaySpec: "",
    seed: 1, durable: true, faults: { loss: 0, dup: 0, reorder: 0, partitions: [], crashes: [] }, ackTimeoutMs: 250,
  };
  t.same(resolveRunConfig({}, [1]), expected);
});

t.test("the default worker count is one per core, at most 4, and never more than the branches", async (t) => {
  t.equal(defaultWorkers(1), 1);
  t.ok(defaultWorkers(100) >= 1 && defaultWorkers(100) <= 4, `${defaultWorkers(100)} workers for 100 branches`);
  t.ok(defaultWorkers(2) <= 2);
});

t.test("flags given as text, as the command line gives them, are read as integers", async (t) => {
  const cfg = resolveRunConfig({ workers: "3", basePort: "7000", gateTimeout: "250", seed: "42" }, THREE);
  t.same([cfg.workers, cfg.basePort, cfg.gateTimeoutMs, cfg.seed], [3, 7000, 250, 42]);
});

t.test("flags that are given replace their defaults", async (t) => {
  const cfg = resolveRunConfig({
    out: "elsewhere", host: "0.0.0.0", guarantees: "all", concurrent: true, overdraftGuard: "home",
    verbose: true, strict: true, delay: "20..200ms", durable: false,
  }, THREE);
  t.same(
    [cfg.outDir, cfg.bindHost, cfg.guarantees, cfg.concurrent, cfg.overdraftGuard, cfg.verbose, cfg.strict, cfg.delaySpec, cfg.durable],
    ["elsewhere", "0.0.0.0", ["mw", "ryw", "mr", "wfr"], true, "home", true, true, "20..200ms", false],
  );
});

t.test("every integer flag accepts both ends of its range", async (t) => {
  t.equal(resolveRunConfig({ workers: 1 }, THREE).workers, 1);
  t.equal(resolveRunConfig({ workers: 64 }, THREE).workers, 64);
  t.equal(resolveRunConfig({ gateTimeout: 1 }, THREE).gateTimeoutMs, 1);
  t.equal(resolveRunConfig({ gateTimeout: 600_000 }, THREE).gateTimeoutMs, 600_000);
  t.equal(resolveRunConfig({ seed: 0 }, THREE).seed, 0);
  t.equal(resolveRunConfig({ seed: 2 ** 32 - 1 }, THREE).seed, 2 ** 32 - 1);
  t.equal(resolveRunConfig({ basePort: 65_532 }, THREE).basePort, 65_532, "65532 + 3 branches ends at port 65535");
});

t.test("an integer flag past its range, or not an integer, is a usage error naming the flag, its range and what was found", async (t) => {
  usageError(t, { workers: 0 }, "--workers: expected an integer from 1 to 64, found 0");
  usageError(t, { workers: 65 }, "--workers: expected an integer from 1 to 64, found 65");
  usageError(t, { workers: "1.5" }, '--workers: expected an integer from 1 to 64, found "1.5"');
  usageError(t, { workers: "many" }, '--workers: expected an integer from 1 to 64, found "many"');
  usageError(t, { gateTimeout: 0 }, "--gate-timeout: expected an integer from 1 to 600000, found 0");
  usageError(t, { gateTimeout: "600001" }, '--gate-timeout: expected an integer from 1 to 600000, found "600001"');
  usageError(t, { seed: -1 }, "--seed: expected an integer from 0 to 4294967295, found -1");
  usageError(t, { seed: 2 ** 32 }, "--seed: expected an integer from 0 to 4294967295, found 4294967296");
  usageError(t, { basePort: 65_536 }, "--base-port: expected an integer from 0 to 65535, found 65536");
});

t.test("a base port whose branches would run past 65535 is refused", async (t) => {
  usageError(t, { basePort: 65_533 }, "--base-port: 65533 + 3 branches runs past port 65535");
});

t.test("a bad --delay, --guarantees, --faults or --overdraft-guard is a usage error with the parser's message", async (t) => {
  usageError(t, { delay: "soon" }, '--delay: expected rules like 150ms, 20..200ms or 2-1:500ms, found "soon"');
  usageError(t, { delay: "200..20ms" }, '--delay: range "200..20ms" ends before it starts');
  usageError(t, { guarantees: "mw,linearizable" }, '--guarantees: expected all, none or a list of mw,ryw,mr,wfr, found "linearizable"');
  usageError(t, { faults: "crash=9@100ms" }, '--faults: crash: expected an existing branch id, found "9"');
  usageError(t, { faults: "loss=1" }, '--faults: loss: expected a probability from 0 to below 1, found "1"');
  usageError(t, { overdraftGuard: "away" }, '--overdraft-guard: expected none or home, found "away"');
});

t.test("a planned crash without the durable log is refused: a branch recovers only from its log", async (t) => {
  usageError(t, { faults: "crash=2@100ms", durable: false }, "--faults crash=...: a branch can only recover from a crash with its log; drop --no-durable");
  t.equal(resolveRunConfig({ faults: "loss=0.1", durable: false }, THREE).durable, false, "other faults do not need the log");
});

t.test("the ack timeout leaves room for the longest delay there and back, and the longest partition", async (t) => {
  t.equal(resolveRunConfig({ delay: "10..40ms,2-1:90ms" }, THREE).ackTimeoutMs, 250 + 2 * 90);
  t.equal(resolveRunConfig({ faults: "partition=1|2.3@0ms:300ms,partition=1.2|3@1s:700ms" }, THREE).ackTimeoutMs, 250 + 700);
  t.equal(resolveRunConfig({ delay: "1s", faults: "partition=1|2@0ms:2s" }, THREE).ackTimeoutMs, 250 + 2000 + 2000);
});

t.test("customers get 12 attempts when crashes or partitions are planned, and 6 otherwise", async (t) => {
  t.equal(resolveRunConfig({ faults: "crash=2@100ms" }, THREE).attemptsMax, 12);
  t.equal(resolveRunConfig({ faults: "partition=1|2@0ms:100ms" }, THREE).attemptsMax, 12);
  t.equal(resolveRunConfig({ faults: "loss=0.2,dup=0.1" }, THREE).attemptsMax, 6);
});

t.test("usage errors are UsageErrors, so the CLI can tell them from failures", async (t) => {
  let caught: unknown;
  try {
    resolveRunConfig({ workers: 0 }, THREE);
  } catch (err) {
    caught = err;
  }
  t.ok(caught instanceof UsageError, String(caught));
});
