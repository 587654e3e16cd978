// The architecture check: dependency-cruiser reads lib/ with the rules of
// .dependency-cruiser.cjs (no circular imports, a pure core, rooms that use
// only the rooms below them). The first test holds the real tree to them; the
// others break each rule on purpose in a copy and show the check catches it.

import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import { ROOT } from "../helpers/paths.js";

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function cruise(dir: string): Violation[] {
  const bin = join(ROOT, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");
  const r = spawnSync(process.execPath, [bin, "lib", "--config", ".dependency-cruiser.cjs", "--output-type", "json"], {
    cwd: dir, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 120_000,
  });
  if (r.error) throw r.error;
  if (!r.stdout.startsWith("{")) throw new Error(`depcruise printed no report (exit ${r.status}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

/** A copy of the tree that the check reads, where a test may break a rule. */
function copyTree(t: Test): string {
  const dir = t.testdir();
  for (const p of ["lib", "generated", "tsconfig.json", ".dependency-cruiser.cjs", "package.json"]) cpSync(join(ROOT, p), join(dir, p), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

const describe = (vs: Violation[]) => vs.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).join("\n");

t.test("lib/ keeps every architecture rule", async (t) => {
  const violations = cruise(ROOT);
  t.same(violations, [], describe(violations));
});

t.test("the check catches each kind of break, in a copy of lib/ broken on purpose", async (t) => {
  const dir = copyTree(t);
  // The core importing a file module, another room and a package.
  appendFileSync(join(dir, "lib/core/ledger.ts"), '\nimport "node:fs";\nimport "../run/run.js";\nimport "@grpc/grpc-js";\n');
  // storage → hosting is a back-arrow, and the worker already reaches the log through the store: a circle too.
  appendFileSync(join(dir, "lib/storage/wal.ts"), '\nimport "../hosting/branch-worker.js";\n');
  // The worker protocol importing more than types from the core.
  appendFileSync(join(dir, "lib/hosting/worker-protocol.ts"), '\nimport type { Host } from "./host.js";\nexport type H = Host;\n');
  const violations = cruise(dir);
  const found = violations.map((v) => `${v.rule.name} ${v.from} -> ${v.to}`);
  const has = (rule: string, from: string, to: string) => found.some((f) => f.startsWith(`${rule} ${from} -> `) && f.includes(to));
  t.ok(has("core-is-pure", "lib/core/ledger.ts", "fs"), describe(violations));
  t.ok(has("core-is-pure", "lib/core/ledger.ts", "lib/run/run.ts"));
  t.ok(has("core-is-pure", "lib/core/ledger.ts", "node_modules/@grpc/grpc-js/"));
  t.ok(has("not-in-allowed", "lib/storage/wal.ts", "lib/hosting/branch-worker.ts"));
  t.ok(found.some((f) => f.startsWith("no-circular ")), "the circle through lib/storage/wal.ts");
  t.ok(has("protocol-is-a-leaf", "lib/hosting/worker-protocol.ts", "lib/hosting/host.ts"));
});

t.test("lib/history may use ajv for its schema, and no other package", async (t) => {
  const dir = copyTree(t);
  appendFileSync(join(dir, "lib/history/writer.ts"), '\nimport "commander";\n');
  const found = cruise(dir).map((v) => `${v.rule.name} ${v.from} -> ${v.to}`);
  t.ok(found.some((f) => f.startsWith("not-in-allowed lib/history/writer.ts -> ") && f.includes("node_modules/commander/")), found.join("\n"));
  t.notOk(found.some((f) => f.includes("lib/history/record-schema.ts")), "record-schema.ts importing ajv is allowed");
});
