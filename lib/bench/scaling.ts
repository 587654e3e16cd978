// How the CPU per operation grows with the number of branches, read off a
// bench's cases: each concurrent case's CPU beyond start-up per operation
// against that of the case with the fewest branches and the same customers
// and events (the grid's b10, b100 and b1000 rows). A replicated write is
// applied by every replica, so the work it causes is O(branches); this is
// the figure that says how much of that shows per operation.

export interface ScalingCase {
  name: string;
  kind: string;
  branches: number;
  customers: number;
  events: number;
  median: { marginalCpuMsPerOp: number | null };
}

export interface ScalingRow {
  name: string;
  branches: number;
  cpuMsPerOp: number;
  /** The case it is measured against: the fewest branches, same customers and events. */
  base: { name: string; branches: number; cpuMsPerOp: number };
  /** cpuMsPerOp over the base's. */
  ratio: number;
}

/** One row per concurrent case with a figure beyond start-up that has a smaller case of the same shape to be measured against. */
export function scalingRows(cases: readonly ScalingCase[]): ScalingRow[] {
  const measured = cases.filter((c) => c.kind === "run" && c.median.marginalCpuMsPerOp !== null && c.median.marginalCpuMsPerOp > 0);
  const rows: ScalingRow[] = [];
  for (const c of measured) {
    const base = measured
      .filter((b) => b.customers === c.customers && b.events === c.events && b.branches < c.branches)
      .reduce<ScalingCase | undefined>((least, b) => (least === undefined || b.branches < least.branches ? b : least), undefined);
    if (base === undefined) continue;
    const cpuMsPerOp = c.median.marginalCpuMsPerOp!;
    const baseCpu = base.median.marginalCpuMsPerOp!;
    rows.push({ name: c.name, branches: c.branches, cpuMsPerOp, base: { name: base.name, branches: base.branches, cpuMsPerOp: baseCpu }, ratio: Math.round((cpuMsPerOp / baseCpu) * 100) / 100 });
  }
  return rows;
}
