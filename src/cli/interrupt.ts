/**
 * SIGINT and SIGTERM: the first one stops the run at once (every executor watches the
 * abort signal) so that the command can still print what finished, marked as an
 * interrupted run, and tear its workers down; a second one quits without waiting.
 *
 * Under `npx`, npm starts this process through `sh -c`, and the shell dies of a SIGTERM
 * without passing it on: npm exits and this process would run on, orphaned. So when npm
 * started it (npm_command=exec) and the parent goes away, that counts as a SIGTERM.
 */
import { note } from './output.js';

const EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/** What a command reads of an interrupt (a library caller passes one that never fires). */
export interface InterruptView {
  readonly signal: AbortSignal;
  readonly exitCode: number | null;
  readonly received: NodeJS.Signals | null;
}

export class Interrupt implements InterruptView {
  private readonly controller = new AbortController();
  /** The signal that stopped the run, once one has. */
  received: NodeJS.Signals | null = null;

  private readonly orphanWatch: NodeJS.Timeout | null = null;
  private readonly onSigint = () => this.onSignal('SIGINT');
  private readonly onSigterm = () => this.onSignal('SIGTERM');

  private readonly onSignal = (sig: NodeJS.Signals, why: string = sig) => {
    if (this.received) process.exit(EXIT_CODES[sig] ?? 1);
    this.received = sig;
    note(`mmu-stress: ${why}: stopping; what finished follows (${sig === 'SIGINT' ? 'Ctrl-C' : sig} again to quit at once)`);
    this.controller.abort();
  };

  constructor() {
    // Node passes the signal's number as a second argument: keep it out of `why`.
    process.on('SIGINT', this.onSigint);
    process.on('SIGTERM', this.onSigterm);
    if (process.env.npm_command === 'exec') {
      const parent = process.ppid;
      this.orphanWatch = setInterval(() => {
        if (process.ppid !== parent && !this.received) this.onSignal('SIGTERM', 'the npx process that started it went away (signalled)');
      }, 250).unref();
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** 130 after SIGINT, 143 after SIGTERM, as a shell reports a process those signals killed. */
  get exitCode(): number | null {
    return this.received ? (EXIT_CODES[this.received] ?? 1) : null;
  }

  dispose(): void {
    process.off('SIGINT', this.onSigint);
    process.off('SIGTERM', this.onSigterm);
    if (this.orphanWatch) clearInterval(this.orphanWatch);
  }
}
