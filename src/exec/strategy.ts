/**
 * A scheduling strategy (Shuttle-style): told when an execution starts, then asked
 * at every op which runnable task steps next. A schedule is the execution seed plus
 * the choices made where more than one task could run; it replays exactly.
 *
 * The strategy also owns the run around its executions, as Shuttle's `Scheduler`'s
 * new_execution() does: which seed each execution runs with (seedOf), whether another
 * one runs (another), and what the run's result says of it (ended's notes and summary,
 * folded by its registry entry into its section; strategies/index.ts).
 */
import type { SharedMemory } from '../rt/shared.js';

export interface Strategy {
  readonly name: string;
  /** A new execution begins with this seed and this many tasks. */
  start(seed: number, tasks?: number): void;
  /** Pick one of `n` (>= 2) runnable tasks: an index 0..n-1 into `runnable` (the executor's list, kept from step to step: read it, never write it). */
  pick(n: number, runnable: Int32Array): number;
  /**
   * Under --memory weak: a load may return any of `n` (>= 2) stores, 0 the newest, the
   * higher the older. A strategy without it always gives the newest (what SC would).
   */
  choose?(n: number): number;
  /** Task `task` yielded IDLE: it only waits for others (a strategy may let them go first). */
  idle?(task: number): void;
  /**
   * Before the first step: the memory the model reaches the execution's shared words
   * through, for a strategy that looks at what each op touches (dfs notes every access);
   * undefined: plain Atomics.
   */
  memory?(i32: Int32Array, modelBase: number): SharedMemory | undefined;
  /** After every step, chosen or forced: task `task` ran and yielded `result` (POINT, IDLE, the lock it blocked on, or DONE). */
  stepped?(task: number, result: number): void;
  /** The execution ended, however it ended. */
  end?(): void;
  /**
   * The seed of the worker's k-th execution (0, 1, ...); the worker runs seeds first,
   * first + stride, ... unless the strategy says otherwise (dfs explores one seed's schedules,
   * a guide replays its own seed).
   */
  seedOf?(k: number, first: number, stride: number): number;
  /**
   * The worker has the execution's result (before a finding is shrunk): the strategy counts
   * it, may amend it (a replay that departed from its token), and returns a note for the
   * run's section (kept on the result as strategyNote; undefined: none).
   */
  ended?(r: ExecutionEnd): unknown;
  /** After an execution that found nothing: whether another one runs (false: the strategy's space is exhausted). Default: yes. */
  another?(): boolean;
  /** Once the worker stops: what the strategy covered, for the run's section (dfs's summary). */
  summary?(): unknown;
  /** Its execution is a given schedule (a token replayed): a finding is reported as it ran, not shrunk. */
  readonly replays?: boolean;
}

/** How an execution ended, as a strategy sees it (an ExecutionResult, result.ts; a strategy may take that). */
export interface ExecutionEnd {
  seed: number;
  violation: object | null;
  pruned?: boolean;
  incomplete?: object;
  harnessError?: string;
  scenarioError?: object;
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

  /** Empty again, for the next execution (its buffer kept: a new one per execution was a large share of sim's garbage). */
  reset(): void {
    this.n = 0;
    this.truncated = false;
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
  /** The rare events that happened, as [event, opportunity] (exec/rare.ts); absent: each is the host-rate coin of its task. */
  rare?: [string, number][];
  /** The check of the scenario, variant and tasks it was recorded on (scheduleFit); absent in a token printed before it. */
  fit?: string;
}

/**
 * Which strategy a sim run schedules with (a name in the registry, strategies/index.ts)
 * and its settings, as its entry parsed them (all of them go in a replay command).
 */
export interface StrategySpec {
  readonly name: string;
  readonly [option: string]: unknown;
}

/** A flag a strategy takes on the command line (the shape of cli/args.ts's FlagSpec). */
export interface StrategyFlag {
  value: string;
  help: string;
}

/** What a run tells a strategy's entry about itself once it has ended, for its section. */
export interface RunNotes {
  /** The notes (Strategy.ended) of the executions that reached a verdict, in seed order, and whether each found the violation. */
  notes: { note: unknown; violation: boolean }[];
  /** The worker's summary (Strategy.summary), if the strategy gave one. */
  summary: unknown;
  /** Executions that reached a verdict. */
  executions: number;
  violation: boolean;
}

/**
 * A strategy's entry in the registry (strategies/index.ts): how the command line spells it
 * and its flags, how a worker builds it, and what a run's result and its report say of it.
 * Adding a strategy is a file holding its Strategy and its entry, and a line in the registry.
 */
export interface StrategyEntry<S extends StrategySpec = StrategySpec, N extends string = string> {
  /** Its --strategy value (or internal name); the registry derives the library's StrategyName from these. */
  readonly name: N;
  /** `--strategy NAME`: what it does, in a few words (the flag's help); absent: internal, no --strategy value (a replay). */
  readonly help?: string;
  /** The flags it takes (their name without --, their value and help); only with --strategy NAME. */
  readonly flags?: Record<string, StrategyFlag>;
  /**
   * Its settings from its flags (`flag('depth')`: the text given, undefined if not), validated:
   * bad input throws BadInput (rt/errors.ts); `whole` reads a whole number in a range so (the CLI's).
   */
  options?(flag: (name: string) => string | undefined, ctx: { memory: 'sc' | 'weak'; whole: (name: string, text: string, min: number, max?: number) => number }): S;
  /** A fresh strategy for a worker's executions (the worker's tasks by name, and the run's memory model). */
  create(spec: S, ctx: { taskNames: string[]; memory: 'sc' | 'weak' }): Strategy;
  /** Seeds may be spread over --jobs workers with the result --jobs 1 gives (its executions do not depend on each other). */
  parallel(spec: S): boolean;
  /** Its executions explore one seed (seedOf): they count no seeds, and the run goes on until the strategy stops it. */
  readonly oneSeed?: boolean;
  /** Its Strategy.memory() watches the model's accesses under these settings (dfs's footprints): its workers need a bundle with the memory seam. Absent: it watches none. */
  watchesMemory?(spec: S): boolean;
  /** Its section of the run's result (keyed by its name in the result and in --json; undefined: none). */
  section?(spec: S, run: RunNotes): unknown;
  /** Its section in the text report: lines, after the statistics. */
  lines?(section: unknown, run: { firstSeed: number; violation: boolean; params?: Record<string, unknown>; memory?: 'sc' | 'weak' }): string[];
  /** The flags a finding's replay line carries when it replays by seed (no schedule token): the strategy and its settings. */
  replayFlags?(spec: S, section: unknown): string[];
}
