// TEST-ONLY: branches that break durability on purpose, so that a test (or
// `npm run soak -- --break-durability ack-before-sync`) can show that the
// simulator's crashes and the invariants catch it (lib/sim/durability.ts):
// - ack-before-sync: a decision is answered and propagated as soon as it is
//   handed to the log, before the log has synced it (a store that
//   acknowledges before fsync);
// - forget-outcomes: a restarted branch drops the outcomes its log gave back,
//   so a retry after a crash runs its request again.
// Never use them otherwise.

import { Branch, type BranchHooks } from "../core/branch.js";
import type { MakeBranch } from "./sim-branches.js";

export const DURABILITY_BREAKS = ["ack-before-sync", "forget-outcomes"] as const;
export type DurabilityBreak = (typeof DURABILITY_BREAKS)[number];

export function parseDurabilityBreak(text: string): DurabilityBreak {
  const found = DURABILITY_BREAKS.find((b) => b === text);
  if (found === undefined) throw new Error(`--break-durability: expected one of ${DURABILITY_BREAKS.join(", ")}, found ${JSON.stringify(text)}`);
  return found;
}

export function brokenDurability(broken: DurabilityBreak, make: MakeBranch = (config, hooks) => new Branch(config, hooks)): MakeBranch {
  if (broken === "forget-outcomes") {
    return (config, hooks) => make({ ...config, recovered: { writes: config.recovered?.writes ?? [], outcomes: [] } }, hooks);
  }
  return (config, hooks) => make(config, ackBeforeSync(hooks));
}

function ackBeforeSync(hooks: BranchHooks): BranchHooks {
  const persist = hooks.persist;
  if (persist === undefined) return hooks;
  return {
    ...hooks,
    persist: (records) => {
      // The log's own failure still fails the branch (BranchStore.onFailure); the answer just does not wait.
      persist(records).catch(() => undefined);
      return Promise.resolve();
    },
  };
}
