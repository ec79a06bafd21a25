/**
 * Every variant of every built-in scenario meets its `expect` on real threads within a
 * bounded budget (the budget only ends a clean run early; a violating variant must be
 * caught, whatever the machine's speed), and shrinker-vs-fault oversubscribed. (In sim:
 * variants-sim.test.ts.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../src/exec/run.js';
import { ThreadsExecutor } from '../src/exec/threads.js';
import { variantParams } from '../src/scenario.js';
import { builtinNames, loadScenario } from '../src/load/scenarios.js';

const sc = await loadScenario('shrinker-vs-fault');
const threads = new ThreadsExecutor();
afterAll(async () => {
  await threads.close();
});

for (const name of builtinNames()) {
  const scenario = await loadScenario(name);
  const variants = Object.entries(scenario.def.variants);

  describe(`${name} on real threads`, () => {
    for (const [variant, v0] of variants) {
      // an ordering bug only weak memory shows: real cores' Atomics are SC, so threads stay clean
      const v = v0.memory === 'weak' ? { ...v0, expect: 'ok' } : v0;
      it(`${variant}: ${v.expect}${v0.memory === 'weak' ? ' (SC: its bug needs sim --memory weak)' : ''}`, async () => {
        const r = await run({
          scenario,
          variant,
          params: variantParams(scenario.def, variant),
          mode: 'threads',
          seed: 1,
          // a clean variant starts executions for 0.7 s (at most 120), and the last one started finishes,
          // so that even a loaded machine gives it a verdict (a time budget that cut a count short
          // would be incomplete); a violating one must be caught (it takes well under a second
          // today; the 90 s cap turns a regression into a failed expectation, not a timeout)
          executions: v.expect === 'ok' ? 120 : 5000,
          startBeforeMs: v.expect === 'ok' ? 700 : null,
          timeMs: 90_000,
          threads,
          reproduce: false, // the verdict only (test/reproduce.test.ts replays findings in sim)
        });
        expect(r.harnessError).toBeNull();
        expect(r.observed).toBe(v.expect);
      });
    }
  });
}

describe('shrinker-vs-fault on real threads', () => {
  it('24 vCPUs on 2 cores (oversubscribed, short spins): removed stays clean and every fault completes', async () => {
    const params = { ...sc.def.params, vcpus: 24, faults: 200 };
    const r = await run({ scenario: sc, variant: 'removed', params, mode: 'threads', seed: 1, executions: 3, timeMs: null, threads });
    expect(r.harnessError).toBeNull();
    expect(r.observed).toBe('ok');
    expect(r.stats['vcpu.faults'] - (r.stats['vcpu.faults-retried'] ?? 0)).toBe(3 * 24 * 200); // a retried fault is taken again
  });
});
