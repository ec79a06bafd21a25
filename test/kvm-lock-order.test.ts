/**
 * kvm-lock-order: what each verdict rests on (every variant's expectation, in sim and on
 * threads, is in variants-sim.test.ts and variants-threads.test.ts): the chains lockdep reports, the documented rule it
 * cites, and the real deadlock behind a cycle when lockdep only records.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { loadScenario } from '../src/scenarios.js';

const sc = await loadScenario('kvm-lock-order');
const sim = new SimExecutor();
afterAll(() => sim.close());
const simRun = (variant: string, executions = 200, lockdep = true, seed = 1) =>
  run({ scenario: sc, variant, params: sc.def.params, mode: 'sim', seed, executions, timeMs: null, sim, lockdep });

describe('kvm-lock-order', () => {
  it('declares exactly the five variants of the issue', () => {
    expect(Object.fromEntries(Object.entries(sc.def.variants).map(([k, v]) => [k, v.expect]))).toEqual({
      documented: 'ok',
      'abba-arch-vs-mmu': 'lock-order-cycle',
      'arch-lock-across-srcu-sync': 'lock-order-cycle',
      'kvm-lock-for-usage-count': 'lock-order-cycle',
      'kvm-usage-lock': 'ok',
    });
  });

  it('documented and kvm-usage-lock take every lock they are about, and stay clean', async () => {
    const doc = await simRun('documented');
    expect(doc.violation).toBeNull();
    expect(doc.stats['vcpu.first-shadow-root-alloc']).toBeGreaterThan(0); // slots_arch_lock inside kvm->srcu
    expect(doc.stats['shrinker.vm-list-walks']).toBeGreaterThan(0);
    const fixed = await simRun('kvm-usage-lock');
    expect(fixed.violation).toBeNull();
    expect(fixed.stats['vm-create.hardware-enabled']).toBeGreaterThan(0);
    expect(fixed.stats['nx-huge-pages.nx-huge-pages-zap-all']).toBeGreaterThan(0);
    expect(fixed.stats['vcpu.static-key:apic_hw_disabled']).toBeGreaterThan(0);
  });

  it('kvm-lock-for-usage-count: the four-lock chain, every edge placed, from an execution that did not deadlock', async () => {
    const r = await simRun('kvm-lock-for-usage-count');
    expect(r.violation?.kind).toBe('lock-order-cycle');
    const chain = r.violation?.message.replace('possible circular locking dependency: ', '').split(' -> ') ?? [];
    expect(new Set(chain)).toEqual(new Set(['kvm_lock', '&kvm->slots_lock', '&kvm->srcu', 'cpu_hotplug_lock']));
    const text = r.violation?.details.join('\n') ?? '';
    for (const site of ['set_nx_huge_pages', 'install_new_memslots', 'static_key_slow_inc', 'hardware_enable_all']) expect(text).toContain(`in ${site}()`);
  });

  it('arch-lock-across-srcu-sync: the first synchronize_srcu under slots_arch_lock breaks a documented rule at once', async () => {
    const r = await simRun('arch-lock-across-srcu-sync', 1);
    expect(r.violation?.message).toMatch(/breaks the documented order: Documentation\/virt\/kvm\/locking.rst: kvm->slots_arch_lock may be taken inside an SRCU read section/);
    expect(r.violation?.task).toBe('vmm0');
  });

  it('arch-lock-across-srcu-sync with lockdep only recording: where the timing lines up the execution really deadlocks, and the report names the cycle', async () => {
    let deadlock = null;
    for (let seed = 1; seed <= 30 && !deadlock; seed++) {
      const r = await simRun('arch-lock-across-srcu-sync', 1, false, seed);
      if (r.violation) deadlock = r.violation;
    }
    expect(deadlock?.kind).toBe('deadlock');
    expect(deadlock?.details.join('\n')).toMatch(/waits for kvm->srcu held by vcpu\d/);
    expect(deadlock?.details.join('\n')).toMatch(/lockdep had already seen the cycle behind it: possible circular locking dependency: &kvm->slots_arch_lock -> &kvm->srcu -> &kvm->slots_arch_lock/);
  });

  it('abba-arch-vs-mmu: lockdep is asked before might_sleep(), so the broken order is what the report says', async () => {
    const r = await simRun('abba-arch-vs-mmu');
    expect(r.violation?.kind).toBe('lock-order-cycle');
    expect(r.violation?.message).toBe('possible circular locking dependency: &kvm->mmu_lock -> &kvm->slots_arch_lock -> &kvm->mmu_lock');
  });
});
