// Spawns the built bank-sim binary, as a user would, with a hard timeout so a
// hang fails the test instead of stalling the suite.
//
// No child outlives its test: `runCli(t, ...)` registers a teardown on `t`
// that kills the child if it is still running (a test that failed, or gave up
// on a Promise.all, does not leave it behind). No child outlives the test
// process either: when tap's timeout fires it tells the process, then sends it
// SIGALRM and finally SIGKILL, which nothing can catch, so every live child is
// killed on tap's timeout event, on SIGALRM, SIGTERM, SIGINT and SIGHUP (then
// the signal is raised again, so the process still dies of it), and on exit.

import { spawn, type ChildProcess } from "node:child_process";
import tap, { type Test } from "tap";
import { BIN } from "./paths.js";

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Long enough for a loaded machine (a bank-sim run is a Node start, a worker
 * pool and a few servers): this bounds a hang, it does not assert speed.
 */
export const CLI_TIMEOUT_MS = 90_000;

const live = new Set<ChildProcess>();
const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

function killAll(): void {
  for (const c of live) if (running(c)) c.kill("SIGKILL");
  live.clear();
}

process.on("exit", killAll);
tap.on("timeout", killAll);
for (const sig of ["SIGALRM", "SIGTERM", "SIGINT", "SIGHUP"] as const) {
  const onSignal = () => {
    killAll();
    process.removeListener(sig, onSignal);
    // With our listener gone, the signal does what it would have done without
    // us (tap's own handler, or the default: the process dies of it).
    process.kill(process.pid, sig);
  };
  process.on(sig, onSignal);
}

/** Kills `child` if it still runs and resolves once it has exited (bounded). */
function stop(child: ChildProcess): Promise<void> {
  if (!running(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const bound = setTimeout(resolve, 5_000);
    child.once("exit", () => (clearTimeout(bound), resolve()));
    child.kill("SIGKILL");
  });
}

export function runCli(
  t: Pick<Test, "teardown">,
  args: string[],
  opts: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv; onStderr?: (chunk: string, child: ChildProcess) => void } = {},
): Promise<CliResult> {
  const timeoutMs = opts.timeoutMs ?? CLI_TIMEOUT_MS;
  const env = opts.env ? { ...process.env, ...opts.env } : process.env;
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  t.teardown(() => stop(child));
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      opts.onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`bank-sim ${args.join(" ")} did not finish in ${timeoutMs} ms; stderr so far:\n${stderr}`));
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      live.delete(child);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A long-running bank-sim (serve), killed in the test's teardown if it still runs. */
export interface LiveProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches `pattern` (rejects if the process exits first or after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends `signal` and resolves with how it exited. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts bin/bank-sim with `args`, behind `prefix` (e.g. ["ip", "netns", "exec", ns]) if given. */
export function spawnCli(t: Pick<Test, "teardown">, args: string[], opts: { prefix?: string[]; cwd?: string } = {}): LiveProcess {
  const argv = [...(opts.prefix ?? []), process.execPath, BIN, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  t.teardown(() => stop(child).then(() => void live.delete(child)));
  let out = "";
  let err = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor: (pattern, timeoutMs = CLI_TIMEOUT_MS) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => (clearInterval(poll), reject(new Error(`bank-sim ${args.join(" ")}: no ${pattern} in ${timeoutMs} ms; stderr:\n${err}`))), timeoutMs);
      const poll = setInterval(() => {
        if (pattern.test(out)) {
          clearInterval(poll);
          clearTimeout(timer);
          resolve();
        }
      }, 20);
      void exited.then((e) => {
        if (pattern.test(out)) return;
        clearInterval(poll);
        clearTimeout(timer);
        reject(new Error(`bank-sim ${args.join(" ")} exited (${e.code ?? e.signal}) before ${pattern}; stderr:\n${err}`));
      });
    }),
    stop: (signal = "SIGTERM") => {
      if (running(child)) child.kill(signal);
      return exited;
    },
  };
}
