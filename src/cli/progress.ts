/**
 * The live progress line on stderr: only for a person at a terminal. Nothing of it when
 * stderr is not a TTY, under CI, with --json or with --quiet. It uses no colour, so
 * NO_COLOR has nothing to turn off; it redraws one line in place (\r, erase to end).
 */
import { note } from './output.js';

export function progressWanted(opts: { json: boolean; quiet: boolean }): boolean {
  return !opts.json && !opts.quiet && process.stderr.isTTY === true && !process.env.CI;
}

export class ProgressLine {
  private timer: NodeJS.Timeout | null = null;
  private shown = false;

  constructor(private readonly render: () => string) {}

  start(everyMs = 250): void {
    this.timer = setInterval(() => this.draw(), everyMs);
    this.timer.unref();
  }

  private draw(): void {
    const cols = process.stderr.columns || 100;
    const text = this.render().slice(0, cols - 1);
    try {
      process.stderr.write(`\r\x1b[K${text}`);
      this.shown = true;
    } catch {
      this.stop();
    }
  }

  /** Print a line above the progress line (which is redrawn at the next tick). */
  say(line: string): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    note(line);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.shown) {
      try {
        process.stderr.write('\r\x1b[K');
      } catch {
        /* stderr went away: nothing to clear */
      }
    }
    this.shown = false;
  }
}

/** "1.2 s", "2 m 05 s". */
export function clock(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
}
