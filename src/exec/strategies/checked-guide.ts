/**
 * `--schedule`: a guide replayed as a promise, not as a hint. GuidedStrategy passes over
 * a listed task that cannot run (the shrinker relies on that: it drops departures and
 * lets what no longer applies fall away). A token given by a person must replay the
 * execution it was printed for, so here the first place where the execution departs
 * from the token stops it and says where: the scheduling step, which of the token's
 * choices, what the token wanted and what the execution could do. So does an execution
 * that ends with choices of the token unused. Either way the token does not fit this
 * scenario, variant and parameters (the run reports it as bad input, exit 2).
 */
import type { ExecutionResult } from '../result.js';
import { PRUNE, type Strategy, type StrategyEntry, type StrategySpec } from '../strategy.js';
import type { Guide } from '../strategy.js';
import { GuidedStrategy } from './guided.js';

export class CheckedGuide implements Strategy {
  readonly name = 'guided';
  readonly replays = true;
  private readonly inner: GuidedStrategy;
  /** The next of the token's scheduling choices, and of its weak-load choices. */
  private next = 0;
  private nextLoad = 0;
  /** Where the execution departed from the token, in one line; null while it follows it. */
  departure: string | null = null;

  constructor(
    private readonly guide: Guide,
    private readonly taskNames: string[],
  ) {
    this.inner = new GuidedStrategy(guide);
  }

  private task(t: number): string {
    return `task ${t} (${this.taskNames[t] ?? 'no such task'})`;
  }

  private choice(k: number): string {
    return `the token's choice ${k + 1} of ${this.guide.entries.length}`;
  }

  /** The token carries its seed: every execution replays it. */
  seedOf(): number {
    return this.guide.seed;
  }

  /**
   * `--schedule`: an execution that departed from its token, or ended before using it up,
   * is not the token's execution: it carries where instead of a verdict. One a limit stopped
   * says nothing either way.
   */
  ended(r: ExecutionResult): undefined {
    if (r.incomplete || r.harnessError || r.scenarioError) return;
    const how = r.violation ? `in ${r.violation.kind}` : r.pruned ? 'stopped' : 'without a violation';
    const departed = this.finish(how);
    // a rare event the token places and the execution did not meet is likely why it departed
    const unmet = departed === null && r.violation ? null : this.unmetRareEvent(r);
    const departure = departed === null ? unmet : unmet ? `${departed}; ${unmet}` : departed;
    if (departure === null) return;
    r.departure = departure;
    r.violation = null;
    delete r.pruned;
  }

  /**
   * A rare event the token places that the execution did not meet at all: a name the
   * scenario does not have (a token edited, or made for another scenario). Not asked of an
   * execution that reached the token's end in a violation: it may end before a listed event's turn.
   */
  private unmetRareEvent(r: ExecutionResult): string | null {
    const met = Object.keys(r.rare?.events ?? {});
    const unmet = (this.guide.rare ?? []).find(([name]) => !met.includes(name));
    if (!unmet) return null;
    return `the token places rare event '${unmet[0]}', which this execution did not meet (its rare events: ${met.length ? met.join(', ') : 'none'})`;
  }

  start(): void {
    this.inner.start();
    this.next = 0;
    this.nextLoad = 0;
    this.departure = null;
  }

  pick(n: number, runnable: Int32Array): number {
    if (this.departure) return PRUNE; // stop here: nothing after a departure is the token's execution
    const e = this.guide.entries;
    const step = this.inner.ran.step;
    if (this.next < e.length && e[this.next][0] === step) {
      const live = Array.from(runnable.subarray(0, n));
      if (!live.includes(e[this.next][1])) {
        this.departure = `at scheduling step ${step}, ${this.choice(this.next)} runs ${this.task(e[this.next][1])}, which cannot run there (runnable: ${live.map((t) => this.task(t)).join(', ')})`;
        return PRUNE;
      }
    }
    return this.inner.pick(n, runnable);
  }

  choose(n: number): number {
    const l = this.guide.loads ?? [];
    const load = this.inner.ran.load;
    if (!this.departure && this.nextLoad < l.length && l[this.nextLoad][0] === load) {
      if (l[this.nextLoad][1] >= n) {
        this.departure = `at weak load ${load}, the token's load choice ${this.nextLoad + 1} of ${l.length} returns store ${l[this.nextLoad][1]} back, but that load has only ${n - 1} older store${n === 2 ? '' : 's'} to read`;
      } else this.nextLoad++;
    }
    return this.inner.choose(n);
  }

  stepped(task: number, result: number): void {
    const e = this.guide.entries;
    const step = this.inner.ran.step;
    // a step the strategy was not asked about (one task could run) still answers to the token
    if (!this.departure && this.next < e.length && e[this.next][0] === step) {
      if (e[this.next][1] === task) this.next++;
      else this.departure = `at scheduling step ${step}, ${this.choice(this.next)} runs ${this.task(e[this.next][1])}, but only ${this.task(task)} could run there`;
    }
    this.inner.stepped(task, result);
  }

  /**
   * After an execution that ended by itself (not one a limit stopped): its departure,
   * or the token's choices it never reached. `how` says how it ended.
   */
  finish(how: string): string | null {
    if (this.departure) return this.departure;
    const e = this.guide.entries;
    const l = this.guide.loads ?? [];
    const steps = this.inner.ran.step;
    if (this.next < e.length) {
      return `the execution ended (${how}) at scheduling step ${steps} with ${e.length - this.next} of the token's ${e.length} choices unused: ${this.choice(this.next)} runs ${this.task(e[this.next][1])} at step ${e[this.next][0]}`;
    }
    if (this.nextLoad < l.length) {
      return `the execution ended (${how}) after ${this.inner.ran.load} weak loads with a choice, with ${l.length - this.nextLoad} of the token's ${l.length} load choices unused: the next is at load ${l[this.nextLoad][0]}`;
    }
    return null;
  }
}

/** One schedule given as a guide (`--schedule <token>`): a shrunk finding replayed. */
export interface GuidedSpec extends StrategySpec {
  name: 'guided';
  guide: Guide;
}

/** Internal (`--schedule` builds it): no --strategy value. */
export const guided: StrategyEntry<GuidedSpec> = {
  name: 'guided',
  create: (spec, { taskNames }) => new CheckedGuide(spec.guide, taskNames),
  parallel: () => false,
  oneSeed: true,
};
