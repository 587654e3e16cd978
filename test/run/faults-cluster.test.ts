// The fault matrix on a real cluster, the message faults: each alone (loss,
// duplication, reordering, a partition that heals), then a seeded mix with
// crashes too, on the workload of test/helpers/fault-matrix.ts. Each run must
// show in results.json that its fault was injected, converge, lose no
// acknowledged write, and leave the checker with nothing to report but
// overdraft findings. Crashes alone are in faults-crash.test.ts.

import t from "tap";
import { faultCase, links, recoveredAfter, type Case } from "../helpers/fault-matrix.js";

const cases: Case[] = [
  { name: "message loss", faults: "loss=0.15", injected: (t, r) => links(t, r, "batches were lost", (s) => s.lost > 0) },
  { name: "duplication", faults: "dup=0.3", injected: (t, r) => links(t, r, "batches were duplicated", (s) => s.duplicated > 0) },
  { name: "reordering", faults: "reorder=0.5", injected: (t, r) => links(t, r, "batches were held back", (s) => s.reordered > 0) },
  { name: "a partition that heals", faults: "partition=1.2|3.4@50ms:400ms", injected: (t, r) => links(t, r, "writes waited out the partition", (s) => s.partitioned > 0) },
  {
    name: "a seeded mix", faults: "loss=0.1,dup=0.1,reorder=0.2,partition=1|2.3.4@50ms:300ms,crash=3@150ms:300ms,crash=1@500ms:200ms",
    injected: (t, r) => {
      links(t, r, "batches were lost, duplicated or held back", (s) => s.lost + s.duplicated + s.reordered > 0);
      // A crash planned after the customers finished is skipped; one that happened must have been followed by a recovery.
      const events = r.summary.faults.events;
      for (const b of [3, 1]) {
        const crashed = events.findIndex((e) => e.startsWith(`crashed branch ${b} at`));
        if (crashed >= 0) recoveredAfter(t, events, b, crashed);
      }
    },
  },
];

for (const c of cases) faultCase(t, c);
