// The disk as the write-ahead log sees it: open a log file (creating it) and
// read back its bytes, append bytes at its end, make them durable, cut it
// back, close it. REAL_DISK is node:fs; the simulator passes a simulated disk
// (lib/sim/sim-disk.ts) that fills up, tears writes, fails syncs and crashes,
// so both worlds run the same log code against every failure a disk has.
// Where each real sync runs (in place or on libuv's pool) is the thread's
// SyncPlacement's choice (sync-placement.ts).

import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import { SyncPlacement } from "./sync-placement.js";

export interface LogFile {
  readonly path: string;
  /** Appends `bytes`; resolves with how many reached the file (a short write is possible on a full disk). */
  append(bytes: Buffer): Promise<number>;
  /** Makes everything appended so far durable (fdatasync). */
  sync(): Promise<void>;
  /** Cuts the file back to `size` bytes, durably. */
  truncate(size: number): void;
  close(): void;
}

export interface Disk {
  /** Opens (creating) a log file and returns it with the bytes it holds. */
  open(path: string): { file: LogFile; bytes: Buffer };
  /** The bytes of a file from `start` (default 0) to `end` (default: its end, and never past it), as on disk now. */
  read(path: string, start?: number, end?: number): Buffer;
  mkdir(dir: string): void;
}

class RealLogFile implements LogFile {
  readonly path: string;
  private readonly fd: number;
  private readonly syncs: SyncPlacement;

  constructor(path: string, fd: number, syncs: SyncPlacement) {
    this.path = path;
    this.fd = fd;
    this.syncs = syncs;
  }

  /**
   * Written at once, on this thread: handing a few hundred bytes to the page
   * cache costs microseconds, a trip through libuv's thread pool costs a
   * thread wake-up each way (on a busy machine, a scheduler slice).
   */
  append(bytes: Buffer): Promise<number> {
    try {
      return Promise.resolve(writeSync(this.fd, bytes, 0, bytes.length, null));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** In place or on the pool, as the thread's SyncPlacement says; durable alike. */
  sync(): Promise<void> {
    const started = performance.now();
    if (this.syncs.inPlace()) {
      try {
        fdatasyncSync(this.fd);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      } finally {
        this.syncs.ended(performance.now() - started, false);
      }
    }
    this.syncs.started();
    return new Promise((resolve, reject) =>
      fdatasync(this.fd, (err) => {
        this.syncs.ended(performance.now() - started, true);
        if (err) reject(err);
        else resolve();
      }),
    );
  }

  truncate(size: number): void {
    ftruncateSync(this.fd, size);
    fdatasyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

function readRange(path: string, start: number, end: number | undefined): Buffer {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const stop = Math.min(end ?? size, size);
    const out = Buffer.alloc(Math.max(0, stop - start));
    let done = 0;
    while (done < out.length) {
      const n = readSync(fd, out, done, out.length - done, start + done);
      if (n === 0) break;
      done += n;
    }
    return out.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

/** node:fs, its logs' syncs placed by `syncs` (tests pass their own). */
export function realDisk(syncs: SyncPlacement): Disk {
  return {
    open(path) {
      // Append mode: every write lands at the end, wherever a truncate left it.
      const fd = openSync(path, "a+");
      return { file: new RealLogFile(path, fd, syncs), bytes: readFileSync(path) };
    },
    read: (path, start = 0, end) => (start === 0 && end === undefined ? readFileSync(path) : readRange(path, start, end)),
    mkdir: (dir) => void mkdirSync(dir, { recursive: true }),
  };
}

/** node:fs, with one SyncPlacement for the thread (a worker loads its own copy of this module). */
export const REAL_DISK: Disk = realDisk(new SyncPlacement());
