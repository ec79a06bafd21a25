/**
 * The order strategy where its record says nothing: past the end of a threads finding's
 * step order it chooses on its own, fairly, with a task that yielded IDLE after the
 * others. Keeping the last task running instead let a role looping on IDLE keep the CPU
 * while a lock's holder never ran, and the replay reported a starvation (or a livelock,
 * or never ended) that the threads execution never had.
 */
import { describe, expect, it } from 'vitest';
import { simExecution } from '../src/exec/sim.js';
import { OrderStrategy } from '../src/exec/strategies/order.js';
import { RandomStrategy } from '../src/exec/strategies/random.js';
import { variantParams } from '../src/scenario.js';
import { loadScenario } from '../src/load/scenarios.js';

/** Random, keeping the task of its first `len` steps: a record that ends early. */
class Prefix extends RandomStrategy {
  readonly order: number[] = [];
  constructor(private readonly len: number) {
    super();
  }
  stepped(task: number): void {
    if (this.order.length < this.len) this.order.push(task);
  }
}

describe('the order strategy past the end of its record', () => {
  // clean variants whose roles loop on IDLE (a VMM, a dirty-log ioctl, a shrinker waiting for work)
  const cases = [
    ['lazy-rmaps', 'merged'],
    ['kvm-lock-order', 'documented'],
    ['arm64-memcache', 'mainline'],
  ] as const;
  for (const [name, variant] of cases) {
    it(`${name} / ${variant}: a replay of a short record runs to a clean end, with no starvation, livelock or endless loop`, async () => {
      const sc = await loadScenario(name);
      const p = variantParams(sc.def, variant);
      const verdicts: string[] = [];
      for (const seed of [1, 2, 3, 4, 5]) {
        for (const len of [0, 20, 200]) {
          const rec = new Prefix(len);
          simExecution(sc.def, p, variant, seed, rec);
          // a window far below the default (1,000,000 steps) and a bound on the steps: the executions take under 2,000
          const r = simExecution(sc.def, p, variant, seed, new OrderStrategy(Uint8Array.from(rec.order)), { windowSteps: 50_000, maxSteps: 1_000_000 });
          verdicts.push(`seed ${seed}, ${len} recorded steps: ${r.overran ? 'still running after 1,000,000 steps' : (r.violation?.kind ?? 'clean')}`);
        }
      }
      expect(verdicts.filter((v) => !v.endsWith('clean'))).toEqual([]);
    }, 120_000);
  }
});
