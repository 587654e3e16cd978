// Each branch's log stream, as it arrives over the branch's MessagePort, lands
// in <out>/branches/branch-<id>.log; with -v it is also echoed to the terminal,
// prefixed with the branch. A branch's file is written once a second: with
// 1,000 branches, a write per file every 50 ms (as the history goes) was
// 20,000 write calls a second on the main thread, for lines nobody reads
// until the run is over (-v shows them as they come).

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { BufferedFile } from "../storage/buffered-file.js";
import type { StorageError } from "../storage/storage-error.js";

const BRANCH_LOG_FLUSH_MS = 1000;

export class BranchLogs {
  private readonly dir: string;
  private readonly files = new Map<number, BufferedFile>();
  private readonly echo: ((line: string) => void) | undefined;
  private readonly onError: (err: StorageError) => void;
  /** The last line's time and its ISO form: a flush of hundreds of replicas' lines shares a millisecond. */
  private stamp = { ms: NaN, iso: "" };

  constructor(dir: string, echo?: (line: string) => void, onError: (err: StorageError) => void = () => undefined) {
    this.dir = dir;
    this.echo = echo;
    this.onError = onError;
    mkdirSync(dir, { recursive: true });
  }

  line(branch: number, wallMs: number, text: string): void {
    let f = this.files.get(branch);
    if (!f) {
      f = new BufferedFile(join(this.dir, `branch-${branch}.log`), this.onError, BRANCH_LOG_FLUSH_MS);
      this.files.set(branch, f);
    }
    if (wallMs !== this.stamp.ms) this.stamp = { ms: wallMs, iso: new Date(wallMs).toISOString() };
    f.write(`${this.stamp.iso} ${text}\n`);
    this.echo?.(`[branch ${branch}] ${text}`);
  }

  async close(): Promise<void> {
    await Promise.all([...this.files.values()].map((f) => f.close()));
    this.files.clear();
  }
}
