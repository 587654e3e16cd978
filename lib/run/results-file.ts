// results.json written as the run goes, so a run keeps no list of its
// operations in memory (a 100,000-operation run used to hold every outcome
// and then build the whole file's text at the end): each event's entry is
// appended to a spool file in the out dir as its operation completes (the
// order results.json lists them in), and at the end results.json is written
// from its head (known only then), the spool copied in after it, and its
// tail, then renamed into place. The bytes are those of
// JSON.stringify(results, null, 2) + "\n": `events` is the head's last key,
// and each entry is indented as it would be at that depth.

import { unlinkSync } from "node:fs";
import { join } from "node:path";
import { BufferedFile } from "../storage/buffered-file.js";
import type { StorageError } from "../storage/storage-error.js";
import type { FilePart } from "../storage/replace-file.js";

/** The spool's name in the out dir: a temporary name, so a run's clean-up of an earlier out dir removes one left behind. */
export const SPOOL = `.results-events.${process.pid}.tmp`;

/** JSON.stringify's text of a value two levels down, in an array under the top object, with `indent` 2. */
const INDENT = "    ";

export class ResultsFile {
  private readonly path: string;
  private readonly spool: BufferedFile;
  private count = 0;

  constructor(dir: string, onError?: (err: StorageError) => void) {
    this.path = join(dir, SPOOL);
    this.spool = new BufferedFile(this.path, onError);
  }

  /** Events written so far. */
  get events(): number {
    return this.count;
  }

  /** Appends one event's entry (the value results.json lists for it). */
  add(entry: unknown): void {
    const text = INDENT + JSON.stringify(entry, null, 2).replace(/\n/g, `\n${INDENT}`);
    this.spool.write(this.count++ === 0 ? text : `,\n${text}`);
  }

  /** Flushes the spool; call before `parts`. */
  close(): Promise<void> {
    return this.spool.close();
  }

  /** results.json as parts: `head` (every key, `events` last and empty), then the spooled events. */
  parts(head: Record<string, unknown>): FilePart[] {
    if (this.spool.failed) throw this.spool.failed;
    const keys = Object.keys(head);
    if (keys[keys.length - 1] !== "events") throw new Error("results.json: events must be its last key");
    const whole = `${JSON.stringify(head, null, 2)}\n`;
    if (this.count === 0) return [whole];
    const empty = "[]\n}\n";
    return [`${whole.slice(0, -empty.length)}[\n`, { file: this.path }, "\n  ]\n}\n"];
  }

  /** Removes the spool (once results.json is written, or when it cannot be). */
  discard(): void {
    try {
      unlinkSync(this.path);
    } catch {
      // never created, or already gone
    }
  }
}
