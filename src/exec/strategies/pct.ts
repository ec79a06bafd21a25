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
import { IDLE } from '../../rt/op.js';
import type { RunNotes, Strategy, StrategyEntry, StrategySpec } from '../strategy.js';
import { highestNotWaiting } from './priority.js';
import { grouped } from '../../report/numbers.js';

/** What one pct execution notes for the run's section: the k its change points were drawn over, its tasks and the decisions it took. */
export interface PctNote {
  k: number;
  tasks: number;
  decisions: number;
}

/** The k a run starts from, before any execution has shown how many decisions it takes. */
export const PCT_INITIAL_STEPS = 1000;

/**
 * PCT over the steps that do work. A task that yields IDLE (a VMM between two ioctls, kswapd
 * between two scans, a spin-wait) has nothing to do until another task changes something: it
 * is treated as disabled, as a task blocked on a lock is, until another task takes a step
 * that is not an IDLE; then it competes again with the priority it had. It is not demoted:
 * PCT's guarantee is over the priority order of the tasks that have work, and a role that
 * pauses is not a low-priority role (demoting it for good, as this strategy once did, put
 * every VMM and shrinker below the vCPUs, so their rare actions came only after the vCPUs
 * had finished). IDLE steps are not decisions: they change no shared state, so they count
 * neither toward k nor toward the change points.
 */
export class PctStrategy implements Strategy {
  readonly name = 'pct';
  private rng: seedrandom.PRNG = seedrandom.alea('0');
  private priority: number[] = [];
  private changePoints: number[] = [];
  /** The next change point not yet used (an index into changePoints). */
  private nextChange = 0;
  /** Decisions so far: picks among two or more tasks whose step did work (a pick counts, and is taken back if its step was an IDLE). */
  private decisions = 0;
  /** A pick was made for the step in flight (a step with one runnable task is no decision). */
  private picked = false;
  /** Tasks that yielded IDLE since the last step that did work: they let the others go first. */
  private waiting: boolean[] = [];
  /** The k of the execution in flight, and the most decisions any execution has taken. */
  k: number;
  private most = 0;
  /** Tasks of the execution in flight. */
  tasks = 0;

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
    this.picked = false;
    this.waiting = new Array(tasks).fill(false);
    // distinct initial priorities depth .. depth + tasks - 1, in random order (Fisher-Yates)
    const p = Array.from({ length: tasks }, (_, i) => this.depth + i);
    for (let i = p.length - 1; i > 0; i--) {
      const j = Math.floor(this.rng() * (i + 1));
      [p[i], p[j]] = [p[j], p[i]];
    }
    this.priority = p;
    const points = new Set<number>();
    while (points.size < Math.min(this.depth - 1, this.k)) points.add(1 + Math.floor(this.rng() * this.k));
    this.changePoints = [...points].sort((a, b) => a - b);
    this.nextChange = 0;
  }

  ended(): PctNote {
    return { k: this.k, tasks: this.tasks, decisions: this.decisions };
  }

  /** Task `task` yielded IDLE: it waits (the executor calls this after stepped). */
  idle(task: number): void {
    this.waiting[task] = true;
  }

  stepped(_task: number, result: number): void {
    const picked = this.picked;
    this.picked = false;
    if (result === IDLE) {
      if (picked) this.decisions--; // it did no work: no decision after all
      return;
    }
    // a step that did work: the waiting tasks may find something to do now
    this.waiting.fill(false);
  }

  /** The runnable task of highest priority, among those not waiting if any is not. */
  private best(n: number, runnable: Int32Array): number {
    const best = highestNotWaiting(n, runnable, this.priority, this.waiting);
    if (best >= 0) return best;
    // every runnable task waits: each gets a turn, highest first (none is starved by another that only waits)
    for (let c = 0; c < n; c++) this.waiting[runnable[c]] = false;
    return this.best(n, runnable);
  }

  pick(n: number, runnable: Int32Array): number {
    this.picked = true;
    this.decisions++;
    let best = this.best(n, runnable);
    // a change point is used once, even if the step turns out an IDLE (and so no decision)
    if (this.nextChange < this.changePoints.length && this.decisions >= this.changePoints[this.nextChange]) {
      // the i-th change point: the task that would run drops below all, then the next in line runs
      this.priority[runnable[best]] = this.nextChange + 1;
      this.nextChange++;
      best = this.best(n, runnable);
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
   * The k the bound is stated for: the most scheduling decisions one execution of the run
   * took (IDLE steps and steps with one task runnable are no decisions), or the k given
   * with --pct-steps.
   */
  k: number;
  /** The most scheduling decisions one execution of the run took. */
  longest: number;
  /** Executions that drew their change points over the initial guess (PCT_INITIAL_STEPS), before one had ended. */
  guessed: number;
  tasks: number;
  /** Each execution drawn over k hits a bug of depth <= depth with probability at least this: 1/(n k^(d-1)). */
  perExecution: number;
  /**
   * After the run's clean executions, the chance such a bug was missed is at most this: the
   * product of (1 - p) over them, each with the p of the k it drew over, and none from an
   * execution that took more decisions than its k (a change point it needed could not land).
   */
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
  let longest = 0;
  let tasks = 0;
  let guessed = 0;
  let violationK: number | null = null;
  let missedAfter = 1;
  for (const { note, violation } of run.notes) {
    const n = note as PctNote;
    longest = Math.max(longest, n.decisions);
    tasks = n.tasks;
    if (spec.steps === undefined && n.k === PCT_INITIAL_STEPS) guessed++;
    if (violation) violationK = n.k;
    else if (n.decisions <= n.k) missedAfter *= 1 - PctStrategy.bound(n.tasks, n.k, spec.depth, 1).perExecution;
  }
  if (run.notes.length === 0) return undefined;
  const k = spec.steps ?? Math.max(longest, 1);
  const perExecution = PctStrategy.bound(tasks, k, spec.depth, 0).perExecution;
  return { depth: spec.depth, k, longest, guessed, tasks, perExecution, missedAfter, violationK };
}

/** What a pct run bought, in words: the real n and k, and what the bound means in executions. */
export function pctText(b: PctBound): string[] {
  const e = (x: number) => (x >= 0.001 ? x.toPrecision(3) : x.toExponential(2));
  const n = (x: number) => grouped(Math.round(x));
  const kWhy =
    b.k === b.longest
      ? `the most one execution of this run took${b.guessed > 0 ? `; the first ${b.guessed === 1 ? 'execution' : `${b.guessed} executions`} drew change points over a guess of ${n(PCT_INITIAL_STEPS)} before one had ended` : ''}`
      : `given with --pct-steps; the longest execution took ${n(b.longest)}`;
  const formula = b.depth === 1 ? '1/n' : b.depth === 2 ? `1/(n*k) = 1/(${b.tasks}*${n(b.k)})` : `1/(n*k^${b.depth - 1}) = 1/(${b.tasks}*${n(b.k)}^${b.depth - 1})`;
  return [
    `pct, depth ${b.depth}: n = ${b.tasks} tasks, k = ${n(b.k)} scheduling decisions (${kWhy}; IDLE steps and steps with one task runnable are not decisions)`,
    `  a bug that needs ${b.depth} ordering constraint${b.depth === 1 ? '' : 's'} is hit in one execution with probability >= ${formula} = ${e(b.perExecution)}, one execution in ${n(1 / b.perExecution)} at worst`,
    ...(b.missedAfter < 1 ? [`  after this run's clean executions, the chance such a bug was missed is <= ${b.missedAfter > 0.999 ? `1 - ${(1 - b.missedAfter).toExponential(2)}` : e(b.missedAfter)} (a floor, not a forecast: the bugs of this project are found far sooner; BENCHMARKS.md)`] : []),
  ];
}

export const pct: StrategyEntry<PctSpec, 'pct'> = {
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
