/**
 * lazy-rmaps: what each verdict rests on (every variant's expectation, in sim and on
 * threads, is in variants-sim.test.ts and variants-threads.test.ts): the merged protocol really allocates, publishes and
 * walks rmaps, also under allocation failures; each bug shows for its own reason.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { ThreadsExecutor } from '../src/exec/threads.js';
import { variantParams } from '../src/scenario.js';
import { loadScenario } from '../src/load/scenarios.js';

const sc = await loadScenario('lazy-rmaps');
const sim = new SimExecutor();
const threads = new ThreadsExecutor();
afterAll(async () => {
  await sim.close();
  await threads.close();
});
const simRun = (variant: string, params = variantParams(sc.def, variant), executions = 300) =>
  run({ scenario: sc, variant, params, mode: 'sim', seed: 1, executions, timeMs: null, sim });

describe('lazy-rmaps', () => {
  it('declares the five variants of its issue and the two ordering ones, which carry weak memory', () => {
    expect(Object.fromEntries(Object.entries(sc.def.variants).map(([k, v]) => [k, [v.expect, v.memory ?? 'sc']]))).toEqual({
      merged: ['ok', 'sc'],
      'flag-before-alloc': ['use-before-publish', 'sc'],
      'memslot-without-arch-lock': ['use-before-publish', 'sc'],
      'keep-flag-on-failure': ['use-before-publish', 'sc'],
      'v4-unlock-leak': ['lock-held-at-exit', 'sc'],
      'plain-flag': ['use-before-publish', 'weak'],
      'reader-without-acquire': ['use-before-publish', 'weak'],
    });
  });

  it('merged stays clean with and without allocation failures, while rmaps are really added and walked', async () => {
    for (const allocFail of [0, 0.05]) {
      const r = await simRun('merged', { ...sc.def.params, allocFail });
      expect(r.violation).toBeNull();
      expect(r.stats['vcpu.first-shadow-root-alloc']).toBeGreaterThan(0);
      expect(r.stats['vcpu.rmap-adds']).toBeGreaterThan(0);
      expect(r.stats['dirty-log.rmap-walks']).toBeGreaterThan(0);
      expect(r.stats['vmm.sptes-zapped']).toBeGreaterThan(0); // memslot flushes (kvm_mmu_zap_all_fast) after the flag
      expect(r.stats['vmm.KVM_MR_MOVE']).toBeGreaterThan(0);
      if (allocFail) {
        expect(r.stats['vcpu.first-shadow-root-alloc-failed']).toBeGreaterThan(0);
        expect(r.stats['vmm.KVM_MR_CREATE-ENOMEM']).toBeGreaterThan(0);
      }
    }
  });

  it('keep-flag-on-failure needs a failed allocation: clean without, use-before-publish with', async () => {
    expect((await simRun('keep-flag-on-failure', { ...sc.def.params, allocFail: 0 })).violation).toBeNull();
    const r = await simRun('keep-flag-on-failure', { ...sc.def.params, allocFail: 0.05 }, 2000);
    expect(r.violation?.kind).toBe('use-before-publish');
    expect(r.violation?.message).toMatch(/without rmaps while kvm_memslots_have_rmaps\(\) is true/);
  });

  it('flag-before-alloc: a walker sees the flag published by mmu_first_shadow_root_alloc before the rmap it walks', async () => {
    const r = await simRun('flag-before-alloc');
    expect(r.violation?.kind).toBe('use-before-publish');
    expect(r.violation?.details.join('\n')).toMatch(/shadow_root_allocated was published by vcpu0 at step \d+ \(smp_store_release in mmu_first_shadow_root_alloc\)/);
    expect(r.violation?.trace?.some((l) => l.op === 'smp_store_release(&kvm->arch.shadow_root_allocated, 1)')).toBe(true);
  });

  it('memslot-without-arch-lock: the slots copied before the rmaps were allocated are installed after the flag', async () => {
    const r = await simRun('memslot-without-arch-lock');
    expect(r.violation?.kind).toBe('use-before-publish');
    expect(r.violation?.details.join('\n')).toMatch(/these memslots were installed by vmm0 at step \d+/);
  });

  it('v4-unlock-leak: the report names slots_arch_lock and the function that took it', async () => {
    const r = await simRun('v4-unlock-leak');
    expect(r.violation?.kind).toBe('lock-held-at-exit');
    expect(r.violation?.message).toMatch(/^vcpu0 ended holding slots_arch_lock \(taken in mmu_first_shadow_root_alloc\(\)\)/);
    expect(r.violation?.details[0]).toMatch(/slots_arch_lock \(mutex\) was taken in mmu_first_shadow_root_alloc\(\) at step \d+ and never released/);
  });

  it('the same seed replays the same violation at the same step', async () => {
    const a = await simRun('flag-before-alloc');
    const b = await run({ scenario: sc, variant: 'flag-before-alloc', params: sc.def.params, mode: 'sim', seed: a.violation?.seed ?? 0, executions: 1, timeMs: null, sim });
    expect(b.violation?.step).toBe(a.violation?.step);
    expect(b.violation?.trace).toEqual(a.violation?.trace);
  });

  it('merged with allocation failures stays clean on real threads', async () => {
    const r = await run({ scenario: sc, variant: 'merged', params: { ...sc.def.params, allocFail: 0.05 }, mode: 'threads', seed: 1, executions: 200, timeMs: 3000, threads });
    expect(r.harnessError).toBeNull();
    expect(r.violation).toBeNull();
  });
});
