// `bank-sim report <out dir>`: reads the out dir's history.jsonl once, as a
// stream, into both the checker and the report's model, renders the page and
// writes <out dir>/report.html (to a temporary name, then renamed). The only
// I/O of the report room besides page.ts's reading of its two scripts.

import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { HistoryChecker, HistoryError } from "../checker/checker.js";
import { readHistoryRecords, resolveHistoryPath } from "../history/reader.js";
import { ReportModelBuilder } from "./model.js";
import type { ReportModel } from "./model-types.js";
import { renderPage } from "./page.js";
import { writeReplacing } from "../storage/replace-file.js";

export const REPORT_FILE = "report.html";

export interface WrittenReport {
  path: string;
  bytes: number;
  model: ReportModel;
}

/** Builds the report of the history in `pathOrDir` (an out dir, or a history.jsonl) and writes report.html beside the history. */
export async function writeReport(pathOrDir: string): Promise<WrittenReport> {
  const file = await resolveHistoryPath(pathOrDir);
  const checker = new HistoryChecker();
  const builder = new ReportModelBuilder();
  try {
    for await (const { record, line } of readHistoryRecords(file)) {
      checker.add(record, line);
      builder.add(record);
    }
  } catch (err) {
    if (!(err instanceof HistoryError)) throw err;
    throw new HistoryError(`${file}${err.line === undefined ? "" : `:${err.line}`}: ${err.message}`);
  }
  let check;
  try {
    check = checker.report();
  } catch (err) {
    if (!(err instanceof HistoryError)) throw err;
    throw new HistoryError(`${file}: ${err.message}`);
  }
  const model = builder.finish(check);
  const html = renderPage(model);
  const path = join(dirname(file), REPORT_FILE);
  writeReplacing(path, [html]);
  return { path, bytes: statSync(path).size, model };
}
