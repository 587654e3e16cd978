// The checker at scale: histories far larger than hand-written ones, made by
// the benchmark's generator (lib/bench/synthetic-history.ts). Sizes stay
// modest so the file runs in seconds; what they prove is the absence of
// argument spreads and whole-file strings, whose limits sit well below them
// (a spread of ~125k arguments overflows the stack).

import t from "tap";
import { join } from "node:path";
import { checkHistory } from "../../lib/checker/checker.js";
import { checkHistoryFile } from "../../lib/checker/check-file.js";
import { syntheticHistory, writeSyntheticHistory } from "../../lib/bench/synthetic-history.js";

const depositsOnly = { deposit: 1, withdraw: 0, query: 0 };

t.test("160,000 writes of one origin in one apply record are checked without a stack overflow", async (t) => {
  // One branch, so every write has origin 1; one apply record of all of them.
  const records = [...syntheticHistory({ branches: 1, sessions: 1, operations: 160_000, seed: 1, mix: depositsOnly, applyBatch: Infinity, syncEvery: Infinity })];
  t.equal(records.filter((r) => r.type === "apply").length, 1, "a single apply record");
  const r = checkHistory(records);
  t.equal(r.verdict, "ok");
  t.same(r.counts, { violations: 0, anomalies: 0, findings: 0 });
  t.equal(r.stats.writes, 160_000);
  t.match(r.summary.find((s) => s.rule === "exactly-once"), { checked: 160_000, violations: 0 });
});

t.test("a synthetic history of 20,000 operations on 10 branches is valid and exercises every rule", async (t) => {
  const r = checkHistory(syntheticHistory({ branches: 10, sessions: 50, operations: 20_000, seed: 7 }));
  t.equal(r.verdict, "ok", r.violations.slice(0, 3).map((v) => v.message).join("\n"));
  t.equal(r.stats.operations, 20_000);
  t.equal(r.stats.branches, 10);
  for (const s of r.summary) t.ok(s.checked > 0, `${s.rule} judged something (${s.checked})`);
});

t.test("checking a history file streams it and gives the same report as checking its records", async (t) => {
  const options = { branches: 4, sessions: 8, operations: 5_000, seed: 3 };
  const file = join(t.testdir({}), "history.jsonl");
  const written = writeSyntheticHistory(file, options);
  t.ok(written.bytes > 1024 * 1024, `the file spans more than one read chunk (${written.bytes} bytes)`);
  t.same(await checkHistoryFile(file), checkHistory(syntheticHistory(options)));
});
