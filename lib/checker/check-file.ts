// Checks a history file (or an out directory's history.jsonl) as a stream:
// records go from the reader into the checker one at a time, so memory holds
// what the rules need, never the file. Errors name the file, and the line
// when one record is to blame.

import { readHistoryRecords, resolveHistoryPath, type ReadProgress } from "../history/reader.js";
import { HistoryChecker, HistoryError, type CheckReport } from "./checker.js";

/** Told how much of the file has been read (in MB), for a progress bar. */
export interface CheckProgress {
  phase(label: string, total: number, unit: string): void;
  advance(by?: number): void;
}

/** `trusted`: a history this process wrote (see readHistoryRecords). */
export async function checkHistoryFile(pathOrDir: string, progress?: CheckProgress, trusted = false): Promise<CheckReport> {
  const file = await resolveHistoryPath(pathOrDir);
  const checker = new HistoryChecker();
  let reading: ReadProgress | undefined;
  if (progress !== undefined) {
    const mb = 1024 * 1024;
    let read = 0;
    reading = {
      size: (bytes) => progress.phase(`checking ${file}`, Math.ceil(bytes / mb), "MB read"),
      read: (n) => {
        const before = Math.floor(read / mb);
        read += n;
        if (Math.floor(read / mb) > before) progress.advance(Math.floor(read / mb) - before);
      },
    };
  }
  try {
    for await (const { record, line } of readHistoryRecords(file, reading, trusted)) checker.add(record, line);
    progress?.phase("judging the history", 1, "report");
    return checker.report();
  } catch (err) {
    if (!(err instanceof HistoryError)) throw err;
    throw new HistoryError(`${file}${err.line === undefined ? "" : `:${err.line}`}: ${err.message}`);
  }
}
