// A simulated disk for the write-ahead log (lib/storage/disk.ts): files in
// memory, each with the bytes a crash would keep (synced) and the bytes only
// the page cache holds. It fails the way disks fail, drawn from the seed:
// - full: past `capacityBytes` an append writes what fits (a short write)
//   and then fails with ENOSPC;
// - torn: an append writes only a prefix of its bytes and fails (EIO);
// - a failed fdatasync (EIO), after which nothing unsynced is promised;
// - a crash: every file keeps its synced bytes plus, maybe, a random prefix
//   of what was not yet synced (a torn tail), and open files are gone.
// Appends and syncs resolve in microtasks, so a run stays deterministic.

import type { Disk, LogFile } from "../storage/disk.js";

export interface DiskFaults {
  /** Total bytes the disk holds (Infinity: never full). */
  capacityBytes: number;
  /** Probability that an append is torn: a prefix is written, then it fails. */
  tornWriteRate: number;
  /** Probability that an fdatasync fails. */
  syncFailRate: number;
}

export const NO_DISK_FAULTS: DiskFaults = { capacityBytes: Infinity, tornWriteRate: 0, syncFailRate: 0 };

interface SimFile {
  synced: Buffer;
  cached: Buffer;
}

function ioError(code: string, what: string): NodeJS.ErrnoException {
  const messages: Record<string, string> = { ENOSPC: "no space left on device", EIO: "i/o error" };
  return Object.assign(new Error(`${code}: ${messages[code] ?? code}, ${what}`), { code });
}

export class SimDisk implements Disk {
  readonly stats = { appends: 0, syncs: 0, full: 0, torn: 0, syncFailures: 0, crashes: 0 };
  private readonly files = new Map<string, SimFile>();
  private readonly random: () => number;
  private faults: DiskFaults;
  /** Open files; a crash closes them all (their appends then fail). */
  private generation = 0;

  constructor(random: () => number, faults: DiskFaults = NO_DISK_FAULTS) {
    this.random = random;
    this.faults = faults;
  }

  setFaults(faults: DiskFaults): void {
    this.faults = faults;
  }

  private used(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.cached.length;
    return n;
  }

  open(path: string): { file: LogFile; bytes: Buffer } {
    let f = this.files.get(path);
    if (f === undefined) this.files.set(path, (f = { synced: Buffer.alloc(0), cached: Buffer.alloc(0) }));
    return { file: this.handle(path, f), bytes: Buffer.from(f.cached) };
  }

  read(path: string): Buffer {
    const f = this.files.get(path);
    if (f === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: "ENOENT" });
    return Buffer.from(f.cached);
  }

  mkdir(): void {
    // Directories are implied by paths.
  }

  /** Power lost: unsynced bytes go, except perhaps a torn prefix of them. */
  crash(): void {
    this.stats.crashes++;
    this.generation++;
    for (const f of this.files.values()) {
      const unsynced = f.cached.length - f.synced.length;
      const kept = unsynced > 0 && this.random() < 0.5 ? Math.floor(this.random() * unsynced) : 0;
      f.cached = f.cached.subarray(0, f.synced.length + kept);
      f.synced = f.cached;
    }
  }

  private handle(path: string, f: SimFile): LogFile {
    const generation = this.generation;
    const alive = () => {
      if (this.generation !== generation) throw ioError("EIO", `write to a file lost in a crash`);
    };
    return {
      path,
      append: async (bytes: Buffer): Promise<number> => {
        alive();
        this.stats.appends++;
        const room = this.faults.capacityBytes - this.used();
        if (room < bytes.length) {
          this.stats.full++;
          f.cached = Buffer.concat([f.cached, bytes.subarray(0, Math.max(0, room))]);
          if (room > 0) return room;
          throw ioError("ENOSPC", "write");
        }
        if (this.faults.tornWriteRate > 0 && this.random() < this.faults.tornWriteRate) {
          this.stats.torn++;
          f.cached = Buffer.concat([f.cached, bytes.subarray(0, Math.floor(this.random() * bytes.length))]);
          throw ioError("EIO", "write");
        }
        f.cached = Buffer.concat([f.cached, bytes]);
        return bytes.length;
      },
      sync: async (): Promise<void> => {
        alive();
        this.stats.syncs++;
        if (this.faults.syncFailRate > 0 && this.random() < this.faults.syncFailRate) {
          this.stats.syncFailures++;
          throw ioError("EIO", "fdatasync");
        }
        f.synced = f.cached;
      },
      truncate: (size: number): void => {
        alive();
        // Cutting a file is made durable at once (ftruncate, then fdatasync).
        f.cached = f.cached.subarray(0, size);
        f.synced = f.cached;
      },
      close: (): void => undefined,
    };
  }
}
