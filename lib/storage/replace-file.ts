// Files written whole or not at all: created exclusively (O_EXCL, so a planted
// symlink is never written through), or written to a temporary name beside
// the target and renamed over it, so a reader sees all of a file or none.
// Used by the out dir's outputs and the report page.

import { closeSync, openSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join, parse } from "node:path";
import { storageError } from "./storage-error.js";

/** What a file is written from: text, or the whole of another file (copied in chunks, never held in memory at once). */
export type FilePart = string | { file: string };

const COPY_CHUNK = 1 << 20;

/** Creates `path` (it must not exist: O_EXCL, so no symlink is followed) and writes the parts in order. */
export function writeNewParts(path: string, parts: readonly FilePart[]): void {
  const fd = openSync(path, "wx");
  try {
    for (const part of parts) {
      if (typeof part === "string") writeSync(fd, part);
      else copyInto(fd, part.file);
    }
  } finally {
    closeSync(fd);
  }
}

function copyInto(fd: number, file: string): void {
  const from = openSync(file, "r");
  try {
    const chunk = Buffer.allocUnsafe(COPY_CHUNK);
    for (let n = readSync(from, chunk, 0, COPY_CHUNK, null); n > 0; n = readSync(from, chunk, 0, COPY_CHUNK, null)) writeSync(fd, chunk, 0, n);
  } finally {
    closeSync(from);
  }
}

/** Writes the parts to a temporary name beside `path`, then renames it over `path`: readers see all of it or none. */
export function writeReplacing(path: string, parts: readonly FilePart[]): void {
  const temp = join(dirname(path), `.${parse(path).base}.${process.pid}.tmp`);
  try {
    writeNewParts(temp, parts);
    renameSync(temp, path);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // never created
    }
    throw storageError(path, err);
  }
}
