// Each branch's log stream, as it arrives over the branch's MessagePort, lands
// in <out>/branches/branch-<id>.log; with -v it is also echoed to the terminal,
// prefixed with the branch.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { BufferedFile } from "../storage/buffered-file.js";
import type { StorageError } from "../storage/storage-error.js";

export class BranchLogs {
  private readonly dir: string;
  private readonly files = new Map<number, BufferedFile>();
  private readonly echo: ((line: string) => void) | undefined;
  private readonly onError: (err: StorageError) => void;

  constructor(dir: string, echo?: (line: string) => void, onError: (err: StorageError) => void = () => undefined) {
    this.dir = dir;
    this.echo = echo;
    this.onError = onError;
    mkdirSync(dir, { recursive: true });
  }

  line(branch: number, wallMs: number, text: string): void {
    let f = this.files.get(branch);
    if (!f) {
      f = new BufferedFile(join(this.dir, `branch-${branch}.log`), this.onError);
      this.files.set(branch, f);
    }
    f.write(`${new Date(wallMs).toISOString()} ${text}\n`);
    this.echo?.(`[branch ${branch}] ${text}`);
  }

  async close(): Promise<void> {
    await Promise.all([...this.files.values()].map((f) => f.close()));
    this.files.clear();
  }
}
