// The machine a benchmark ran on, for bench JSON: figures only mean something
// next to the cores, memory, load and Node that produced them.

import { arch, availableParallelism, cpus, loadavg, platform, release, totalmem } from "node:os";

export interface Machine {
  cpus: number;
  cpuModel: string | null;
  memoryMb: number;
  platform: string;
  arch: string;
  osRelease: string;
  node: string;
  /** The 1, 5 and 15 minute load averages when the benchmark started. */
  loadAverage: number[];
}

export function thisMachine(): Machine {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() || null,
    memoryMb: Math.round(totalmem() / 1024 / 1024),
    platform: platform(),
    arch: arch(),
    osRelease: release(),
    node: process.version,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
