/**
 * `pos`: partial-order sampling (Yuan, Yang and Gu, "Partial Order Aware Concurrency
 * Sampling", CAV 2018). Every pending step (each task's next op) carries a priority drawn
 * uniformly at random; the runnable task whose pending step has the highest priority runs.
 * Once a step has run, the task's next step gets a fresh priority, and so does every
 * pending step that races with the one just run, so that which of two racing steps goes
 * first is drawn afresh rather than inherited. A step with a low priority can wait a long
 * time, as under PCT, but without a depth to choose: the delays come from the draws.
 *
 * What races, as the scheduler sees it (a coarser notion than the paper's, which knows
 * every pending op's address before it runs; here a task's next op is known only once it
 * has run):
 * - a task woken from a lock (it was blocked on it, and is runnable again): its acquire
 *   races with the release that woke it;
 * - a task waiting for others (its last step was an IDLE: a pause, a spin-wait): its next
 *   look races with every step that does work, since any of them may be what it waits for.
 *   Until one comes it is passed over while a task that is not waiting can run (as pct
 *   does), so a role looping on IDLE cannot hold back, on its fresh draws, the tasks it
 *   waits for.
 * Two steps on plain shared words are taken as not racing: there POS is the paper's
 * BasicPOS (a fresh priority per new step). No history: a finding replays from its seed and
 * `--strategy pos`, and --jobs may spread the seeds.
 */
import seedrandom from 'seedrandom';
import { IDLE } from '../../rt/op.js';
import type { Strategy, StrategyEntry, StrategySpec } from '../strategy.js';
import { highestNotWaiting } from './priority.js';
import { grouped } from '../../report/numbers.js';

/** What one pos execution notes: its decisions and how many pending steps got a fresh priority because they raced. */
interface PosNote {
  decisions: number;
  redrawn: number;
}

/** The run's section: decisions over its executions, and the priorities drawn again for a race. */
export interface PosSection {
  decisions: number;
  redrawn: number;
}

export class PosStrategy implements Strategy {
  readonly name = 'pos';
  private rng: seedrandom.PRNG = seedrandom.alea('0');
  private priority: Float64Array = new Float64Array(0);
  /** The lock a task last blocked on (-1: none): when it is runnable again, a release woke it. */
  private blockedOn: Int32Array = new Int32Array(0);
  /** The task's last step was an IDLE: it waits for others. */
  private waiting: Uint8Array = new Uint8Array(0);
  private decisions = 0;
  private redrawn = 0;

  start(seed: number, tasks = 0): void {
    this.rng = seedrandom.alea(`${seed}:pos`);
    this.priority = new Float64Array(tasks);
    for (let t = 0; t < tasks; t++) this.priority[t] = this.rng();
    this.blockedOn = new Int32Array(tasks).fill(-1);
    this.waiting = new Uint8Array(tasks);
    this.decisions = 0;
    this.redrawn = 0;
  }

  pick(n: number, runnable: Int32Array): number {
    this.decisions++;
    // the woken tasks first: their pending acquire raced with the release that woke them
    for (let c = 0; c < n; c++) {
      const t = runnable[c];
      if (this.blockedOn[t] >= 0) {
        this.blockedOn[t] = -1;
        this.priority[t] = this.rng();
        this.redrawn++;
      }
    }
    // a waiting task is passed over while a task that is not waiting can run (as pct does):
    // its next look finds nothing new until someone does work, and a role that loops on
    // IDLE (kswapd between scans) must not hold the vCPUs back on its fresh draws
    let best = highestNotWaiting(n, runnable, this.priority, this.waiting);
    if (best >= 0) return best;
    best = 0;
    for (let c = 1; c < n; c++) if (this.priority[runnable[c]] > this.priority[runnable[best]]) best = c;
    return best;
  }

  stepped(task: number, result: number): void {
    // the task's next step is a new one
    this.priority[task] = this.rng();
    this.blockedOn[task] = result >= 0 ? result : -1;
    if (result === IDLE) {
      this.waiting[task] = 1;
      return;
    }
    this.waiting[task] = 0;
    // a step that did work races with every waiting task's next look, and ends its wait
    for (let t = 0; t < this.waiting.length; t++) {
      if (this.waiting[t] && t !== task) {
        this.priority[t] = this.rng();
        this.redrawn++;
        this.waiting[t] = 0;
      }
    }
  }

  choose(n: number): number {
    return Math.floor(this.rng() * n);
  }

  ended(): PosNote {
    return { decisions: this.decisions, redrawn: this.redrawn };
  }
}

export const pos: StrategyEntry<StrategySpec, 'pos'> = {
  name: 'pos',
  help: 'partial-order sampling: random priorities per step, drawn again on a race (POS)',
  create: () => new PosStrategy(),
  parallel: () => true,
  section: (_spec, run): PosSection => ({
    decisions: run.notes.reduce((s, n) => s + (n.note as PosNote).decisions, 0),
    redrawn: run.notes.reduce((s, n) => s + (n.note as PosNote).redrawn, 0),
  }),
  lines: (section) => {
    const s = section as PosSection;
    const n = (x: number) => grouped(x);
    return [`pos: the pending step of highest priority ran at each of ${n(s.decisions)} decisions; ${n(s.redrawn)} pending steps got a fresh priority for a race (a lock hand-over, a waiting task's next look)`];
  },
  replayFlags: () => ['--strategy pos'],
};
