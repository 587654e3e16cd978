// TEST-ONLY: a Branch whose gate ignores some guarantees, so that a test (or
// `npm run soak -- --break-gate mr`) can break the gate on purpose and show
// that the simulator and the history checker catch it. The same mutation as
// lib/branch-worker.ts's BrokenGateBranch: the guarantees' bits are cleared
// from each request before the gate sees it, while the history still records
// them as on. Never use it otherwise.

import { Branch, type BranchConfig, type BranchHooks, type CustomerOp, type OpReply } from "../core/branch.js";
import { guaranteesToBits, type GuaranteeName } from "../core/gate.js";

export function brokenGateBranches(broken: readonly GuaranteeName[]): (config: BranchConfig, hooks: BranchHooks) => Branch {
  const bits = guaranteesToBits(broken);
  class BrokenGateBranch extends Branch {
    override serve(op: CustomerOp): Promise<OpReply> {
      return super.serve({ ...op, guarantees: op.guarantees & ~bits });
    }
  }
  return (config, hooks) => new BrokenGateBranch(config, hooks);
}
