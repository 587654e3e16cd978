// Writes Follow Reads, judged by the checker against a reference written the
// plain way: a write owes everything its session had read before it, and
// every branch that applied it must have applied all of that first. Random
// histories (sessions depositing and querying at random branches, each branch
// applying each origin's writes in order, at random moments), so a session's
// read set grows over several reads between and across its writes: what the
// checker's per-range deltas (Obligations in write-rules.ts) must get right.

import t from "tap";
import fc from "fast-check";
import { checkHistory } from "../../lib/checker/checker.js";
import { HistoryBuilder } from "../helpers/history-builder.js";

type Step = { t: "deposit" | "query"; session: number; branch: number } | { t: "apply"; branch: number; origin: number };

const BRANCHES = [1, 2, 3, 4];

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ t: fc.constantFrom("deposit" as const, "query" as const), session: fc.integer({ min: 1, max: 3 }), branch: fc.constantFrom(...BRANCHES) }),
  fc.record({ t: fc.constant("apply" as const), branch: fc.constantFrom(...BRANCHES), origin: fc.constantFrom(...BRANCHES) }),
);

/** Runs `steps` on a builder; returns it with the WFR breaks the reference finds, as "session branch". */
function play(steps: Step[]): { h: HistoryBuilder; expected: Set<string> } {
  const h = new HistoryBuilder({ branches: BRANCHES, initial: 0 });
  const order = new Map(BRANCHES.map((b) => [b, [] as string[]]));
  const issued = new Map(BRANCHES.map((b) => [b, 0]));
  const readSet = new Map<number, Map<number, number>>();
  const owes: Array<{ session: number; id: string; read: Map<number, number> }> = [];
  const appliedAt = (b: number, origin: number) => (order.get(b) ?? []).filter((id) => id.startsWith(`${origin}.`)).length;
  for (const s of steps) {
    if (s.t === "apply") {
      const next = appliedAt(s.branch, s.origin) + 1;
      if (s.origin === s.branch || next > (issued.get(s.origin) ?? 0)) continue;
      h.apply(s.branch, `${s.origin}.${next}`);
      order.get(s.branch)?.push(`${s.origin}.${next}`);
    } else if (s.t === "query") {
      h.query(`c${s.session}`, s.branch);
      const read = readSet.get(s.session) ?? new Map<number, number>();
      for (const origin of BRANCHES) read.set(origin, Math.max(read.get(origin) ?? 0, appliedAt(s.branch, origin)));
      readSet.set(s.session, read);
    } else {
      const { id } = h.deposit(`c${s.session}`, s.branch, 100);
      if (id === undefined) continue;
      issued.set(s.branch, (issued.get(s.branch) ?? 0) + 1);
      order.get(s.branch)?.push(id);
      owes.push({ session: s.session, id, read: new Map(readSet.get(s.session) ?? []) });
    }
  }
  const expected = new Set<string>();
  for (const { session, id, read } of owes) {
    for (const b of BRANCHES) {
      const list = order.get(b) ?? [];
      const at = list.indexOf(id);
      if (at < 0) continue;
      const before = new Set(list.slice(0, at));
      for (const [origin, upTo] of read) {
        for (let seq = 1; seq <= upTo; seq++) if (!before.has(`${origin}.${seq}`)) expected.add(`c${session} ${b}`);
      }
    }
  }
  return { h, expected };
}

t.test("on random histories the checker finds exactly the Writes Follow Reads breaks a plain reference finds", async (t) => {
  let broken = 0;
  let clean = 0;
  fc.assert(
    fc.property(fc.array(step, { minLength: 10, maxLength: 80 }), (steps) => {
      const { h, expected } = play(steps);
      const found = new Set(checkHistory(h.records()).violations.filter((v) => v.rule === "WFR").map((v) => `${v.session} ${v.branch}`));
      if (expected.size > 0) broken++;
      else clean++;
      return found.size === expected.size && [...expected].every((k) => found.has(k));
    }),
    { numRuns: 500, seed: 531 },
  );
  // Both kinds of history were drawn: the property was tested on breaks and on clean runs.
  t.ok(broken > 50, `${broken} histories with breaks`);
  t.ok(clean > 50, `${clean} clean histories`);
});
