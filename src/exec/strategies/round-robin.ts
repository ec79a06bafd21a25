/**
 * `round-robin`: at every scheduling decision the next runnable task in task order after
 * the one that stepped last runs (Shuttle's RoundRobinScheduler): each task gets one step
 * in turn, a preemption at every op boundary. No randomness: the executions of a run differ
 * only in their seeds' data, and a finding replays from its seed and `--strategy round-robin`.
 * Under --memory weak every load returns the newest store.
 */
import type { Strategy, StrategyEntry, StrategySpec } from '../strategy.js';
import { grouped } from '../../report/numbers.js';

/** Above any task id: the distance from the last task to the next one in the ring. */
const RING = 1 << 16;

/** What one execution notes for the run's section: the scheduling decisions it took. */
interface RoundRobinNote {
  decisions: number;
}

/** The run's section: decisions taken over its executions with a verdict, and the most in one. */
export interface RoundRobinSection {
  decisions: number;
  longest: number;
}

export class RoundRobinStrategy implements Strategy {
  readonly name = 'round-robin';
  private last = -1;
  private decisions = 0;

  start(): void {
    this.last = -1;
    this.decisions = 0;
  }

  pick(n: number, runnable: Int32Array): number {
    this.decisions++;
    let best = 0;
    const after = (t: number) => (t - this.last - 1 + RING) % RING;
    for (let c = 1; c < n; c++) if (after(runnable[c]) < after(runnable[best])) best = c;
    return best;
  }

  stepped(task: number): void {
    this.last = task;
  }

  ended(): RoundRobinNote {
    return { decisions: this.decisions };
  }
}

export const roundRobin: StrategyEntry<StrategySpec, 'round-robin'> = {
  name: 'round-robin',
  help: 'each runnable task one step in turn (round-robin)',
  create: () => new RoundRobinStrategy(),
  parallel: () => true,
  section: (_spec, run): RoundRobinSection => ({
    decisions: run.notes.reduce((s, n) => s + (n.note as RoundRobinNote).decisions, 0),
    longest: run.notes.reduce((m, n) => Math.max(m, (n.note as RoundRobinNote).decisions), 0),
  }),
  lines: (section) => {
    const s = section as RoundRobinSection;
    return [`round-robin: every scheduling decision went to the next runnable task in task order (${grouped(s.decisions)} decisions, the most in one execution ${grouped(s.longest)}); the executions differ only in their seeds' data`];
  },
  replayFlags: () => ['--strategy round-robin'],
};
