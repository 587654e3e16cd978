import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { crc32 } from "../../lib/storage/crc32.js";
import { appendRawForTest, decodeLog, encodeRecord, WriteAheadLog } from "../../lib/storage/wal.js";

t.test("crc32 matches the standard check value", async (t) => {
  t.equal(crc32(Buffer.from("123456789")), 0xcbf43926);
  t.equal(crc32(Buffer.alloc(0)), 0);
});

t.test("records appended survive reopening, in order", async (t) => {
  const path = join(t.testdir({}), "b.wal");
  const first = WriteAheadLog.open<{ n: number }>(path);
  t.same(first.records, []);
  await Promise.all(Array.from({ length: 50 }, (_, n) => first.wal.append({ n })));
  await first.wal.close();
  const again = WriteAheadLog.open<{ n: number }>(path);
  t.same(again.records.map((r) => r.n), Array.from({ length: 50 }, (_, n) => n));
  t.equal(again.cutBytes, 0);
  await again.wal.close();
});

t.test("concurrent appends share syncs (group commit)", async (t) => {
  const { wal } = WriteAheadLog.open(join(t.testdir({}), "g.wal"));
  await Promise.all(Array.from({ length: 200 }, (_, n) => wal.append({ n })));
  t.equal(wal.appends, 200);
  t.ok(wal.syncs < 200, `${wal.syncs} syncs for 200 appends`);
  await wal.close();
});

t.test("a torn tail is detected and cut, never replayed", async (t) => {
  const path = join(t.testdir({}), "t.wal");
  const a = WriteAheadLog.open(path);
  await a.wal.append({ n: 1 });
  await a.wal.append({ n: 2 });
  await a.wal.close();
  const good = statSync(path).size;
  appendRawForTest(path, encodeRecord({ n: 3 }).subarray(0, 11)); // a crash mid-write
  const b = WriteAheadLog.open<{ n: number }>(path);
  t.same(b.records.map((r) => r.n), [1, 2]);
  t.equal(b.cutBytes, 11);
  t.match(b.cutReason, /a record cut short at byte \d+/);
  t.equal(statSync(path).size, good, "the file was truncated to its last good record");
  await b.wal.append({ n: 4 });
  await b.wal.close();
  t.same(WriteAheadLog.open<{ n: number }>(path).records.map((r) => r.n), [1, 2, 4]);
});

t.test("a flipped byte fails the checksum and ends the log there", async (t) => {
  const path = join(t.testdir({}), "c.wal");
  const bytes = Buffer.concat([encodeRecord({ n: 1 }), encodeRecord({ n: 2 }), encodeRecord({ n: 3 })]);
  const second = encodeRecord({ n: 1 }).length;
  bytes.writeUInt8(bytes.readUInt8(second + 9) ^ 0x40, second + 9); // inside record 2's payload
  writeFileSync(path, bytes);
  const r = WriteAheadLog.open<{ n: number }>(path);
  t.same(r.records.map((x) => x.n), [1]);
  t.match(r.cutReason, /a checksum mismatch at byte/);
  t.equal(readFileSync(path).length, second);
  await r.wal.close();
});

t.test("decoding refuses impossible lengths and short headers", async (t) => {
  const huge = Buffer.alloc(8);
  huge.writeUInt32LE(0xffffffff, 0);
  t.match(decodeLog(huge).cutReason, /an impossible record length/);
  t.match(decodeLog(Buffer.from([1, 2, 3])).cutReason, /a record header cut short/);
});
