// Whether the process that wrote a lock file still runs: a lock whose holder
// is gone (kill -9, a crash) may be taken over. Signal 0 checks without
// signalling; EPERM means it runs under another user.

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
