/**
 * `order`: replay in sim the order in which a threads execution's steps began (see
 * StepTickets), so that a violation real cores found becomes a deterministic trace.
 * At each decision the next recorded step runs; a recorded step of a task the sim has
 * blocked is skipped: in threads it was a retry that failed (the sim runs a blocked
 * task again only once it is woken). Past the end of the record, the last task goes on.
 */
import type { Strategy, StrategyEntry, StrategySpec } from '../strategy.js';
import { defaultPick } from './guided.js';

export class OrderStrategy implements Strategy {
  readonly name = 'order';
  private next = 0;
  private cur = -1;
  /** Recorded steps passed over because their task could not run in the sim. */
  skipped = 0;

  constructor(private readonly order: Uint8Array) {}

  start(): void {
    this.next = 0;
    this.cur = -1;
    this.skipped = 0;
  }

  pick(n: number, runnable: Int32Array): number {
    const live = runnable.subarray(0, n);
    while (this.next < this.order.length) {
      const c = live.indexOf(this.order[this.next]);
      if (c >= 0) return c;
      this.next++;
      this.skipped++;
    }
    return defaultPick(this.cur, false, n, runnable);
  }

  stepped(task: number): void {
    this.cur = task;
    // a forced step (no decision) is the next recorded step of its task: pass over the others' skipped ones
    while (this.next < this.order.length && this.order[this.next] !== task) {
      this.next++;
      this.skipped++;
    }
    this.next++;
  }
}

/** A threads finding's step order (one task id per step), replayed in sim. */
export interface OrderSpec extends StrategySpec {
  name: 'order';
  order: Uint8Array;
}

/** Internal (reproduce.ts builds it): no --strategy value. */
export const order: StrategyEntry<OrderSpec> = {
  name: 'order',
  create: (spec) => new OrderStrategy(spec.order),
  parallel: () => false,
  oneSeed: true,
};
