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
import type { RunNotes, Strategy, StrategyEntry, StrategySpec } from '../strategy.js';

/** What one pct execution notes for the run's section: the k its change points were drawn over, its tasks and the decisions it took. */
export interface PctNote {
  k: number;
  tasks: number;
  decisions: number;
}

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

  ended(): PctNote {
    return { k: this.k, tasks: this.tasks, decisions: this.decisions };
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

/** What a pct run bought: the bound of Burckhardt et al. over the run's tasks, k and executions. */
export interface PctBound {
  depth: number;
  /**
   * Scheduling decisions per execution the change points were drawn over: the largest k
   * any execution of the run used (the first executions use an initial guess until one
   * has ended), which is what the bound below rests on.
   */
  k: number;
  /** The most scheduling decisions one execution of the run took. */
  longest: number;
  tasks: number;
  /** Each execution hits a bug of depth <= depth with probability at least this. */
  perExecution: number;
  /** After the run's clean executions, the chance such a bug was missed is at most this. */
  missedAfter: number;
  /** The k of the execution that found the violation (its replay needs it). */
  violationK: number | null;
}

export interface PctSpec extends StrategySpec {
  name: 'pct';
  depth: number;
  /** --pct-steps: a fixed k (a replay gives it); absent, k is learned from the run's executions. */
  steps?: number;
}

/** The run's bound from its executions' notes (none before an execution has drawn its change points). */
function pctSection(spec: PctSpec, run: RunNotes): PctBound | undefined {
  let k = 0;
  let longest = 0;
  let tasks = 0;
  let violationK: number | null = null;
  for (const { note, violation } of run.notes) {
    const n = note as PctNote;
    k = Math.max(k, n.k);
    longest = Math.max(longest, n.decisions);
    tasks = n.tasks;
    if (violation) violationK = n.k;
  }
  if (k === 0) return undefined;
  const b = PctStrategy.bound(tasks, k, spec.depth, run.executions - (run.violation ? 1 : 0));
  return { depth: spec.depth, k, longest, tasks, perExecution: b.perExecution, missedAfter: b.missedAfter, violationK };
}

/** What a pct run bought, in words. */
export function pctText(b: PctBound): string[] {
  const e = (x: number) => (x >= 0.001 ? x.toPrecision(3) : x.toExponential(2));
  return [
    `pct, depth ${b.depth}: ${b.tasks} tasks, change points over k = ${b.k} scheduling decisions (the largest k an execution drew them over; the longest execution took ${b.longest}${b.k > b.longest ? ': a k the first executions guessed before one had ended' : ''})`,
    `  each execution hits a bug of depth <= ${b.depth} with probability >= 1/(n*k^(d-1)) = ${e(b.perExecution)}`,
    ...(b.missedAfter < 1 ? [`  after this run's clean executions, the chance such a bug was missed is <= (1-p)^E = ${e(b.missedAfter)}`] : []),
  ];
}

export const pct: StrategyEntry<PctSpec> = {
  name: 'pct',
  help: 'PCT with --depth',
  flags: {
    depth: { value: 'D', help: 'pct: the bug depth the run guarantees a probability for, 1..10 (default 3)' },
    'pct-steps': { value: 'K', help: 'pct: draw the change points over K scheduling decisions instead of learning K from the run (replays give it)' },
  },
  options: (flag, { whole }) => ({
    name: 'pct',
    depth: whole('depth', flag('depth') ?? '3', 1, 10),
    ...(flag('pct-steps') !== undefined ? { steps: whole('pct-steps', flag('pct-steps') as string, 1) } : {}),
  }),
  create: (spec) => new PctStrategy(spec.depth, spec.steps ?? null),
  // k is learned from the executions before, unless --pct-steps fixes it
  parallel: (spec) => spec.steps !== undefined,
  section: pctSection,
  lines: (section) => pctText(section as PctBound),
  // replays from its depth and the k that execution drew its change points over
  replayFlags: (spec, section) => ['--strategy pct', `--depth ${spec.depth}`, `--pct-steps ${(section as PctBound | undefined)?.violationK ?? spec.steps ?? ''}`],
};
