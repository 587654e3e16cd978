// A file written in large chunks: lines gather in memory and go out in one
// write every FLUSH_MS (or sooner, past 256 KiB), instead of one write call
// per line or per request, which costs the main thread more than the line is
// worth. `close` writes what is left.

import { createWriteStream, type WriteStream } from "node:fs";

const FLUSH_BYTES = 256 * 1024;
const FLUSH_MS = 50;

export class BufferedFile {
  private readonly out: WriteStream;
  private chunks: string[] = [];
  private size = 0;
  private scheduled = false;

  private closed = false;
  private failure: Error | undefined;

  constructor(path: string) {
    this.out = createWriteStream(path);
    // A failed write (disk full, directory removed) surfaces at close, not as a crash.
    this.out.on("error", (err) => (this.failure ??= err));
  }

  write(text: string): void {
    if (this.closed) return;
    this.chunks.push(text);
    this.size += text.length;
    if (this.size >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(() => {
        this.scheduled = false;
        this.flush();
      }, FLUSH_MS).unref();
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
    return new Promise((resolve, reject) => {
      this.out.end(() => (this.failure ? reject(this.failure) : resolve()));
    });
  }
}
