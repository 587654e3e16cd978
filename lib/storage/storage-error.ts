// A file bank-sim could not write (a full disk, a short write, a failed
// fdatasync, a read-only directory), with the file's path and the cause in
// one line, so that the message a user sees says which file and why:
// "out/store/branch-3.wal: ENOSPC: no space left on device, write".

export class StorageError extends Error {
  override name = "StorageError";
  readonly path: string;
  override readonly cause: string;
  constructor(path: string, cause: string) {
    super(`${path}: ${cause}`);
    this.path = path;
    this.cause = cause;
  }
}

/** A StorageError for `path` from whatever a file operation threw. */
export function storageError(path: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const e = err as NodeJS.ErrnoException;
  const message = e?.message ?? String(err);
  return new StorageError(path, e?.code && !message.startsWith(e.code) ? `${e.code}: ${message}` : message);
}
