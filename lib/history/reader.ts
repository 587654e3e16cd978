// Reads history.jsonl for the checker: the file itself, or an out directory
// that holds it. The only I/O around the (pure) checker.
//
// The file is streamed: chunks are split into lines as they arrive and each
// line is parsed and validated on its own (record-schema.ts), so a history of
// any size is read in memory proportional to its longest line, never as one
// string (V8 refuses strings past 512 MiB). A line is bounded too, so a file
// that is no history (/dev/zero) fails fast instead of filling memory. Errors
// name the file and line so a damaged history can be found and fixed by hand.

import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { MAX_HISTORY_LINE_CHARS } from "../core/limits.js";
import { recordProblem } from "./record-schema.js";
import { recordsOf } from "./apply-group.js";
import type { HistoryLine, HistoryRecord } from "./types.js";

export class HistoryFileError extends Error {
  override name = "HistoryFileError";
}

/** The longest line the reader accepts, in characters (lib/core/limits.ts). */
export const MAX_LINE_CHARS = MAX_HISTORY_LINE_CHARS;

export interface LocatedRecord {
  record: HistoryRecord;
  /** 1-based line number in the file. */
  line: number;
}

const CODES: Record<string, string> = { ENOENT: "ENOENT", EACCES: "EACCES: permission denied", EISDIR: "EISDIR: it is a directory" };

/** Resolves an out directory to its history.jsonl; a file path is returned as is. */
export async function resolveHistoryPath(pathOrDir: string): Promise<string> {
  let isDir: boolean;
  try {
    isDir = (await stat(pathOrDir)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new HistoryFileError(
      `${pathOrDir}: cannot read it (${CODES[code] ?? code}); expected a history.jsonl file or an out directory containing one`,
    );
  }
  if (!isDir) return pathOrDir;
  // A directory named like a history is a mistake, not an out directory.
  if (basename(pathOrDir).endsWith(".jsonl")) {
    throw new HistoryFileError(`${pathOrDir}: expected a history file, found a directory`);
  }
  const file = join(pathOrDir, "history.jsonl");
  let inner;
  try {
    inner = await stat(file);
  } catch {
    throw new HistoryFileError(`${pathOrDir}: the directory holds no history.jsonl; is it a bank-sim out directory?`);
  }
  if (inner.isDirectory()) throw new HistoryFileError(`${file}: expected a history file, found a directory`);
  return file;
}

type Parsed = { ok: true; records: Iterable<HistoryRecord> } | { ok: false; json: boolean; message: string };

/** One non-blank line: JSON, then (unless `trusted`) the record's schema. */
function parseLine(line: string, trusted: boolean): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { ok: false, json: true, message: `not valid JSON: ${(err as Error).message}` };
  }
  const problem = trusted ? undefined : recordProblem(value);
  if (problem !== undefined) return { ok: false, json: false, message: problem };
  return { ok: true, records: recordsOf(value as HistoryLine) };
}

const LAST_LINE_HINT = " (the last line: was the run cut short while writing it?)";

/**
 * Streams the records of a history file (or of the history.jsonl in an out
 * directory), with their line numbers; blank lines are skipped. Throws
 * HistoryFileError naming file:line for the first bad line. A line that is not
 * JSON is held until the next line is seen, to tell a run cut short while
 * writing its last line from damage in the middle of the file.
 */
/** Told the file's size once, then each chunk's size as it is read (for a progress bar). */
export interface ReadProgress {
  size(bytes: number): void;
  read(bytes: number): void;
}

/**
 * `trusted`: the file is one this process just wrote (a run reading its own
 * history for its story or its P2 outputs): lines are parsed but not checked
 * against the schema, which the tests hold the writer to. Anything else is checked.
 */
export async function* readHistoryRecords(pathOrDir: string, progress?: ReadProgress, trusted = false): AsyncGenerator<LocatedRecord> {
  const file = await resolveHistoryPath(pathOrDir);
  if (progress !== undefined) progress.size((await stat(file)).size);
  const decoder = new StringDecoder("utf8");
  let carry = "";
  let lineNo = 0;
  let records = 0;
  let pendingJsonError: string | undefined;

  function* take(raw: string): Generator<LocatedRecord> {
    lineNo++;
    const line = raw.trim();
    if (line === "") return;
    if (pendingJsonError !== undefined) throw new HistoryFileError(pendingJsonError);
    const p = parseLine(line, trusted);
    if (p.ok) {
      records++;
      for (const record of p.records) yield { record, line: lineNo };
    } else if (p.json) {
      pendingJsonError = `${file}:${lineNo}: ${p.message}`;
    } else {
      throw new HistoryFileError(`${file}:${lineNo}: ${p.message}`);
    }
  }

  const stream = createReadStream(file, { highWaterMark: 1024 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      progress?.read(chunk.length);
      const text = carry + decoder.write(chunk);
      let start = 0;
      for (let nl = text.indexOf("\n", start); nl !== -1; nl = text.indexOf("\n", start)) {
        yield* take(text.slice(start, nl));
        start = nl + 1;
      }
      carry = start === 0 ? text : text.slice(start);
      if (carry.length > MAX_LINE_CHARS) {
        throw new HistoryFileError(
          `${file}:${lineNo + 1}: expected one JSON record per line, found a line longer than ${MAX_LINE_CHARS / 1024 / 1024} MiB; is this a history.jsonl?`,
        );
      }
    }
  } catch (err) {
    if (err instanceof HistoryFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new HistoryFileError(`${file}: cannot read it (${code === undefined ? (err as Error).message : (CODES[code] ?? code)})`);
  } finally {
    stream.destroy();
  }
  const rest = carry + decoder.end();
  if (rest !== "") yield* take(rest);
  if (pendingJsonError !== undefined) throw new HistoryFileError(pendingJsonError + LAST_LINE_HINT);
  if (records === 0) throw new HistoryFileError(`${file}: the history is empty`);
}

/** Every record of a history file, in memory (for tests and small histories; the checker streams). */
export async function readHistory(pathOrDir: string): Promise<HistoryRecord[]> {
  const out: HistoryRecord[] = [];
  for await (const { record } of readHistoryRecords(pathOrDir)) out.push(record);
  return out;
}

/** Parses JSON lines held in a string, with the same validation; blank lines are skipped. `file` is used in messages only. */
export function parseHistory(text: string, file = "history.jsonl"): HistoryRecord[] {
  const records: HistoryRecord[] = [];
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    const p = parseLine(line, false);
    if (p.ok) {
      records.push(...p.records);
      return;
    }
    const last = p.json && lines.slice(i + 1).every((l) => l.trim() === "");
    throw new HistoryFileError(`${file}:${i + 1}: ${p.message}${last ? LAST_LINE_HINT : ""}`);
  });
  if (records.length === 0) throw new HistoryFileError(`${file}: the history is empty`);
  return records;
}
