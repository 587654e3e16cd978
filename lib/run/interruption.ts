// Ctrl-C during a run: the run checks it between customer events, and races
// every long wait (a barrier, the crash plan, the settle step) against it, so
// an interrupted run never waits out a barrier that may wait on long delays.

export class Interruption {
  private readonly signal: AbortSignal | undefined;
  private readonly interrupted: Promise<never>;

  constructor(signal: AbortSignal | undefined) {
    this.signal = signal;
    this.interrupted = new Promise<never>((_, reject) => {
      if (signal?.aborted) reject(new Error("interrupted"));
      signal?.addEventListener("abort", () => reject(new Error("interrupted")), { once: true });
    });
    // Observed here, so an interruption nobody is waiting on is not an unhandled rejection.
    this.interrupted.catch(() => undefined);
  }

  /** Throws "interrupted" if the signal fired. */
  check(): void {
    if (this.signal?.aborted) throw new Error("interrupted");
  }

  /** `p`, or a rejection "interrupted" as soon as the signal fires. */
  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.interrupted]);
  }
}
