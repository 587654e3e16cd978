// Reads a scenario's text from a file, or from standard input for "-", never
// more than the limit: the read itself is bounded, because `stat` says
// nothing true about /dev/zero, a FIFO or a growing file. Errors say which
// file and why, as usage errors (exit 2), before anything starts.

import { createReadStream, statSync } from "node:fs";
import type { Readable } from "node:stream";
import { UsageError } from "../run/run-config.js";

const WHY: Record<string, string> = { ENOENT: "no such file", EISDIR: "it is a directory", EACCES: "permission denied" };

/** The text of `file` ("-": standard input), refusing anything over `maxBytes`. */
export async function readScenarioText(file: string, maxBytes: number, stdin: Readable = process.stdin): Promise<string> {
  const name = file === "-" ? "standard input" : file;
  if (file !== "-") precheck(file, maxBytes);
  const source = file === "-" ? stdin : createReadStream(file);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new UsageError(`${name}: expected a scenario file of at most ${maxBytes} bytes, found more`);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw cannotRead(name, err);
  } finally {
    if (file !== "-") (source as { destroy(): void }).destroy();
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** What `stat` can tell before reading: a directory, or a regular file already too big. */
function precheck(file: string, maxBytes: number): void {
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new UsageError(`${file}: cannot read the scenario file: it is a directory`);
    if (st.isFile() && st.size > maxBytes) throw new UsageError(`${file}: expected a scenario file of at most ${maxBytes} bytes, found ${st.size} bytes`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw cannotRead(file, err);
  }
}

function cannotRead(name: string, err: unknown): UsageError {
  const code = (err as NodeJS.ErrnoException).code ?? "";
  return new UsageError(`${name}: cannot read the scenario file: ${WHY[code] ?? (err as Error).message}`);
}
