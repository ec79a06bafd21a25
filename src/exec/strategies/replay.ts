/** `replay`: follow a recorded list of choices exactly. */
import type { Schedule, Strategy } from '../strategy.js';

export class ReplayDiverged extends Error {}

export class ReplayStrategy implements Strategy {
  readonly name = 'replay';
  private next = 0;

  constructor(private readonly schedule: Schedule) {
    // The choices past MAX_RECORDED_CHOICES were never kept: such an execution replays from its seed alone.
    if (schedule.truncated) throw new ReplayDiverged(`the schedule keeps only its first ${schedule.choices.length} choices; replay that execution from its seed`);
  }

  start(seed: number): void {
    if (seed !== this.schedule.seed) throw new ReplayDiverged(`schedule was recorded for seed ${this.schedule.seed}, not ${seed}`);
    this.next = 0;
  }

  pick(n: number): number {
    const c = this.schedule.choices[this.next++];
    if (c === undefined || c >= n) {
      throw new ReplayDiverged(`replay diverged at choice ${this.next - 1}: recorded ${c}, ${n} tasks runnable`);
    }
    return c;
  }

  choose(n: number): number {
    const c = this.schedule.choices[this.next++];
    if (c === undefined || c >= n) throw new ReplayDiverged(`replay diverged at choice ${this.next - 1}: recorded ${c}, a load with ${n} stores to read`);
    return c;
  }
}
