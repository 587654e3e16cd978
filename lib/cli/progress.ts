// Progress on long work (start-up of many branches, the customers'
// operations, settling, checking a big history), drawn on stderr with
// cli-progress, and only when stderr is a terminal and --quiet is not given:
// a pipe or a file gets nothing, so scripts read exactly what they read before.
// Each phase clears its bar when the next begins, and stop() clears the last,
// so the terminal keeps only the summary.

import { createRequire } from "node:module";
import type * as CliProgress from "cli-progress";

/** cli-progress and what it loads (string widths, emoji tables), only once a terminal will show a bar. */
const loadCliProgress = () => createRequire(import.meta.url)("cli-progress") as typeof CliProgress;

export interface Progress {
  /** A new phase of `total` units (`unit` names them); the previous one is cleared. */
  phase(label: string, total: number, unit: string): void;
  /** `by` more units of the current phase are done. */
  advance(by?: number): void;
  /** Clears the bar; nothing more is drawn. */
  stop(): void;
}

const SILENT: Progress = { phase: () => undefined, advance: () => undefined, stop: () => undefined };

/** A phase shorter than this never shows, so quick runs print nothing extra. */
const SHOW_AFTER_MS = 300;

export function progressOn(stream: NodeJS.WriteStream, enabled: boolean): Progress {
  if (!enabled || stream.isTTY !== true) return SILENT;
  return new TerminalProgress(stream);
}

class TerminalProgress implements Progress {
  private readonly bar: CliProgress.SingleBar;
  private running = false;
  private pending: { label: string; total: number; unit: string; value: number } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(stream: NodeJS.WriteStream) {
    const cliProgress = loadCliProgress();
    this.bar = new cliProgress.SingleBar({
      stream,
      format: "bank-sim: {phase} [{bar}] {value}/{total} {unit}, {duration_formatted}",
      barsize: 30,
      clearOnComplete: true,
      hideCursor: false,
      fps: 5,
      // Never on a pipe or a file: progressOn only builds this for a terminal.
      noTTYOutput: false,
    }, cliProgress.Presets.shades_classic);
  }

  phase(label: string, total: number, unit: string): void {
    this.clear();
    this.pending = { label, total: Math.max(total, 1), unit, value: 0 };
    // Shown only once the phase has lasted a while, with what it has done so far.
    this.timer = setTimeout(() => {
      const p = this.pending;
      if (p === undefined) return;
      this.bar.start(p.total, p.value, { phase: p.label, unit: p.unit });
      this.running = true;
    }, SHOW_AFTER_MS);
    this.timer.unref();
  }

  advance(by = 1): void {
    if (this.pending !== undefined) this.pending.value += by;
    if (this.running) this.bar.increment(by);
  }

  stop(): void {
    this.clear();
  }

  private clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    if (this.running) this.bar.stop();
    this.running = false;
  }
}
