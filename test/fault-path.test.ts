/**
 * The x86 fault path as the kernel has it: the dispatch follows tdp_enabled, the TDP
 * MMU switch and the vendor; the CVE-2022-45869 write-lock assertion fires in the
 * per-page zap only; the shrinker gets nr_to_scan in 1..SHRINK_BATCH per call.
 */
import { describe, expect, it } from 'vitest';
import { simExecution } from '../src/exec/sim.js';
import { RandomStrategy } from '../src/exec/strategies/random.js';
import { KVM_MIN_FREE_MMU_PAGES } from '../src/arch/x86/kvm/mmu/constants.js';
import { SHRINK_BATCH } from '../src/mm/reclaim.js';
import { type KvmConfig, KvmWorld, VM_N_MAX, VM_N_USED } from '../src/arch/x86/kvm/kvm-host.js';
import { directPageFault, kvmMmuLoad, makeMmuPagesAvailable } from '../src/arch/x86/kvm/mmu/mmu.js';
import { loadScenario } from '../src/load/scenarios.js';
import { readLock, writeLock } from '../src/sync/index.js';
import { runOp, solo } from './helpers.js';

const sc = await loadScenario('shrinker-vs-fault');

/** Every op of one sim execution of `variant` with these params. */
function ops(variant: string, params: Record<string, number>): string[] {
  const r = simExecution(sc.def, { ...sc.def.params, faults: 40, ...params }, variant, 3, new RandomStrategy(), { keepTrace: true });
  expect(r.violation).toBeNull();
  return (r.trace ?? []).map((l) => l.op);
}

/** The fault handlers an execution used, by kernel function name. */
function handlers(list: string[]): string[] {
  return [...new Set(list.map((op) => /^(\w+_page_fault)\((L2 )?gfn/.exec(op)).filter((m) => m !== null).map((m) => `${m[1]}${m[2] ? ' (L2)' : ''}`))].sort();
}

describe('kvm_mmu_do_page_fault dispatch', () => {
  it('tdp_enabled with the TDP MMU: L1 faults in kvm_tdp_mmu_page_fault; a nested guest in ept_page_fault on Intel', () => {
    expect(handlers(ops('removed', { tdpEnabled: 1, tdpMmu: 1, vendor: 0, nestedPercent: 50 }))).toEqual(['ept_page_fault (L2)', 'kvm_tdp_mmu_page_fault']);
  });

  it('on AMD the nested guest faults in paging64_page_fault (nested NPT)', () => {
    expect(handlers(ops('removed', { tdpEnabled: 1, tdpMmu: 1, vendor: 1, nestedPercent: 50 }))).toEqual(['kvm_tdp_mmu_page_fault', 'paging64_page_fault (L2)']);
  });

  it('tdp_enabled without the TDP MMU: L1 faults in direct_page_fault', () => {
    expect(handlers(ops('removed', { tdpEnabled: 1, tdpMmu: 0, vendor: 0, nestedPercent: 50 }))).toEqual(['direct_page_fault', 'ept_page_fault (L2)']);
  });

  it('tdp_enabled off: L1 on shadow paging faults in paging64_page_fault, its nested guest too, whatever kvm.tdp_mmu says', () => {
    for (const vendor of [0, 1]) {
      const list = ops('removed', { tdpEnabled: 0, tdpMmu: 1, vendor, nestedPercent: 50 });
      expect(handlers(list)).toEqual(['paging64_page_fault', 'paging64_page_fault (L2)']);
      expect(list.some((op) => op.startsWith('kvm_mmu_memory_cache_alloc(vcpu0.mmu_shadowed_info_cache)'))).toBe(true); // indirect pages
    }
  });

  const configs: Record<string, number>[] = [
    { tdpEnabled: 1, tdpMmu: 0 },
    { tdpEnabled: 0, tdpMmu: 0 },
    { tdpEnabled: 1, tdpMmu: 1, vendor: 1 },
  ];
  for (const params of configs) {
    it(`the variants keep their expectations with ${JSON.stringify(params)}`, () => {
      for (const [variant, v] of Object.entries(sc.def.variants)) {
        let observed = 'ok';
        for (let seed = 1; seed <= (v.expect === 'ok' ? 30 : 200) && observed === 'ok'; seed++) {
          const r = simExecution(sc.def, { ...sc.def.params, ...params }, variant, seed, new RandomStrategy());
          observed = r.harnessError ? 'harness-error' : (r.violation?.kind ?? 'ok');
        }
        expect([variant, observed]).toEqual([variant, v.expect]);
      }
    });
  }
});

const CONFIG: KvmConfig = { vms: 1, vcpus: 1, levels: 4, guestMemMiB: 64, tdpEnabled: 1, tdpMmu: 0, vendor: 0, nestedPercent: 0, nMaxMmuPages: 16, faults: 10 };

describe('the CVE-2022-45869 write-lock assertion is in __kvm_mmu_prepare_zap_page', () => {
  /** One vCPU of a VM with tdp_enabled and no TDP MMU: its root and a faulted-in gfn are shadow pages. */
  function world() {
    const s = solo((a) => new KvmWorld(a, CONFIG, { cacheLock: 'none', shrinker: 'none' }));
    const vcpu = s.world.vcpus[0];
    runOp(kvmMmuLoad(vcpu, false));
    runOp(directPageFault(vcpu, 5)); // three non-root shadow pages below the root
    return { ...s, vcpu, kvm: vcpu.kvm };
  }

  it('make_mmu_pages_available under the read lock with pages to spare zaps nothing and asserts nothing', () => {
    const { vcpu, kvm, violations } = world();
    runOp(readLock(kvm.mmuLock));
    expect(kvm.get(VM_N_MAX) - kvm.get(VM_N_USED)).toBeGreaterThanOrEqual(KVM_MIN_FREE_MMU_PAGES);
    expect(runOp(makeMmuPagesAvailable(vcpu))).toBe(0);
    expect(violations).toEqual([]);
  });

  it('under the write lock, pages are zapped without a violation', () => {
    const { vcpu, kvm, violations } = world();
    kvm.set(VM_N_MAX, kvm.get(VM_N_USED)); // no page left: the call must zap
    runOp(writeLock(kvm.mmuLock));
    expect(runOp(makeMmuPagesAvailable(vcpu))).toBe(0);
    expect(kvm.get(VM_N_USED)).toBe(1); // only the root is left
    expect(violations).toEqual([]);
  });

  it('a page really zapped under the read lock is lock-not-held, named after the per-page zap', () => {
    const { vcpu, kvm, violations } = world();
    kvm.set(VM_N_MAX, kvm.get(VM_N_USED));
    runOp(readLock(kvm.mmuLock));
    runOp(makeMmuPagesAvailable(vcpu));
    expect(violations.map((v) => v.kind)).toContain('lock-not-held');
    expect(violations.find((v) => v.kind === 'lock-not-held')?.message).toBe('solo: __kvm_mmu_prepare_zap_page() requires mmu_lock held (write)');
  });
});

describe('mmu_shrink_scan gets nr_to_scan per call, as do_shrink_slab passes it', () => {
  it('each scan asks for 1..SHRINK_BATCH objects, not always the same, and the statistics count what was asked', async () => {
    const r = simExecution(sc.def, sc.def.params, 'cache-lock', 1, new RandomStrategy(), { keepTrace: true });
    const asked = (r.trace ?? []).map((l) => /^mmu_shrink_scan\(nr_to_scan (\d+)\)$/.exec(l.op)).filter((m) => m !== null).map((m) => Number(m[1]));
    expect(asked.length).toBeGreaterThan(10);
    for (const n of asked) expect(n >= 1 && n <= SHRINK_BATCH).toBe(true);
    expect(new Set(asked).size).toBeGreaterThan(5);
    const s = r.stats.shrinker;
    expect(s['shrinker-requested']).toBeGreaterThanOrEqual(s['shrinker-scans']);
    expect(s['shrinker-requested']).toBeLessThanOrEqual(s['shrinker-scans'] * SHRINK_BATCH);
  });
});
