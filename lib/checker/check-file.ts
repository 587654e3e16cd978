// Checks a history file (or an out directory's history.jsonl) as a stream:
// records go from the reader into the checker one at a time, so memory holds
// what the rules need, never the file. Errors name the file, and the line
// when one record is to blame.

import { readHistoryRecords, resolveHistoryPath } from "../history/reader.js";
import { HistoryChecker, HistoryError, type CheckReport } from "./checker.js";

export async function checkHistoryFile(pathOrDir: string): Promise<CheckReport> {
  const file = await resolveHistoryPath(pathOrDir);
  const checker = new HistoryChecker();
  try {
    for await (const { record, line } of readHistoryRecords(file)) checker.add(record, line);
    return checker.report();
  } catch (err) {
    if (!(err instanceof HistoryError)) throw err;
    throw new HistoryError(`${file}${err.line === undefined ? "" : `:${err.line}`}: ${err.message}`);
  }
}
