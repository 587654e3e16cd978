// How the write-ahead log fails (lib/storage/wal.ts): a full disk, a torn
// write, a failed fdatasync. On the simulator's disk (lib/sim/sim-disk.ts),
// which fails on command, and then on a real full filesystem (a small tmpfs)
// where this machine allows mounting one.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { seededRandom } from "../../lib/core/random.js";
import { NO_DISK_FAULTS, SimDisk } from "../../lib/sim/sim-disk.js";
import { encodeRecord, StorageError, WriteAheadLog } from "../../lib/storage/wal.js";

const FRAME = encodeRecord({ n: 1 }).length;

t.test("an append that finds the disk full fails naming the file and the cause, and the log refuses every later append", async (t) => {
  const disk = new SimDisk(seededRandom(1), { capacityBytes: 3 * FRAME, tornWriteRate: 0, syncFailRate: 0 });
  const { wal } = WriteAheadLog.open<{ n: number }>("out/store/branch-3.wal", disk);
  for (let n = 1; n <= 3; n++) await wal.append({ n });
  await t.rejects(wal.append({ n: 4 }), new StorageError("out/store/branch-3.wal", "ENOSPC: no space left on device, write"));
  t.match(wal.failed?.message, /^out\/store\/branch-3\.wal: ENOSPC/);
  disk.setFaults({ capacityBytes: Infinity, tornWriteRate: 0, syncFailRate: 0 });
  await t.rejects(wal.append({ n: 5 }), { name: "StorageError" }, "even once there is room again: the log has failed");
  await wal.close();
});

t.test("a short write is cut back to the last good byte, so nothing acknowledged is cut when the log is opened again", async (t) => {
  // Room for two records and half of a third: the third is written short.
  const disk = new SimDisk(seededRandom(2), { capacityBytes: 2 * FRAME + Math.floor(FRAME / 2), tornWriteRate: 0, syncFailRate: 0 });
  const path = "s.wal";
  const { wal } = WriteAheadLog.open<{ n: number }>(path, disk);
  await wal.append({ n: 1 });
  await wal.append({ n: 2 });
  await t.rejects(wal.append({ n: 3 }), new RegExp(`^s\\.wal: ENOSPC: no space left on device, write \\(after ${Math.floor(FRAME / 2)} of ${FRAME} bytes\\)$`));
  t.equal(disk.read(path).length, 2 * FRAME, "the torn frame is gone from the file");
  await wal.close();
  const again = WriteAheadLog.open<{ n: number }>(path, disk);
  t.same(again.records.map((r) => r.n), [1, 2]);
  t.equal(again.cutBytes, 0, "nothing to cut: every acknowledged record is whole");
  await again.wal.close();
});

t.test("a torn write and a failed fdatasync each fail the log and leave only what was good", async (t) => {
  for (const [name, faults] of [["torn write", { tornWriteRate: 1, syncFailRate: 0 }], ["failed fdatasync", { tornWriteRate: 0, syncFailRate: 1 }]] as const) {
    const disk = new SimDisk(seededRandom(3));
    const { wal } = WriteAheadLog.open<{ n: number }>("f.wal", disk);
    await wal.append({ n: 1 });
    disk.setFaults({ capacityBytes: Infinity, ...faults });
    await t.rejects(wal.append({ n: 2 }), /^f\.wal: EIO/, name);
    t.equal(disk.read("f.wal").length, FRAME, `${name}: cut back to the one good record`);
    await wal.close();
  }
});

t.test("a failure of an unsynced append, whose caller did not wait, is still heard", async (t) => {
  const disk = new SimDisk(seededRandom(4), { capacityBytes: FRAME, tornWriteRate: 0, syncFailRate: 0 });
  const { wal } = WriteAheadLog.open<{ n: number }>("l.wal", disk);
  const heard = new Promise<StorageError>((resolve) => wal.onFailure(resolve));
  await wal.append({ n: 1 }, false);
  await wal.append({ n: 2 }, false);
  t.match((await heard).message, /^l\.wal: ENOSPC/);
  await wal.close();
});

t.test("queue, the unsynced append that returns nothing, is heard failing too, and takes nothing once the log has failed or closed", async (t) => {
  const disk = new SimDisk(seededRandom(4), { capacityBytes: FRAME, tornWriteRate: 0, syncFailRate: 0 });
  const { wal } = WriteAheadLog.open<{ n: number }>("q.wal", disk);
  const heard = new Promise<StorageError>((resolve) => wal.onFailure(resolve));
  t.ok(wal.queue(encodeRecord({ n: 1 })), "queued");
  t.ok(wal.queue(encodeRecord({ n: 2 })), "queued (the disk has room for one)");
  await t.rejects(wal.append({ n: 3 }), { name: "StorageError" }, "the synced append that takes them to the disk fails");
  t.match((await heard).message, /^q\.wal: ENOSPC/);
  t.notOk(wal.queue(encodeRecord({ n: 4 })), "refused once the log has failed");
  await wal.close();
  const fresh = WriteAheadLog.open<{ n: number }>("r.wal", disk);
  await fresh.wal.close();
  t.notOk(fresh.wal.queue(encodeRecord({ n: 5 })), "refused once the log is closed");
});

t.test("on a real full filesystem every append that resolved is there after reopening", async (t) => {
  if (process.getuid?.() !== 0) {
    t.comment("skipped: needs root to mount a small tmpfs");
    return;
  }
  // Not t.testdir(): tap would remove it while it is still mounted.
  const dir = mkdtempSync(join(tmpdir(), "bank-sim-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stdio: "pipe" });
  } catch (err) {
    rmSync(dir, { recursive: true });
    t.comment(`skipped: cannot mount a tmpfs here: ${(err as Error).message.split("\n")[0]}`);
    return;
  }
  t.teardown(() => {
    execFileSync("umount", [dir]);
    rmSync(dir, { recursive: true });
  });
  const path = join(dir, "full.wal");
  const { wal } = WriteAheadLog.open<{ n: number; pad: string }>(path);
  const pad = "x".repeat(1000);
  let acknowledged = 0;
  let failure: unknown;
  for (let n = 1; n <= 200 && failure === undefined; n++) {
    try {
      await wal.append({ n, pad });
      acknowledged = n;
    } catch (err) {
      failure = err;
    }
  }
  t.type(failure, StorageError, "the disk filled up");
  t.match((failure as Error).message, `${path}: ENOSPC`);
  await wal.close();
  const again = WriteAheadLog.open<{ n: number }>(path);
  t.same(again.records.map((r) => r.n), Array.from({ length: acknowledged }, (_, i) => i + 1), `all ${acknowledged} acknowledged records survive`);
  t.equal(again.cutBytes, 0);
  t.ok(statSync(path).size > 0);
  await again.wal.close();
});

t.test("a record a killed process left in the page cache is synced when the log is opened, so a power cut cannot take it back", async (t) => {
  // The first process's fdatasync never returns: it is killed while it runs.
  const disk = new SimDisk(seededRandom(6), NO_DISK_FAULTS, { sleep: () => new Promise<void>(() => undefined), syncMsMin: 1, syncMsMax: 1 });
  const first = WriteAheadLog.open<{ n: number }>("k.wal", disk);
  void first.wal.append({ n: 1 });
  await new Promise((r) => setImmediate(r));
  disk.closeFiles();
  first.wal.crash();
  const second = WriteAheadLog.open<{ n: number }>("k.wal", disk);
  t.same(second.records.map((r) => r.n), [1], "the restarted process recovers the record from the page cache");
  second.wal.crash();
  disk.crash();
  const third = WriteAheadLog.open<{ n: number }>("k.wal", disk);
  t.same(third.records.map((r) => r.n), [1], "and a power cut after that recovery keeps it");
  third.wal.crash();
});

t.test("power lost during the n-th append: that append never returns, and the reopened log holds every record synced before it", async (t) => {
  for (let seed = 1; seed <= 20; seed++) {
    const disk = new SimDisk(seededRandom(seed));
    const first = WriteAheadLog.open<{ n: number }>("p.wal", disk);
    let crashed = 0;
    disk.crashAtAppend(4, () => crashed++);
    for (let n = 1; n <= 3; n++) await first.wal.append({ n });
    let returned = false;
    void first.wal.append({ n: 4 }).finally(() => (returned = true));
    await new Promise((r) => setImmediate(r));
    t.equal(crashed, 1, `seed ${seed}: the simulator heard of the crash`);
    t.notOk(returned, `seed ${seed}: the append in flight never returned`);
    first.wal.crash();
    const again = WriteAheadLog.open<{ n: number }>("p.wal", disk);
    t.same(again.records.map((r) => r.n), [1, 2, 3], `seed ${seed}: the synced records, none torn (cut ${again.cutBytes} bytes)`);
    again.wal.crash();
  }
});
