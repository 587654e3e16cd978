// A file written in large chunks: lines gather in memory and go out in one
// write every FLUSH_MS, or every `flushMs` given (or sooner, past 256 KiB), instead of one write call
// per line or per request, which costs the main thread more than the line is
// worth. `close` writes what is left. The file is created new (never opened
// through whatever already has its name, such as a planted symlink), and a
// failed write is reported at once, naming the file, to `onError`.

import { createWriteStream, type WriteStream } from "node:fs";
import { storageError, type StorageError } from "./storage-error.js";

const FLUSH_BYTES = 256 * 1024;
const FLUSH_MS = 50;

export class BufferedFile {
  private readonly out: WriteStream;
  private chunks: string[] = [];
  private size = 0;
  private scheduled = false;
  private readonly flushMs: number;

  private closed = false;
  private failure: StorageError | undefined;

  constructor(path: string, onError: (err: StorageError) => void = () => undefined, flushMs = FLUSH_MS) {
    this.flushMs = flushMs;
    this.out = createWriteStream(path, { flags: "wx" });
    // A failed write (disk full, directory removed) is reported, never a crash; later writes are dropped.
    this.out.on("error", (err) => {
      if (this.failure) return;
      this.failure = storageError(path, err);
      onError(this.failure);
    });
  }

  /** Set once a write failed. */
  get failed(): StorageError | undefined {
    return this.failure;
  }

  write(text: string): void {
    if (this.closed || this.failure) return;
    this.chunks.push(text);
    this.size += text.length;
    if (this.size >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(() => {
        this.scheduled = false;
        this.flush();
      }, this.flushMs).unref();
    }
  }

  private flush(): void {
    if (this.chunks.length === 0) return;
    this.out.write(this.chunks.join(""));
    this.chunks = [];
    this.size = 0;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.flush();
    this.closed = true;
    // Resolves either way: a failure was reported to onError when it happened.
    return new Promise((resolve) => {
      if (this.out.destroyed) return resolve();
      this.out.end(() => resolve());
      this.out.once("error", () => resolve());
    });
  }
}
