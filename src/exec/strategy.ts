/**
 * A scheduling strategy (Shuttle-style): told when an execution starts, then asked
 * at every op which runnable task steps next. A schedule is the execution seed plus
 * the choices made where more than one task could run; it replays exactly.
 */
export interface Strategy {
  readonly name: string;
  /** A new execution begins with this seed. */
  start(seed: number): void;
  /** Pick one of `n` (>= 2) runnable tasks: an index 0..n-1 into `runnable`. */
  pick(n: number, runnable: Int32Array): number;
}

export interface Schedule {
  seed: number;
  strategy: string;
  choices: number[];
}
