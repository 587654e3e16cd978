// Fault injection plans for a real cluster (`--faults`), parsed into plain
// data. A plan is a comma list:
//   loss=0.05              a replication batch is dropped (not acknowledged) with this
//                          probability; the sender resends it after its ack timeout
//   dup=0.05               a batch is delivered twice
//   reorder=0.2            a batch is held back 1..50 ms, so later ones overtake it
//   partition=1.2|3@300ms:800ms
//                          from 300 ms after customers start, for 800 ms, writes do not
//                          cross between the groups {1,2} and {3}; they wait, then flow
//   crash=2@400ms:600ms    branch 2 crashes 400 ms after customers start (its server is
//                          killed, everything not yet on disk is lost) and restarts
//                          600 ms later from its log, then catches up from its peers
//   crash-worker=2@400ms:600ms
//                          the worker thread hosting branch 2 is terminated, killing
//                          every branch on it; they all restart 600 ms later
// Random choices come from the run's --seed, so a plan replays.

export interface Partition {
  groups: number[][];
  atMs: number;
  forMs: number;
}

export interface Crash {
  branch: number;
  atMs: number;
  restartAfterMs: number;
  /** "branch": only the branch dies; "worker": the worker thread hosting it is terminated, with every branch on it. */
  scope: "branch" | "worker";
}

export interface FaultPlan {
  loss: number;
  dup: number;
  reorder: number;
  partitions: Partition[];
  crashes: Crash[];
}

export const NO_FAULTS: FaultPlan = { loss: 0, dup: 0, reorder: 0, partitions: [], crashes: [] };

export class FaultSpecError extends Error {
  override name = "FaultSpecError";
}

const MS = /^(\d+(?:\.\d+)?)(ms|s)?$/;

function duration(text: string, what: string): number {
  const m = MS.exec(text);
  if (!m) throw new FaultSpecError(`--faults: ${what}: expected a duration like 300ms or 2s, found ${JSON.stringify(text)}`);
  const ms = Number(m[1]) * (m[2] === "s" ? 1000 : 1);
  if (ms > 600_000) throw new FaultSpecError(`--faults: ${what}: at most 600s, found ${JSON.stringify(text)}`);
  return ms;
}

function probability(text: string, what: string): number {
  const p = Number(text);
  if (!/^\d*\.?\d+$/.test(text) || !(p >= 0 && p < 1)) {
    throw new FaultSpecError(`--faults: ${what}: expected a probability from 0 to below 1, found ${JSON.stringify(text)}`);
  }
  return p;
}

function branchId(text: string, what: string, branches: readonly number[]): number {
  const id = Number(text);
  if (!/^\d+$/.test(text) || !branches.includes(id)) {
    throw new FaultSpecError(`--faults: ${what}: expected an existing branch id, found ${JSON.stringify(text)}`);
  }
  return id;
}

export function parseFaults(spec: string, branches: readonly number[]): FaultPlan {
  const plan: FaultPlan = { loss: 0, dup: 0, reorder: 0, partitions: [], crashes: [] };
  const given = new Set<string>();
  for (const item of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const eq = item.indexOf("=");
    const key = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? "" : item.slice(eq + 1);
    switch (key) {
      case "loss":
      case "dup":
      case "reorder":
        if (given.has(key)) throw new FaultSpecError(`--faults: ${key}= is given twice; give each rate once`);
        given.add(key);
        plan[key] = probability(value, key);
        break;
      case "partition": {
        const m = /^([^@]+)@([^:]+):(.+)$/.exec(value);
        if (!m) throw new FaultSpecError(`--faults: partition: expected groups@start:length like 1.2|3@300ms:800ms, found ${JSON.stringify(value)}`);
        const groups = m[1]!.split("|").map((g) => g.split(".").map((b) => branchId(b, "partition", branches)));
        if (groups.length < 2) throw new FaultSpecError(`--faults: partition: expected at least two groups separated by |, found ${JSON.stringify(m[1])}`);
        const seen = new Set<number>();
        for (const b of groups.flat()) {
          if (seen.has(b)) throw new FaultSpecError(`--faults: partition: branch ${b} is in two groups`);
          seen.add(b);
        }
        plan.partitions.push({ groups, atMs: duration(m[2]!, "partition start"), forMs: duration(m[3]!, "partition length") });
        break;
      }
      case "crash":
      case "crash-worker": {
        const m = /^([^@]+)@([^:]+)(?::(.+))?$/.exec(value);
        if (!m) throw new FaultSpecError(`--faults: ${key}: expected branch@time[:restart-after] like 2@400ms:600ms, found ${JSON.stringify(value)}`);
        plan.crashes.push({
          branch: branchId(m[1]!, key, branches), atMs: duration(m[2]!, "crash time"),
          restartAfterMs: m[3] === undefined ? 500 : duration(m[3], "restart delay"),
          scope: key === "crash" ? "branch" : "worker",
        });
        break;
      }
      default:
        throw new FaultSpecError(`--faults: expected loss=, dup=, reorder=, partition=, crash= or crash-worker=, found ${JSON.stringify(item)}`);
    }
  }
  // A branch is down from its crash until its restart; it cannot crash again meanwhile.
  for (const a of plan.crashes) {
    for (const b of plan.crashes) {
      if (a !== b && a.branch === b.branch && b.atMs >= a.atMs && b.atMs <= a.atMs + a.restartAfterMs) {
        throw new FaultSpecError(`--faults: crash: branch ${a.branch} crashes at ${b.atMs} ms while it is still down from its crash at ${a.atMs} ms`);
      }
    }
  }
  return plan;
}

/** True when a write from `origin` may not reach `dest` at `elapsedMs` (a partition separates them). */
export function partitioned(plan: FaultPlan, origin: number, dest: number, elapsedMs: number): number | undefined {
  for (const p of plan.partitions) {
    if (elapsedMs < p.atMs || elapsedMs >= p.atMs + p.forMs) continue;
    const go = p.groups.findIndex((g) => g.includes(origin));
    const gd = p.groups.findIndex((g) => g.includes(dest));
    if (go >= 0 && gd >= 0 && go !== gd) return p.atMs + p.forMs - elapsedMs;
  }
  return undefined;
}

/**
 * Why a plan's crashes cannot run on this placement (branch → the worker
 * that hosts it), or undefined: a worker crash takes every branch of its
 * worker down for its restart delay, so no other crash of any of them (or of
 * that worker again) may fall in that window.
 */
export function crashPlanConflict(plan: FaultPlan, workerOf: (branch: number) => number | undefined): string | undefined {
  const spell = (c: Crash) => `${c.scope === "worker" ? "crash-worker" : "crash"}=${c.branch}@${c.atMs}ms:${c.restartAfterMs}ms`;
  for (const a of plan.crashes) {
    if (a.scope !== "worker") continue;
    const worker = workerOf(a.branch);
    for (const b of plan.crashes) {
      if (a === b || workerOf(b.branch) !== worker) continue;
      const overlaps = b.atMs <= a.atMs + a.restartAfterMs && a.atMs <= b.atMs + b.restartAfterMs;
      if (overlaps) {
        return `--faults: ${spell(b)} overlaps ${spell(a)}: branch ${b.branch} runs on the same worker as branch ${a.branch}, which is down from ${a.atMs} to ${a.atMs + a.restartAfterMs} ms`;
      }
    }
  }
  return undefined;
}
