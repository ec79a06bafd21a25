/**
 * `pct`: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
 * ASPLOS 2010), as Shuttle's and Coyote's PCT schedulers. Each task gets a random
 * distinct priority above `depth`; `depth - 1` change points are drawn among the first
 * `k` scheduling decisions; the runnable task of highest priority always runs, and at
 * the i-th change point the task that runs is dropped to priority i, below every other.
 * A bug that needs `depth` ordering constraints is hit in one execution with probability
 * at least 1 / (n * k^(depth-1)) for n tasks and k decisions per execution.
 *
 * k is learned from the run's own executions (the most decisions one has taken so far)
 * unless it is given (`--pct-steps`): a replay gives it, so that the one execution
 * replays exactly without the run's history.
 */
import seedrandom from 'seedrandom';
import type { Strategy } from '../strategy.js';

/** The k a run starts from, before any execution has shown how many decisions it takes. */
export const PCT_INITIAL_STEPS = 1000;

export class PctStrategy implements Strategy {
  readonly name = 'pct';
  private rng: seedrandom.PRNG = seedrandom.alea('0');
  private priority: number[] = [];
  private changePoints: number[] = [];
  private decisions = 0;
  /** The k of the execution in flight, and the most decisions any execution has taken. */
  k: number;
  private most = 0;
  /** Tasks of the execution in flight. */
  tasks = 0;
  /** Below every priority handed out so far: where an idle task goes. */
  private lowest = 0;

  constructor(
    readonly depth: number,
    /** A fixed k (a replay); null learns it from the executions. */
    private readonly fixedSteps: number | null = null,
  ) {
    this.k = fixedSteps ?? PCT_INITIAL_STEPS;
  }

  /** The decisions the execution in flight (or the last one) has taken. */
  get taken(): number {
    return this.decisions;
  }

  start(seed: number, tasks = 0): void {
    // k: the most decisions an execution of this run has taken so far (until one has ended, the initial guess)
    this.most = Math.max(this.most, this.decisions);
    if (this.fixedSteps === null && this.most > 0) this.k = this.most;
    this.rng = seedrandom.alea(`${seed}:pct`);
    this.tasks = tasks;
    this.decisions = 0;
    // distinct initial priorities depth .. depth + tasks - 1, in random order (Fisher-Yates)
    const p = Array.from({ length: tasks }, (_, i) => this.depth + i);
    for (let i = p.length - 1; i > 0; i--) {
      const j = Math.floor(this.rng() * (i + 1));
      [p[i], p[j]] = [p[j], p[i]];
    }
    this.priority = p;
    this.lowest = 0;
    const points = new Set<number>();
    while (points.size < Math.min(this.depth - 1, this.k)) points.add(1 + Math.floor(this.rng() * this.k));
    this.changePoints = [...points].sort((a, b) => a - b);
  }

  /**
   * A task that only waits for others (it yielded IDLE) drops below every task, as
   * Shuttle's PCT does on yield_now: with strict priorities a spin-wait would otherwise
   * run forever while the task it waits for never gets a turn.
   */
  idle(task: number): void {
    this.priority[task] = --this.lowest;
  }

  pick(n: number, runnable: Int32Array): number {
    this.decisions++;
    let best = 0;
    for (let c = 1; c < n; c++) if (this.priority[runnable[c]] > this.priority[runnable[best]]) best = c;
    const at = this.changePoints.indexOf(this.decisions);
    if (at >= 0) {
      // the (at+1)-th change point: this task drops below all, then the next in line runs
      this.priority[runnable[best]] = at + 1;
      best = 0;
      for (let c = 1; c < n; c++) if (this.priority[runnable[c]] > this.priority[runnable[best]]) best = c;
    }
    return best;
  }

  /** Under --memory weak, which store a load returns: uniform, from the same seeded generator (the bound is about scheduling only). */
  choose(n: number): number {
    return Math.floor(this.rng() * n);
  }

  /** The guarantee bought: per execution, p >= 1/(n k^(d-1)); after E clean executions, a bug of depth <= d missed with probability <= (1-p)^E. */
  static bound(tasks: number, k: number, depth: number, executions: number): { perExecution: number; missedAfter: number } {
    const p = 1 / (Math.max(tasks, 1) * k ** (depth - 1));
    return { perExecution: p, missedAfter: (1 - p) ** executions };
  }
}
