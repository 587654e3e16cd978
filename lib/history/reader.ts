// Reads history.jsonl for the checker: the file itself, or an out directory
// that holds it. The only I/O around the (pure) checker. Errors name the file
// and line so a damaged history can be found and fixed by hand.

import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { HistoryRecord } from "./types.js";

export class HistoryFileError extends Error {
  override name = "HistoryFileError";
}

const TYPES = new Set(["meta", "invoke", "complete", "apply", "final"]);

/** Resolves an out directory to its history.jsonl; a file path is returned as is. */
export async function resolveHistoryPath(pathOrDir: string): Promise<string> {
  let isDir: boolean;
  try {
    isDir = (await stat(pathOrDir)).isDirectory();
  } catch (err) {
    throw new HistoryFileError(
      `${pathOrDir}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)}); ` +
        `expected a history.jsonl file or an out directory containing one`,
    );
  }
  if (!isDir) return pathOrDir;
  const file = join(pathOrDir, "history.jsonl");
  try {
    await stat(file);
  } catch {
    throw new HistoryFileError(`${pathOrDir}: the directory holds no history.jsonl; is it a bank-sim out directory?`);
  }
  return file;
}

export async function readHistory(pathOrDir: string): Promise<HistoryRecord[]> {
  const file = await resolveHistoryPath(pathOrDir);
  return parseHistory(await readFile(file, "utf8"), file);
}

/** Parses JSON lines; blank lines are skipped. `file` is used in messages only. */
export function parseHistory(text: string, file = "history.jsonl"): HistoryRecord[] {
  const records: HistoryRecord[] = [];
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      const last = i === lines.length - 1 || (i === lines.length - 2 && lines[i + 1] === "");
      const hint = last ? " (the last line: was the run cut short while writing it?)" : "";
      throw new HistoryFileError(`${file}:${i + 1}: not valid JSON: ${(err as Error).message}${hint}`);
    }
    const type = typeof value === "object" && value !== null ? (value as { type?: unknown }).type : undefined;
    if (typeof type !== "string" || !TYPES.has(type)) {
      throw new HistoryFileError(
        `${file}:${i + 1}: expected a record with "type" one of meta, invoke, complete, apply, final; ` +
          `found ${JSON.stringify(line.length > 80 ? `${line.slice(0, 77)}...` : line)}`,
      );
    }
    records.push(value as HistoryRecord);
  });
  if (records.length === 0) throw new HistoryFileError(`${file}: the history is empty`);
  return records;
}
