/**
 * A scheduling strategy (Shuttle-style): told when an execution starts, then asked
 * at every op which runnable task steps next. A schedule is the execution seed plus
 * the choices made where more than one task could run; it replays exactly.
 */
export interface Strategy {
  readonly name: string;
  /** A new execution begins with this seed and this many tasks. */
  start(seed: number, tasks?: number): void;
  /** Pick one of `n` (>= 2) runnable tasks: an index 0..n-1 into `runnable`. */
  pick(n: number, runnable: Int32Array): number;
  /**
   * Under --memory weak: a load may return any of `n` (>= 2) stores, 0 the newest, the
   * higher the older. A strategy without it always gives the newest (what SC would).
   */
  choose?(n: number): number;
  /** Task `task` yielded IDLE: it only waits for others (a strategy may let them go first). */
  idle?(task: number): void;
  /** Before the first step: the execution's shared words, for a strategy that looks at what each op touches (dfs). */
  observe?(i32: Int32Array, modelBase: number): void;
  /** After every step, chosen or forced: task `task` ran and yielded `result` (POINT, IDLE, the lock it blocked on, or DONE). */
  stepped?(task: number, result: number): void;
  /** The execution ended, however it ended. */
  end?(): void;
}

/** pick() may answer this: every schedule on from here is equivalent to one already explored, so the execution stops. */
export const PRUNE = -1;

export interface Schedule {
  seed: number;
  strategy: string;
  /** One byte per choice: an index below the number of tasks (at most MAX_TASKS), or of a store a weak load returns. */
  choices: Uint8Array;
  /** The execution made more than MAX_RECORDED_CHOICES choices: only the first ones are here. */
  truncated?: boolean;
}

/** The most choices one execution records: 64 MiB. A longer schedule replays from its seed only. */
export const MAX_RECORDED_CHOICES = 64 * 1024 * 1024;

/** The choices of one execution, one byte each, in a buffer that doubles as it fills. */
export class ChoiceLog {
  private buf = new Uint8Array(4096);
  private n = 0;
  /** Set once the log outgrew MAX_RECORDED_CHOICES and stopped recording. */
  truncated = false;

  push(c: number): void {
    if (this.n === this.buf.length) {
      if (this.n >= MAX_RECORDED_CHOICES) {
        this.truncated = true;
        return;
      }
      const grown = new Uint8Array(Math.min(this.n * 2, MAX_RECORDED_CHOICES));
      grown.set(this.buf);
      this.buf = grown;
    }
    this.buf[this.n++] = c;
  }

  choices(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

/** A schedule as its departures from the default pick (strategies/guided.ts), and its token's content. */
export interface Guide {
  seed: number;
  /** [scheduling step, task] pairs, steps ascending. */
  entries: [number, number][];
  /**
   * Under --memory weak: [load, store] pairs, loads ascending, where a load (counted among
   * those that had a choice) returned an older store than the newest (store 1, 2, ...).
   */
  loads?: [number, number][];
}

/** Which strategy a sim run schedules with, and its settings (all of them go in a replay command). */
export type StrategySpec =
  | { name: 'random' }
  | { name: 'pct'; depth: number; steps?: number }
  | { name: 'dfs'; preemptions: number; reduction: 'sleep' | 'none' }
  /** One schedule given as a guide (`--schedule <token>`): a shrunk finding replayed. */
  | { name: 'guided'; guide: Guide }
  /** A threads finding's step order (one task id per step), replayed in sim. */
  | { name: 'order'; order: Uint8Array };
