// The out dir of a run, handled as if the user's own files were in it:
// - it is checked before anything starts: a path that is a file, goes
//   through a file, cannot be created or written, is a clear usage error;
// - a run takes it with a lock (.bank-sim.lock, created exclusively, naming
//   the run's pid): a second run into the same dir fails at once, naming the
//   first; a lock whose process is gone is taken over;
// - a run marks the dir as bank-sim's (.bank-sim) and clears only a dir so
//   marked, and in it only files with bank-sim's own names; a dir that holds
//   anything else is refused, never cleared;
// - results.json and output.json are written to a temporary name and renamed,
//   so a reader sees a whole file or none, and nothing is written through a
//   name that already exists (a symlink planted there is replaced, never followed).

import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, unlinkSync, type Stats } from "node:fs";
import { dirname, join, parse, resolve } from "node:path";
import { writeNewParts, writeReplacing, type FilePart } from "../storage/replace-file.js";
import { storageError } from "../storage/storage-error.js";
import { processAlive } from "../storage/process-alive.js";

/** Everything a run writes into its out dir, besides its marker and lock. */
export const ARTIFACTS = ["output.json", "output.branches.json", "output.all.json", "results.json", "history.jsonl", "branches", "store", "report.html"] as const;
export const MARKER = ".bank-sim";
export const LOCK = ".bank-sim.lock";
/** What may sit in a folder a run writes, by folder. */
const FOLDER_FILES: Record<string, RegExp> = { branches: /^branch-\d+\.log$/, store: /^branch-\d+\.wal$/ };
const TEMP = /^\..+\.\d+\.tmp$/;
/** bank-sim's own files that a run leaves where they are (`bench` writes out/bench.json by default). */
const KEPT = ["bench.json"];

/** The out dir cannot be used; nothing was started or removed. Exit 2. */
export class OutDirError extends Error {
  override name = "OutDirError";
}

/** Where each part of a run's output goes. */
export function outPaths(dir: string): { results: string; output: string; outputBranches: string; outputAll: string; history: string; branches: string; store: string } {
  return {
    results: join(dir, "results.json"),
    output: join(dir, "output.json"),
    // Project 2's branches' part and all-events part (output.json holds its customers' part).
    outputBranches: join(dir, "output.branches.json"),
    outputAll: join(dir, "output.all.json"),
    history: join(dir, "history.jsonl"),
    branches: join(dir, "branches"),
    store: join(dir, "store"),
  };
}

export interface OutDirLease {
  readonly dir: string;
  /** Gives the lock back (the dir and its outputs stay). */
  release(): void;
}

/** Checks, creates, locks and clears `dir` for a run; throws OutDirError, having changed nothing of the user's. */
export function claimOutDir(dir: string, pid = process.pid): OutDirLease {
  if (dir === "") throw new OutDirError(`--out: expected a directory, found ""`);
  makeDirs(dir);
  const lock = join(dir, LOCK);
  takeLock(dir, lock, pid);
  try {
    clearEarlierRun(dir);
    if (!existsSync(join(dir, MARKER))) writeNew(join(dir, MARKER), `${JSON.stringify({ tool: "bank-sim", note: "this directory holds a bank-sim run's outputs; a later run into it replaces them" })}\n`);
  } catch (err) {
    unlinkSync(lock);
    throw err;
  }
  let released = false;
  return {
    dir,
    release: () => {
      if (released) return;
      released = true;
      try {
        unlinkSync(lock);
      } catch {
        // Already gone (the dir was removed under us): nothing to give back.
      }
    },
  };
}

/** mkdir -p, one level at a time, so a path through a file or into /proc fails with its reason instead of looping. */
function makeDirs(dir: string): void {
  const full = resolve(dir);
  const levels: string[] = [];
  for (let p = full; p !== parse(p).root; p = dirname(p)) levels.unshift(p);
  for (const level of levels) {
    let st: Stats | undefined;
    try {
      st = statSync(level);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw outDirError(dir, level, err);
    }
    if (st?.isDirectory()) continue;
    if (st) throw new OutDirError(`--out ${dir}: ${level === full ? "it" : level} is a file, not a directory`);
    try {
      mkdirSync(level);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw outDirError(dir, level, err);
    }
  }
}

const REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "it is on a read-only file system",
  ENOENT: "directories cannot be created there",
  ENOTDIR: "a part of the path is a file, not a directory",
  ENOSPC: "the disk is full",
  ENAMETOOLONG: "the name is too long",
};

function outDirError(dir: string, at: string, err: unknown): OutDirError {
  const code = (err as NodeJS.ErrnoException).code ?? "";
  return new OutDirError(`--out ${dir}: cannot use ${at}: ${REASONS[code] ?? (err as Error).message}`);
}

function takeLock(dir: string, lock: string, pid: number): void {
  const body = `${JSON.stringify({ pid, startedMs: Date.now() })}\n`;
  for (let attempt = 1; ; attempt++) {
    try {
      return writeNew(lock, body);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EEXIST") throw outDirError(dir, dir, err);
      const holder = lockHolder(lock);
      if (holder !== undefined && attempt === 1 && !processAlive(holder.pid)) {
        unlinkSync(lock); // its run died (SIGKILL, a crash): the dir is free
        continue;
      }
      const who = holder ? `pid ${holder.pid}, started ${new Date(holder.startedMs).toISOString()}` : "its lock file cannot be read";
      throw new OutDirError(`--out ${dir}: another bank-sim run is writing there (${who}); wait for it, or choose another --out`);
    }
  }
}

function lockHolder(lock: string): { pid: number; startedMs: number } | undefined {
  try {
    const v = JSON.parse(readFileSync(lock, "utf8")) as { pid?: unknown; startedMs?: unknown };
    return typeof v.pid === "number" && typeof v.startedMs === "number" ? { pid: v.pid, startedMs: v.startedMs } : undefined;
  } catch {
    return undefined;
  }
}

/** Removes what an earlier run wrote, if the dir is provably bank-sim's; refuses a dir that holds anything else. */
function clearEarlierRun(dir: string): void {
  const entries = readdirSync(dir).filter((e) => e !== LOCK);
  if (entries.length === 0) return;
  const foreign = entries.filter((e) => !isOurs(dir, e));
  // A dir holding only bank-sim's kept files (a bench report) is bank-sim's too.
  const marked = entries.includes(MARKER) || entries.every((e) => KEPT.includes(e));
  if (!marked || foreign.length > 0) {
    const shown = (marked ? foreign : entries).slice(0, 5).join(", ");
    const why = marked ? `holds files bank-sim did not write (${shown})` : `is not empty and was not written by bank-sim (it holds ${shown}${entries.length > 5 ? ", ..." : ""})`;
    throw new OutDirError(`--out ${dir}: the directory ${why}; bank-sim clears only its own out dirs: choose a new or empty directory`);
  }
  for (const e of entries) remove(join(dir, e), e);
}

function isOurs(dir: string, entry: string): boolean {
  if (entry === MARKER || TEMP.test(entry) || KEPT.includes(entry)) return true;
  if (!(ARTIFACTS as readonly string[]).includes(entry)) return false;
  const st = lstatSync(join(dir, entry));
  const pattern = FOLDER_FILES[entry];
  if (pattern === undefined) return st.isFile() || st.isSymbolicLink();
  return st.isDirectory() && readdirSync(join(dir, entry)).every((f) => pattern.test(f));
}

function remove(path: string, entry: string): void {
  if (entry === MARKER || KEPT.includes(entry)) return;
  if (FOLDER_FILES[entry] && lstatSync(path).isDirectory()) {
    for (const f of readdirSync(path)) unlinkSync(join(path, f));
    rmdirSync(path);
  } else unlinkSync(path); // a file, or a symlink itself (never what it points to)
}

/** Creates `path` (it must not exist: O_EXCL, so no symlink is followed) and writes `text`. */
function writeNew(path: string, text: string): void {
  writeNewParts(path, [text]);
}


/**
 * Writes results.json (always; from its parts, see results-file.ts) and
 * output.json (only when given: a run that failed leaves no course output
 * that could pass for a right one).
 */
export function writeOutputs(dir: string, results: readonly FilePart[], output: string | undefined, p2?: { branches: string; all: string }): void {
  const paths = outPaths(dir);
  writeReplacing(paths.results, results);
  if (output !== undefined) writeReplacing(paths.output, [output]);
  if (output !== undefined && p2 !== undefined) {
    writeReplacing(paths.outputBranches, [p2.branches]);
    writeReplacing(paths.outputAll, [p2.all]);
  }
}
