// The disk as the write-ahead log sees it: open a log file (creating it) and
// read back its bytes, append bytes at its end, make them durable, cut it
// back, close it. REAL_DISK is node:fs; the simulator passes a simulated disk
// (lib/sim/sim-disk.ts) that fills up, tears writes, fails syncs and crashes,
// so both worlds run the same log code against every failure a disk has.

import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from "node:fs";

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

  constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  /**
   * Written at once, on this thread: handing a few hundred bytes to the page
   * cache costs microseconds, a trip through libuv's thread pool costs a
   * thread wake-up each way (on a busy machine, a scheduler slice), and the
   * fdatasync that follows pays one already.
   */
  append(bytes: Buffer): Promise<number> {
    try {
      return Promise.resolve(writeSync(this.fd, bytes, 0, bytes.length, null));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
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

export const REAL_DISK: Disk = {
  open(path) {
    // Append mode: every write lands at the end, wherever a truncate left it.
    const fd = openSync(path, "a+");
    return { file: new RealLogFile(path, fd), bytes: readFileSync(path) };
  },
  read: (path, start = 0, end) => (start === 0 && end === undefined ? readFileSync(path) : readRange(path, start, end)),
  mkdir: (dir) => void mkdirSync(dir, { recursive: true }),
};
