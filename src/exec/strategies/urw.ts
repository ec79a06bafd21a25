/**
 * `urw`: the uniform random walk of Zhao, Wolff, Mathur and Roychoudhury, "Selectively
 * Uniform Concurrency Testing" (ASPLOS 2025), as Shuttle's UniformRandomScheduler runs it.
 *
 * Picking a runnable task uniformly at every step (`random`) does not sample interleavings
 * uniformly: a short task's steps are all taken early, so a schedule where one task's step
 * waits until after most of another's is rare. If task i has r_i steps left, the
 * interleavings of what is left number (sum r)! / prod(r_i!), and the share of them that
 * begin with a step of task i is r_i / sum r. Picking task i with that probability at
 * every step therefore makes every interleaving of the remaining steps equally likely
 * (exactly so for tasks that never block; blocking removes a task from the choice, as it
 * removes interleavings).
 *
 * The r_i come from an estimate of how many steps each task takes: the first execution of
 * a worker is a plain random walk that counts them (a trial, as Shuttle's is; it is an
 * execution like any other and may find a bug), and every later one draws with the
 * remaining count max(1, estimate - steps taken so far). Every step counts, IDLE ones
 * too: a role that waits for others takes its turns in proportion to how long it waits.
 * A replay by seed gives the estimates (`--urw-estimates`), so that the one execution
 * replays alone.
 */
import seedrandom from 'seedrandom';
import { BadInput } from '../../rt/errors.js';
import type { RunNotes, Strategy, StrategyEntry, StrategySpec } from '../strategy.js';

/** What one urw execution notes: the estimates it drew with (null: it was the trial, a plain random walk) and the steps each task took. */
export interface UrwNote {
  estimates: number[] | null;
  steps: number[];
}

/** The run's section: the estimates the walk drew with, the steps the tasks took in the longest execution, and those of the finding's execution. */
export interface UrwSection {
  /** Steps per task the walk weighted by (from the trial execution, or given). */
  estimates: number[] | null;
  /** Executions run as the trial (a plain random walk): 0 or 1 per worker. */
  trials: number;
  /** The estimates of the execution that found the violation (null: it was the trial), for its replay. */
  violationEstimates: number[] | null;
  /** The finding came from the trial execution (it replays with --strategy random). */
  violationInTrial: boolean;
}

export class UrwStrategy implements Strategy {
  readonly name = 'urw';
  private rng: seedrandom.PRNG = seedrandom.alea('0');
  /** Steps each task took in this execution so far. */
  private taken: number[] = [];
  /** Steps per task the walk weights by; null until the trial has ended. */
  estimates: number[] | null;
  private trial = false;

  constructor(given: number[] | null = null) {
    this.estimates = given;
  }

  start(seed: number, tasks = 0): void {
    // the random walk's own generator: the trial draws as `random` does, so it is the same execution
    this.rng = seedrandom.alea(`${seed}:schedule`);
    this.taken = new Array(tasks).fill(0);
    this.trial = this.estimates === null;
  }

  pick(n: number, runnable: Int32Array): number {
    const est = this.estimates;
    if (est === null) return Math.floor(this.rng() * n);
    let total = 0;
    for (let c = 0; c < n; c++) total += this.remaining(est, runnable[c]);
    let x = this.rng() * total;
    for (let c = 0; c < n; c++) {
      x -= this.remaining(est, runnable[c]);
      if (x < 0) return c;
    }
    return n - 1;
  }

  /** The steps task t has left by the estimate: at least 1, so a task that runs longer than estimated still runs. */
  private remaining(est: number[], t: number): number {
    return Math.max(1, (est[t] ?? 1) - this.taken[t]);
  }

  stepped(task: number): void {
    this.taken[task]++;
  }

  choose(n: number): number {
    return Math.floor(this.rng() * n);
  }

  ended(): UrwNote {
    const note: UrwNote = { estimates: this.trial ? null : this.estimates, steps: [...this.taken] };
    // the trial's counts are the estimates from now on
    if (this.trial) this.estimates = this.taken.map((s) => Math.max(1, s));
    return note;
  }
}

export interface UrwSpec extends StrategySpec {
  name: 'urw';
  /** --urw-estimates: the steps per task to weight by (a replay gives them); absent, the worker's first execution counts them. */
  estimates?: number[];
}

function urwSection(spec: UrwSpec, run: RunNotes): UrwSection | undefined {
  if (run.notes.length === 0) return undefined;
  let estimates: number[] | null = spec.estimates ?? null;
  let trials = 0;
  let violationEstimates: number[] | null = null;
  let violationInTrial = false;
  for (const { note, violation } of run.notes) {
    const n = note as UrwNote;
    if (n.estimates === null) trials++;
    else estimates = n.estimates;
    if (violation) {
      violationEstimates = n.estimates;
      violationInTrial = n.estimates === null;
    }
  }
  return { estimates, trials, violationEstimates, violationInTrial };
}

/** The estimates as the flag writes them: whole numbers, comma-separated, one per task. */
const estimatesText = (e: number[]) => e.join(',');

export const urw: StrategyEntry<UrwSpec, 'urw'> = {
  name: 'urw',
  help: "uniform random walk: each task in proportion to its estimated steps left (Shuttle's URW)",
  flags: {
    'urw-estimates': { value: 'N,N,...', help: 'urw: the steps of each task, in task order, to weight by instead of counting them in a first trial execution (replays give them)' },
  },
  options: (flag, { whole }) => {
    const text = flag('urw-estimates');
    if (text === undefined) return { name: 'urw' };
    const parts = text.split(',');
    if (parts.some((p) => p.trim() === '')) throw new BadInput(`--urw-estimates must be whole numbers separated by commas, not '${text}'`);
    return { name: 'urw', estimates: parts.map((p) => whole('urw-estimates', p.trim(), 1)) };
  },
  // (a task past the end of a given list weighs as one step left: the flag is checked where the tasks are not yet known)
  create: (spec) => new UrwStrategy(spec.estimates ?? null),
  // the estimates come from the worker's first execution, unless --urw-estimates gives them
  parallel: (spec) => spec.estimates !== undefined,
  section: urwSection,
  lines: (section) => {
    const s = section as UrwSection;
    if (s.estimates === null) return ['urw: only the trial execution ran (a plain random walk that counts each task\'s steps)'];
    return [`urw: each task picked in proportion to its estimated steps left; estimates ${estimatesText(s.estimates)} (steps per task${s.trials > 0 ? ', counted in the first, trial execution, a plain random walk' : ', given'})`];
  },
  // a finding of the trial replays as a random walk; any other with the estimates it drew with
  replayFlags: (spec, section) => {
    const s = section as UrwSection | undefined;
    if (s?.violationInTrial) return ['--strategy random'];
    const e = s?.violationEstimates ?? spec.estimates;
    return ['--strategy urw', ...(e ? [`--urw-estimates ${estimatesText(e)}`] : [])];
  },
};
