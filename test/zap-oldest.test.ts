/**
 * zap-oldest: what its verdicts say, in kernel terms, and where they do and do not
 * fire (every variant's expectation, in sim and on threads, is in variants-sim.test.ts and variants-threads.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { loadScenario } from '../src/load/scenarios.js';
import { NO_HOST_RATE } from './helpers.js';

const sc = await loadScenario('zap-oldest');
const variants = Object.entries(sc.def.variants);
const sim = new SimExecutor();
afterAll(() => sim.close());

const simRun = (variant: string, params = sc.def.params, executions = 300) =>
  run({ scenario: sc, variant, params, mode: 'sim', seed: 1, executions, timeMs: null, sim, rare: NO_HOST_RATE });

describe('zap-oldest in sim', () => {
  it('declares exactly reverse, forward and tdp-read-lock-zap', () => {
    expect(Object.fromEntries(variants.map(([k, v]) => [k, v.expect]))).toEqual({ reverse: 'ok', forward: 'zap-order', 'tdp-read-lock-zap': 'lock-not-held' });
  });

  it('reverse really recycles: make_mmu_pages_available() and the shrinker both zap, oldest first', async () => {
    const r = await simRun('reverse', sc.def.params, 50);
    expect(r.violation).toBeNull();
    expect(r.stats['vcpu.sp-zapped']).toBeGreaterThan(0);
    expect(r.stats['shrinker.shrinker-zapped']).toBeGreaterThan(0);
  });

  it('on shadow paging a zap takes the page alone: its children live on and kvm_mmu_get_shadow_page() finds them by gfn and role', async () => {
    const r = await simRun('reverse', { ...sc.def.params, tdpEnabled: 0, tdpMmu: 0 }, 100);
    expect(r.violation).toBeNull(); // parent_ptes and rmaps agree with the tables after every execution
    expect(r.stats['vcpu.sp-found']).toBeGreaterThan(0);
    expect(r.stats['vcpu.sp-alloc']).toBeGreaterThan(r.stats['vcpu.sp-found']);
  });

  it('under TDP a nested page left without a parent is zapped with it, so none is ever found again', async () => {
    const r = await simRun('reverse', sc.def.params, 100);
    expect(r.violation).toBeNull();
    expect(r.stats['vcpu.sp-zapped']).toBeGreaterThan(0);
    expect(r.stats['vcpu.sp-found']).toBeUndefined();
  });

  it('reverse stays clean with several VMs, 5 levels and shadow paging (tdpEnabled=0)', async () => {
    const r = await simRun('reverse', { ...sc.def.params, vms: 3, levels: 5, tdpEnabled: 0, tdpMmu: 0 }, 100);
    expect(r.violation).toBeNull();
    expect(r.stats['vcpu.sp-zapped']).toBeGreaterThan(0);
  });

  it('forward: the report names the page zapped and the older one that stayed', async () => {
    const r = await simRun('forward', sc.def.params, 1000);
    expect(r.violation?.message).toMatch(/kvm_mmu_zap_oldest_mmu_pages\(\) zaps shadow page #(\d+) \(level \d\) of the VM while the older #(\d+) \(level \d\) stays/);
    const [, picked, older] = /#(\d+) .* #(\d+)/.exec(r.violation?.message ?? '') ?? [];
    expect(Number(older)).toBeLessThan(Number(picked));
    expect(r.violation?.details.join('\n')).toContain('this walk went forward, from the head');
  });

  it('forward is caught by make_mmu_pages_available() alone, without the shrinker', async () => {
    const r = await simRun('forward', { ...sc.def.params, shrinkEvery: 0 }, 1000);
    expect(r.violation?.kind).toBe('zap-order');
    expect(r.violation?.role).toBe('vcpu');
  });

  it('tdp-read-lock-zap: the CVE-2022-45869 assertion fires in a vCPU holding mmu_lock for read', async () => {
    const r = await simRun('tdp-read-lock-zap', sc.def.params, 1000);
    expect(r.violation?.message).toMatch(/^vcpu\d: __kvm_mmu_prepare_zap_page\(\) requires mmu_lock held \(write\)$/);
    expect(r.violation?.locksHeld).toContain('mmu_lock (read)');
  });

  it('tdp-read-lock-zap with no nested guest zaps nothing, so nothing fires', async () => {
    const r = await simRun('tdp-read-lock-zap', { ...sc.def.params, nestedPercent: 0 }, 100);
    expect(r.violation).toBeNull();
  });
});
