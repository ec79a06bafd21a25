/**
 * topup-minimums: the gorilla math measured (the most objects one fault takes from each
 * cache, against each minimum), and where each verdict comes from (every variant's
 * expectation, in sim and on threads, is in variants-sim.test.ts and variants-threads.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PT64_ROOT_MAX_LEVEL, PTE_PREFETCH_NUM } from '../src/arch/x86/kvm/mmu/constants.js';
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { loadScenario } from '../src/load/scenarios.js';

const sc = await loadScenario('topup-minimums');
const sim = new SimExecutor();
afterAll(() => sim.close());
const simRun = (variant: string, params = sc.def.params, executions = 100) => run({ scenario: sc, variant, params, mode: 'sim', seed: 1, executions, timeMs: null, sim });
const most = (s: Record<string, number>, cache: string) => s[`vcpu.max-per-fault:${cache}`];

describe('topup-minimums', () => {
  it('declares exactly the five variants of the issue', () => {
    expect(Object.fromEntries(Object.entries(sc.def.variants).map(([k, v]) => [k, v.expect]))).toEqual({
      current: 'ok',
      'pre-2020': 'ok',
      'roots-in-fault-pre-2020': 'cache-empty-under-lock',
      'shared-gfn-cache-1x': 'cache-empty-under-lock',
      'no-prefetch-headroom': 'cache-empty-under-lock',
    });
  });

  it('the gorilla math, measured: one fault takes a leaf plus the prefetched rmaps, and a page, gfn array and header per level below the root', async () => {
    const r = await simRun('current');
    expect(r.violation).toBeNull();
    expect(most(r.stats, 'mmu_pte_list_desc_cache')).toBe(PTE_PREFETCH_NUM); // 1 + 7 prefetched, each 1 -> many
    for (const c of ['mmu_shadow_page_cache', 'mmu_shadowed_info_cache', 'mmu_page_header_cache']) expect(most(r.stats, c)).toBe(PT64_ROOT_MAX_LEVEL - 1);
    expect(r.summary.join('\n')).toMatch(
      /against its topup minimum: mmu_pte_list_desc_cache 8 of 14, mmu_shadow_page_cache 4 of 5, mmu_shadowed_info_cache 4 of 5, mmu_page_header_cache 4 of 5/,
    );
    expect(r.stats['vcpu.max-topup-minimum:mmu_pte_list_desc_cache']).toBe(1 + PT64_ROOT_MAX_LEVEL + PTE_PREFETCH_NUM);
  });

  it('pre-2020: 8 pages shared by page tables and gfn arrays are exactly what 4 indirect levels take, and 4 headers are enough because roots come in their own flow', async () => {
    const r = await simRun('pre-2020');
    expect(r.violation).toBeNull();
    expect(most(r.stats, 'mmu_shadow_page_cache')).toBe(8);
    expect(most(r.stats, 'mmu_shadowed_info_cache')).toBe(0);
    expect(most(r.stats, 'mmu_page_header_cache')).toBe(4);
    expect(r.stats['vmm.zap-all']).toBeGreaterThan(0); // roots really were reloaded
  });

  it('roots-in-fault-pre-2020: the root taken in the fault is a fifth header (and a 9th and 10th page); with 4-level paging the old minimums hold', async () => {
    const r = await simRun('roots-in-fault-pre-2020', sc.def.params, 1000);
    expect(r.violation?.kind).toBe('cache-empty-under-lock');
    expect(r.violation?.message).toMatch(/(mmu_page_header_cache|mmu_shadow_page_cache) is empty in /);
    expect(r.stats['vcpu.max-per-fault:mmu_shadow_page_cache']).toBeGreaterThan(8);
    const four = await simRun('roots-in-fault-pre-2020', { ...sc.def.params, levels: 4 }, 300);
    expect(four.violation).toBeNull();
  });

  it('shared-gfn-cache-1x runs out of pages; no-prefetch-headroom runs out of descriptors', async () => {
    const shared = await simRun('shared-gfn-cache-1x', sc.def.params, 1000);
    expect(shared.violation?.message).toMatch(/mmu_shadow_page_cache is empty in /);
    const prefetch = await simRun('no-prefetch-headroom', sc.def.params, 1000);
    expect(prefetch.violation?.message).toMatch(/mmu_pte_list_desc_cache is empty in pte_list_add\(\)/);
  });
});
