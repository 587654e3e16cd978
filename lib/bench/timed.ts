// A child process timed as a user runs it: from spawn to exit, with its CPU
// (every thread, user + system) and peak RSS from the usage probe
// (rss-probe.ts) it is started with. Shared by the run and check benchmarks.
// A benchmark interrupted (Ctrl-C, SIGTERM) takes its timed children and its
// temp dir with it (`cleanUpOnSignal`).

import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";

const PROBE = new URL("./rss-probe.js", import.meta.url).href;

export interface Usage {
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
}

/** Timed children still running. */
const live = new Set<ChildProcess>();

/**
 * Until the returned function is called: on SIGINT or SIGTERM, kill every
 * timed child still running, run `cleanup` (remove the benchmark's temp dir,
 * stop what else it started), and exit as the signal asked (130 or 143).
 */
export function cleanUpOnSignal(cleanup: () => void): () => void {
  const on = (signal: NodeJS.Signals) => {
    for (const child of live) child.kill("SIGKILL");
    cleanup();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", on);
  process.once("SIGTERM", on);
  return () => {
    process.off("SIGINT", on);
    process.off("SIGTERM", on);
  };
}

/** Runs `args` under node with the usage probe; resolves with its usage, exit code and stdout. */
export function timed(args: readonly string[], probeOut: string): Promise<Usage & { code: number | null; stdout: string; stderr: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", PROBE, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, BANK_SIM_RSS_OUT: probeOut } });
    live.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      live.delete(child);
      const wallMs = performance.now() - started;
      try {
        const u = JSON.parse(readFileSync(probeOut, "utf8")) as { maxRssKb: number; userMs: number; systemMs: number };
        resolve({ wallMs, cpuMs: u.userMs + u.systemMs, peakRssMb: u.maxRssKb / 1024, code, stdout, stderr });
      } catch (err) {
        reject(new Error(`bench: ${args.join(" ")} exited ${code} without its usage (${(err as Error).message})\n${stderr}`));
      } finally {
        rmSync(probeOut, { force: true });
      }
    });
  });
}

/** The median of `xs` (0 for none). */
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
