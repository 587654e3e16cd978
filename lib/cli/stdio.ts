// Standard output and error for a command that must not lose what it prints:
// through a pipe Node writes asynchronously, so exiting right after the last
// write cuts the output short (a pipe took 65,536 of 66,979 bytes); and a
// write that fails (a full disk behind `> file`, a closed pipe) must fail the
// command instead of vanishing. `exitWhenFlushed` exits only once both
// streams have taken everything, with exit code 1 if stdout could not.

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Where progress may be drawn (the process's stderr); progress shows only when it is a terminal. */
  progressStream?: NodeJS.WriteStream;
}

let stdoutError: Error | undefined;

/** The process's own streams; a failed stdout write is remembered, not thrown. */
export function processIo(): Io {
  process.stdout.on("error", (err) => (stdoutError ??= err));
  process.stderr.on("error", () => undefined); // nowhere left to say it
  return {
    out: (t) => {
      if (stdoutError === undefined) process.stdout.write(t);
    },
    err: (t) => process.stderr.write(t),
    progressStream: process.stderr,
  };
}

/** Flushes both streams, then exits with `code` (1 instead of 0 if stdout failed). */
export function exitWhenFlushed(code: number): void {
  let waiting = 2;
  const flushed = (err?: Error | null) => {
    if (err) stdoutError ??= err;
    if (--waiting > 0) return;
    if (stdoutError !== undefined) {
      process.stderr.write(`bank-sim: cannot write to standard output: ${stdoutError.message}\n`, () => process.exit(code === 0 ? 1 : code));
      return;
    }
    process.exit(code);
  };
  process.stdout.write("", (err) => flushed(err));
  process.stderr.write("", () => flushed());
}
