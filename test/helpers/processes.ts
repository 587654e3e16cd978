// The processes still alive whose command line or environment carries a
// marker: how a test sees that nothing it started outlived it.

import { readdirSync, readFileSync } from "node:fs";

/** Pids whose /proc/<pid>/`part` (cmdline or environ) contains `marker`. */
export function processesWith(part: "cmdline" | "environ", marker: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/${part}`, "utf8").includes(marker)) out.push(Number(pid));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}
