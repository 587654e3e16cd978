import { join } from "node:path";
import t from "tap";
import { realDisk } from "../../lib/storage/disk.js";
import { IN_PLACE_SYNC_MAX_MS, SyncPlacement } from "../../lib/storage/sync-placement.js";
import { WriteAheadLog } from "../../lib/storage/wal.js";

t.test("syncs run in place while they are quick and none is out on the pool", async (t) => {
  const p = new SyncPlacement();
  t.ok(p.inPlace(), "a new thread syncs in place");
  p.ended(0.3, false);
  t.ok(p.inPlace(), "after a quick sync, still in place");
  p.started();
  t.notOk(p.inPlace(), "a sync out on the pool sends the next one there too");
  p.ended(0.4, true);
  t.ok(p.inPlace(), "once it is back, in place again");
});

t.test("a slow disk sends syncs to the pool until they are quick again", async (t) => {
  const p = new SyncPlacement();
  let slow = 0;
  while (p.inPlace()) {
    p.ended(4 * IN_PLACE_SYNC_MAX_MS, false);
    slow++;
  }
  t.ok(slow > 1, `one slow sync is not enough to move (${slow} were)`);
  t.ok(p.recentMs >= IN_PLACE_SYNC_MAX_MS);
  let quick = 0;
  while (!p.inPlace()) {
    p.started();
    p.ended(0.2, true);
    quick++;
  }
  t.ok(quick > 1 && quick < 50, `back in place after ${quick} quick pooled syncs`);
});

t.test("a log keeps its records whichever way its syncs run", async (t) => {
  // Real fdatasync times decide where later syncs go (on a busy machine they
  // drift to the pool), so the test asserts only what is certain: a fresh
  // placement's first sync runs in place, a slowed one's on the pool.
  for (const [name, placement] of [["in place", new CountedPlacement()], ["on the pool", slowed(new CountedPlacement())]] as const) {
    const path = join(t.testdir({}), "b.wal");
    const disk = realDisk(placement);
    const first = WriteAheadLog.open<{ n: number }>(path, disk);
    for (let n = 0; n < 20; n++) await first.wal.append({ n });
    await Promise.all(Array.from({ length: 20 }, (_, n) => first.wal.append({ n: 20 + n })));
    t.equal(placement.firstInPlace, name === "in place", `the log's first sync went ${name} (${placement.inPlaceSyncs} in place, ${placement.pooledSyncs} on the pool)`);
    await first.wal.close();
    const again = WriteAheadLog.open<{ n: number }>(path, disk);
    t.same(again.records.map((r) => r.n), Array.from({ length: 40 }, (_, n) => n), name);
    await again.wal.close();
  }
});

/** A placement that counts where its syncs ran. */
class CountedPlacement extends SyncPlacement {
  inPlaceSyncs = 0;
  pooledSyncs = 0;
  firstInPlace: boolean | undefined;

  override ended(ms: number, pooled: boolean): void {
    if (pooled) this.pooledSyncs++;
    else this.inPlaceSyncs++;
    this.firstInPlace ??= !pooled;
    super.ended(ms, pooled);
  }
}

/** A placement whose recent syncs were slow: its next sync goes to the pool. */
function slowed(p: CountedPlacement): CountedPlacement {
  for (let i = 0; i < 40; i++) p.ended(1000 * IN_PLACE_SYNC_MAX_MS, false);
  p.inPlaceSyncs = 0;
  p.firstInPlace = undefined;
  return p;
}
