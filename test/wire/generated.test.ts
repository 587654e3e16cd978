// generated/ is produced by `npm run gen` from proto/ and committed. This test
// runs the same command into a temporary directory and compares, so a proto
// change without regenerating (or a hand edit) fails the suite. It needs
// protoc (Debian's protobuf-compiler); without it, it is skipped and says so.

import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { ROOT } from "../helpers/paths.js";

const hasProtoc = spawnSync("protoc", ["--version"]).status === 0;

t.test("generated/ matches what npm run gen makes from proto/", { skip: hasProtoc ? false : "protoc is not installed (apt-get install protobuf-compiler)" }, async (t) => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const gen = pkg.scripts.gen ?? "";
  t.match(gen, /--ts_out=generated /, "the gen script writes to generated/");
  const out = t.testdir({});
  const args = gen.replace("--ts_out=generated ", `--ts_out=${out} `).split(/\s+/).slice(1);
  execFileSync("protoc", args, { cwd: ROOT });
  const made = readdirSync(out).filter((f) => f.endsWith(".ts")).sort();
  const committed = readdirSync(join(ROOT, "generated")).filter((f) => f.endsWith(".ts")).sort();
  t.same(made, committed);
  for (const f of made) {
    t.equal(readFileSync(join(out, f), "utf8"), readFileSync(join(ROOT, "generated", f), "utf8"), `generated/${f} is up to date`);
  }
});
