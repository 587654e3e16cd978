// One serve process per store: a lock file (`serve.lock`, holding the pid)
// created exclusively in the store directory, removed when the host stops. A
// lock left by a process that is gone (kill -9) is taken over; one held by a
// live process is refused, naming its pid.

import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { processAlive } from "../storage/process-alive.js";

export class StoreLockedError extends Error {
  override name = "StoreLockedError";
}

export function lockStore(dir: string): { path: string; release(): void } {
  const path = join(dir, "serve.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return { path, release: () => {
        if (released) return;
        released = true;
        try { unlinkSync(path); } catch { /* already gone */ }
      } };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(readFileSync(path, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) throw new StoreLockedError(`${path}: the store is in use by process ${pid} (another bank-sim serve)`);
      unlinkSync(path); // left by a process that died: take it over
    }
  }
  throw new StoreLockedError(`${path}: cannot take the store's lock`);
}
