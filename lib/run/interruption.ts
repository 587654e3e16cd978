// What stops a run early: Ctrl-C (the signal), or a branch that failed for
// good (its log could not store a decision). The run checks it between
// customer events, and races every long wait (a barrier, the crash plan, the
// settle step) against it, so a stopped run never waits out a barrier that may
// wait on long delays, or on a branch that will never answer.

export class Interruption {
  private readonly signal: AbortSignal | undefined;
  private readonly interrupted: Promise<never>;
  private reason: Error | undefined;
  private stopWith: (err: Error) => void = () => undefined;

  constructor(signal: AbortSignal | undefined) {
    this.signal = signal;
    this.interrupted = new Promise<never>((_, reject) => {
      this.stopWith = reject;
      if (signal?.aborted) reject(new Error("interrupted"));
      signal?.addEventListener("abort", () => reject(new Error("interrupted")), { once: true });
    });
    // Observed here, so an interruption nobody is waiting on is not an unhandled rejection.
    this.interrupted.catch(() => undefined);
  }

  /** Stops the run with `reason` (the first reason wins). */
  stop(reason: Error): void {
    this.reason ??= reason;
    this.stopWith(this.reason);
  }

  /** Throws "interrupted" if the signal fired, or the reason the run was stopped. */
  check(): void {
    if (this.reason) throw this.reason;
    if (this.signal?.aborted) throw new Error("interrupted");
  }

  /** `p`, or a rejection "interrupted" as soon as the signal fires. */
  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.interrupted]);
  }
}
