/**
 * Every variant of every built-in scenario meets its `expect` in sim over fixed seeds,
 * and what is particular to shrinker-vs-fault in sim. (On real threads:
 * variants-threads.test.ts; this file runs alongside other sim-only files.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { campaignExecutions, variantParams } from '../src/scenario.js';
import { builtinNames, loadScenario } from '../src/load/scenarios.js';
import { NO_HOST_RATE } from './helpers.js';

const sc = await loadScenario('shrinker-vs-fault');
/** Seeds 1..CLEAN_SEEDS of each correct variant stay clean. */
const CLEAN_SEEDS = 100;
const sim = new SimExecutor();
afterAll(async () => {
  await sim.close();
});

for (const name of builtinNames()) {
  const scenario = await loadScenario(name);
  const variants = Object.entries(scenario.def.variants);

  describe(`${name} in sim, fixed seeds`, () => {
    for (const [variant, v] of variants) {
      it(`${variant}: ${v.expect}`, async () => {
        // a clean variant's CLEAN_SEEDS on two workers (--jobs 2 gives --jobs 1's result, test/jobs.test.ts;
        // more than most campaign sim rows run); a bug variant's campaign budget from the campaign's
        // seed, 1: the campaign's sim row finds it so
        const budget = campaignExecutions(scenario.def, variant);
        const r = await run({ scenario, variant, params: variantParams(scenario.def, variant), mode: 'sim', seed: 1, executions: v.expect === 'ok' ? CLEAN_SEEDS : budget, timeMs: null, sim, jobs: v.expect === 'ok' ? 2 : 1, rare: NO_HOST_RATE });
        expect(r.harnessError).toBeNull();
        expect(r.observed).toBe(v.expect);
        if (v.expect === 'ok') expect(r.executions).toBe(CLEAN_SEEDS);
        // with a margin: a third of the budget finds it (docs/verdicts.md)
        else expect(r.violation?.seed).toBeLessThanOrEqual(Math.ceil(budget / 3));
      });
    }
  });
}

describe('shrinker-vs-fault in sim', () => {
  for (const [what, shadow] of [
    ['direct_page_fault (tdpMmu=0)', { tdpEnabled: 1, tdpMmu: 0 }],
    ['shadow paging (tdpEnabled=0)', { tdpEnabled: 0, tdpMmu: 0 }],
  ] as const) {
    it(`the 5-level ${what} configuration is clean with the v2 protocol too`, async () => {
      const params = { ...sc.def.params, levels: 5, ...shadow, nestedPercent: 50, nMaxMmuPages: 64 };
      const r = await run({ scenario: sc, variant: 'cache-lock', params, mode: 'sim', seed: 1, executions: 100, timeMs: null, sim });
      expect(r.violation).toBeNull();
      expect(r.stats['vcpu.sp-zapped']).toBeGreaterThan(0); // make_mmu_pages_available really recycled pages
    });
  }

  it('several VMs: the shrinker visits each once per scan, moving it to the tail of vm_list', async () => {
    // A scan moves each VM it visits to the tail and stops once it freed nr_to_scan, so
    // whichever VM a scan starts at, the moves go round the list in order.
    const params = { ...sc.def.params, vms: 3, vcpus: 1 };
    const clean = await run({ scenario: sc, variant: 'cache-lock', params, mode: 'sim', seed: 1, executions: 50, timeMs: null, sim });
    expect(clean.violation).toBeNull();
    const bad = await run({ scenario: sc, variant: 'no-cache-lock', params, mode: 'sim', seed: 1, executions: 200, timeMs: null, sim });
    expect(bad.violation?.kind).toBe('cache-empty-under-lock');
    const moves = (bad.violation?.trace ?? []).filter((l) => l.op.startsWith('list_move_tail')).map((l) => l.op.match(/vm(\d)/)?.[1]);
    for (let k = 1; k < moves.length; k++) expect(Number(moves[k])).toBe((Number(moves[k - 1]) + 1) % 3);
    expect(new Set(moves).size).toBe(3);
  });

  it('cache-lock frees cached pages and makes vCPUs wait on the cache mutex; removed frees nothing', async () => {
    const lock = await run({ scenario: sc, variant: 'cache-lock', params: sc.def.params, mode: 'sim', seed: 1, executions: 20, timeMs: null, sim });
    expect(lock.stats['shrinker.shrinker-freed']).toBeGreaterThan(0);
    expect(lock.stats['vcpu.waits:&vcpu->arch.mmu_memory_cache_lock']).toBeGreaterThan(0);
    expect(lock.summary.join('\n')).toMatch(/vCPUs waited on mmu_memory_cache_lock [1-9]\d* times/);
    const removed = await run({ scenario: sc, variant: 'removed', params: sc.def.params, mode: 'sim', seed: 1, executions: 20, timeMs: null, sim });
    expect(removed.stats['shrinker.shrinker-freed']).toBeUndefined();
  });
});
