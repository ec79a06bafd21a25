/**
 * kvm-lock-order: what each verdict rests on (every variant's expectation, in sim and on
 * threads, is in variants-sim.test.ts and variants-threads.test.ts): the chains lockdep reports, the documented rule it
 * cites, and the real deadlock behind a cycle when lockdep only records.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { loadScenario } from '../src/load/scenarios.js';
import { KVM_LOCK_ORDER, KVM_LOCK_ORDER_44D17459 } from '../src/virt/kvm/locking.js';

const sc = await loadScenario('kvm-lock-order');
const usage = await loadScenario(join(import.meta.dirname, 'fixtures', 'kvm-usage.ts'));
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

  it('kvm-usage-lock is checked against the 2024 document it reproduces; every other variant against mainline\'s', () => {
    expect(sc.def.lockOrder).toBe(KVM_LOCK_ORDER);
    expect(sc.def.variants['kvm-usage-lock'].lockOrder).toBe(KVM_LOCK_ORDER_44D17459);
    for (const [v, d] of Object.entries(sc.def.variants)) if (v !== 'kvm-usage-lock') expect(d.lockOrder).toBeUndefined();
  });
});

describe('locking.rst by era: kvm_usage_lock and cpus_read_lock (44d17459 -> 9a798b1337af)', () => {
  it('mainline\'s document says kvm_usage_lock is outside cpus_read_lock(); 44d17459\'s said the opposite', () => {
    const rule = (orders: typeof KVM_LOCK_ORDER) => orders.filter((o) => [o.from, o.to].includes('kvm_usage_lock')).map((o) => `${o.from} -> ${o.to}`);
    expect(rule(KVM_LOCK_ORDER)).toEqual(['kvm_usage_lock -> cpu_hotplug_lock']);
    expect(rule(KVM_LOCK_ORDER_44D17459)).toEqual(['cpu_hotplug_lock -> kvm_usage_lock']);
  });

  for (const [variant, d] of Object.entries(usage.def.variants)) {
    it(`${variant}: ${d.expect}`, async () => {
      const r = await run({ scenario: usage, variant, params: {}, mode: 'sim', seed: 1, executions: 3, timeMs: null, sim });
      expect(r.harnessError).toBeNull();
      expect(r.observed).toBe(d.expect);
      if (d.expect === 'ok') expect(r.stats['vm-create.hardware-enabled']).toBe(3); // in each execution, the first VM enabled virtualization
      else expect(r.violation?.message).toMatch(/breaks the documented order: Documentation\/virt\/kvm\/locking.rst.*kvm_usage_lock/);
    });
  }

  it('a mainline model (kvm_enable_virtualization) under the default orders gets no "breaks the documented order"', async () => {
    const r = await run({ scenario: usage, variant: 'mainline-code', params: {}, mode: 'sim', seed: 1, executions: 20, timeMs: null, sim });
    expect(r.violation).toBeNull();
    expect(r.lockdep.map((e) => `${e.from} -> ${e.to}`)).toContain('kvm_usage_lock -> cpu_hotplug_lock');
  });
});
