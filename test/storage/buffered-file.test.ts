// BufferedFile, on real files: what is written comes out byte for byte, in
// order, whatever the text (multi-byte UTF-8, surrogate pairs, a line larger
// than a chunk, many flushes); the file must be new; a failed write is
// reported once, naming the file, and what follows is dropped.

import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import fc from "fast-check";
import { BufferedFile } from "../../lib/storage/buffered-file.js";
import type { StorageError } from "../../lib/storage/storage-error.js";

t.test("lines come out exactly as written, in order, across chunks and flushes", async (t) => {
  const dir = t.testdir({});
  let n = 0;
  await fc.assert(fc.asyncProperty(fc.array(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ minLength: 5000, maxLength: 70_000 })), { maxLength: 60 }), async (lines) => {
    const path = join(dir, `f-${n++}.txt`);
    const f = new BufferedFile(path);
    for (const line of lines) f.write(line);
    await f.close();
    return readFileSync(path, "utf8") === lines.join("");
  }), { numRuns: 60 });
  const path = join(dir, "big.txt");
  const f = new BufferedFile(path);
  const line = "é€😀 ".repeat(40_000); // larger than a chunk: 11 bytes per repeat
  f.write("first\n");
  f.write(line);
  for (let i = 0; i < 5_000; i++) f.write(`line ${i} ✓\n`);
  await f.close();
  const text = readFileSync(path, "utf8");
  t.equal(text.length, "first\n".length + line.length + Array.from({ length: 5_000 }, (_, i) => `line ${i} ✓\n`).join("").length);
  t.ok(text.startsWith(`first\n${line}line 0 ✓\n`) && text.endsWith("line 4999 ✓\n"), "in order, the large line whole");
});

t.test("the file must be new: one that exists, or a planted symlink, is reported, never written through", async (t) => {
  const dir = t.testdir({});
  const victim = join(dir, "victim.txt");
  writeFileSync(victim, "the user's\n");
  symlinkSync(victim, join(dir, "planted.log"));
  const errors: StorageError[] = [];
  const f = new BufferedFile(join(dir, "planted.log"), (e) => errors.push(e));
  f.write("not here\n");
  await f.close();
  t.equal(readFileSync(victim, "utf8"), "the user's\n", "the symlink's target is untouched");
  t.equal(errors.length, 1, "one report");
  t.match(errors[0]?.message, /planted\.log: EEXIST/);
  t.ok(f.failed, "the file says it failed");
});
