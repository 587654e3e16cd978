// A simulated disk for the write-ahead log (lib/storage/disk.ts): files in
// memory, each with the bytes a crash would keep (synced) and the bytes only
// the page cache holds. It fails the way disks fail, drawn from the seed:
// - full: past `capacityBytes` an append writes what fits (a short write)
//   and then fails with ENOSPC;
// - torn: an append writes only a prefix of its bytes and fails (EIO);
// - a failed fdatasync (EIO), after which nothing unsynced is promised;
// - a crash: every file keeps its synced bytes plus, maybe, a random prefix
//   of what was not yet synced (a torn tail), and open files are gone;
// - a crash in the middle of a write: `crashAtAppend(n, ...)` loses power
//   during the n-th append from now (its bytes reach the cache, then the
//   crash above), tells the simulator, and that append never returns.
// Appends resolve in microtasks; an fdatasync takes a while of virtual time
// when given a `sleep`, so that group commit and crashes during a sync
// happen. Either way a run stays deterministic.

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

/** How long an fdatasync takes: uniform in [syncMsMin, syncMsMax] of virtual time. */
export interface SyncLatency {
  sleep: (ms: number) => Promise<void>;
  syncMsMin: number;
  syncMsMax: number;
}

/** A file's bytes, in a buffer that grows by doubling; the first `synced` of them are durable. */
class SimFile {
  private data = Buffer.alloc(256);
  length = 0;
  synced = 0;

  write(bytes: Buffer): void {
    if (this.length + bytes.length > this.data.length) {
      const grown = Buffer.alloc(Math.max(2 * this.data.length, this.length + bytes.length));
      this.data.copy(grown, 0, 0, this.length);
      this.data = grown;
    }
    bytes.copy(this.data, this.length);
    this.length += bytes.length;
  }

  /** Cuts the file back to `size` bytes (never longer than it is). */
  cut(size: number): void {
    this.length = Math.min(this.length, Math.max(0, size));
    this.synced = Math.min(this.synced, this.length);
  }

  /** A copy of bytes [start, end), so that later writes cannot change what a reader holds. */
  copy(start = 0, end = this.length): Buffer {
    return Buffer.from(this.data.subarray(Math.min(start, this.length), Math.min(end, this.length)));
  }
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
  private readonly latency: SyncLatency | undefined;
  /** Open files; a crash closes them all (their appends then fail). */
  private generation = 0;
  private crashPoint: { appendsLeft: number; crashed: () => void } | undefined;

  constructor(random: () => number, faults: DiskFaults = NO_DISK_FAULTS, latency?: SyncLatency) {
    this.random = random;
    this.faults = faults;
    this.latency = latency;
  }

  get currentFaults(): DiskFaults {
    return this.faults;
  }

  setFaults(faults: DiskFaults): void {
    this.faults = faults;
  }

  /** Bytes held, as a full disk counts them. */
  get usedBytes(): number {
    return this.used();
  }

  /** Power fails during the `appends`-th append from now (1: the next one); then `crashed` runs. */
  crashAtAppend(appends: number, crashed: () => void): void {
    this.crashPoint = { appendsLeft: Math.max(1, Math.floor(appends)), crashed };
  }

  /** No crash at an append any more. */
  disarm(): void {
    this.crashPoint = undefined;
  }

  private used(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.length;
    return n;
  }

  open(path: string): { file: LogFile; bytes: Buffer } {
    let f = this.files.get(path);
    if (f === undefined) this.files.set(path, (f = new SimFile()));
    return { file: this.handle(path, f), bytes: f.copy() };
  }

  read(path: string, start?: number, end?: number): Buffer {
    const f = this.files.get(path);
    if (f === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: "ENOENT" });
    return f.copy(start, end);
  }

  mkdir(): void {
    // Directories are implied by paths.
  }

  /**
   * The process that had the files open died (killed, or exited on an error):
   * its handles are gone, so a write or fdatasync it had in flight never
   * completes, but the page cache keeps every byte it wrote, synced or not.
   */
  closeFiles(): void {
    this.generation++;
  }

  /** Power lost: unsynced bytes go, except perhaps a torn prefix of them. */
  crash(): void {
    this.stats.crashes++;
    this.generation++;
    for (const f of this.files.values()) {
      const unsynced = f.length - f.synced;
      const kept = unsynced > 0 && this.random() < 0.5 ? Math.floor(this.random() * unsynced) : 0;
      f.cut(f.synced + kept);
      f.synced = f.length;
    }
  }

  /** The write reaches the cache, the power goes, and the caller never hears back. */
  private crashDuring(f: SimFile, bytes: Buffer): Promise<number> {
    const { crashed } = this.crashPoint!;
    this.crashPoint = undefined;
    f.write(bytes);
    this.crash();
    crashed();
    return new Promise<number>(() => undefined);
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
        if (this.crashPoint !== undefined && --this.crashPoint.appendsLeft === 0) return this.crashDuring(f, bytes);
        const room = this.faults.capacityBytes - this.used();
        if (room < bytes.length) {
          this.stats.full++;
          f.write(bytes.subarray(0, Math.max(0, room)));
          if (room > 0) return room;
          throw ioError("ENOSPC", "write");
        }
        if (this.faults.tornWriteRate > 0 && this.random() < this.faults.tornWriteRate) {
          this.stats.torn++;
          f.write(bytes.subarray(0, Math.floor(this.random() * bytes.length)));
          throw ioError("EIO", "write");
        }
        f.write(bytes);
        return bytes.length;
      },
      sync: async (): Promise<void> => {
        alive();
        this.stats.syncs++;
        // What was written before the sync began is what it makes durable.
        const upTo = f.length;
        if (this.latency !== undefined) {
          const { sleep, syncMsMin, syncMsMax } = this.latency;
          await sleep(syncMsMin + this.random() * (syncMsMax - syncMsMin));
          // Power lost while the sync ran: it made nothing durable.
          alive();
        }
        if (this.faults.syncFailRate > 0 && this.random() < this.faults.syncFailRate) {
          this.stats.syncFailures++;
          throw ioError("EIO", "fdatasync");
        }
        f.synced = Math.max(f.synced, Math.min(upTo, f.length));
      },
      truncate: (size: number): void => {
        alive();
        // Cutting a file is made durable at once (ftruncate, then fdatasync).
        f.cut(size);
        f.synced = f.length;
      },
      close: (): void => undefined,
    };
  }
}
