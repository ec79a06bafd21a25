/**
 * arm64-memcache: Alexandru Elisei's three cases measured, what each verdict rests on,
 * and the window the granule check leaves when a fault straddles a dirty-logging update
 * (every variant's own expectation, in sim and on threads, is in variants-sim.test.ts and variants-threads.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { kvmMmuCacheMinPages } from '../src/arch/arm64/kvm/mmu.js';
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { type Params, variantParams } from '../src/scenario.js';
import { loadScenario } from '../src/load/scenarios.js';

const sc = await loadScenario('arm64-memcache');
const sim = new SimExecutor();
afterAll(() => sim.close());
// the stories below are read off the trace of the execution as found (a shrunk one tells it in fewer ops)
const simRun = (variant: string, params: Params = variantParams(sc.def, variant), executions = 500) =>
  run({ scenario: sc, variant, params, mode: 'sim', seed: 1, executions, timeMs: null, sim, shrink: false });
const RUNNING = 0;
const PAUSED = 1;

describe('arm64-memcache', () => {
  it('declares exactly the four variants of the issue', () => {
    expect(Object.fromEntries(Object.entries(sc.def.variants).map(([k, v]) => [k, v.expect]))).toEqual({
      mainline: 'ok',
      'granule-check': 'ok',
      'granule-check-under-lock': 'sleep-in-atomic',
      'no-topup-on-perm': 'cache-empty-under-lock',
    });
  });

  it('granule-check over the three cases: only fault_granule > vma_pagesize takes table pages, and it tops up', async () => {
    const r = await simRun('granule-check', { ...sc.def.params, logToggle: PAUSED });
    expect(r.violation).toBeNull();
    const s = r.stats;
    for (const c of ['eq', 'gt', 'lt']) expect((s[`vcpu.faults:trans-${c}`] ?? 0) + (s[`vcpu.faults:perm-${c}`] ?? 0)).toBeGreaterThan(0);
    expect((s['vcpu.pages:trans-gt'] ?? 0) + (s['vcpu.pages:perm-gt'] ?? 0)).toBeGreaterThan(0);
    for (const k of ['trans-eq', 'perm-eq', 'trans-lt', 'perm-lt']) expect(s[`vcpu.pages:${k}`]).toBeUndefined();
    expect(s['vcpu.block-splits']).toBeGreaterThan(0);
    expect(s['vcpu.collapsed-table-pages']).toBeGreaterThan(0); // case 3: logging off, tables collapse into blocks
    expect(s['vcpu.max-pages-per-fault']).toBe(kvmMmuCacheMinPages());
  });

  it('mainline stays clean with dirty logging toggled under running vCPUs: no fault takes a page it did not top up for', async () => {
    const r = await simRun('mainline', { ...sc.def.params, logToggle: RUNNING }, 2000);
    expect(r.violation).toBeNull();
    expect(r.stats['vcpu.pages-without-topup']).toBeUndefined();
  });

  it('granule-check with dirty logging toggled under running vCPUs: a fault judged == meets a block collapsed during the grace period', async () => {
    const r = await simRun('granule-check', { ...sc.def.params, logToggle: RUNNING }, 3000);
    expect(r.violation?.kind).toBe('cache-empty-under-lock');
    expect(r.violation?.details.join('\n')).toMatch(/nothing ever filled it/);
    const ops = (r.violation?.trace ?? []).map((l) => `${l.task} ${l.op}`);
    const victim = r.violation?.task;
    expect(ops.some((o) => o.startsWith(`${victim} user_mem_abort`) && /fault_granule (\w+)\), vma_pagesize \1.*no topup/.test(o))).toBe(true);
    expect(ops.some((o) => /collapses the level-\d table/.test(o))).toBe(true);
    expect(ops.some((o) => o.startsWith(`${victim} kvm_pgtable_stage2_map`) && o.includes('is in the way: split'))).toBe(true);
    expect(ops.some((o) => o.includes('KVM_MEM_LOG_DIRTY_PAGES'))).toBe(true);
  });

  it('no-topup-on-perm: a dirty-logging write fault splits a block with the memcache of a vCPU that never topped up', async () => {
    const r = await simRun('no-topup-on-perm');
    expect(r.violation?.kind).toBe('cache-empty-under-lock');
    const mine = (r.violation?.trace ?? []).filter((l) => l.task === r.violation?.task).map((l) => l.op);
    const abort = mine.filter((o) => o.startsWith('user_mem_abort')).at(-1);
    expect(abort).toMatch(/write\): permission fault at level \d .*\(dirty logging on\): no topup/);
  });

  it('granule-check-under-lock: the topup allocates under mmu_lock', async () => {
    const r = await simRun('granule-check-under-lock');
    expect(r.violation?.kind).toBe('sleep-in-atomic');
    expect(r.violation?.message).toMatch(/GFP_KERNEL_ACCOUNT allocation for vcpu\d\.mmu_page_cache may sleep while holding mmu_lock/);
  });

  it('the same seed replays the same violation at the same step', async () => {
    const a = await simRun('no-topup-on-perm');
    const b = await run({ scenario: sc, variant: 'no-topup-on-perm', params: sc.def.params, mode: 'sim', seed: a.violation?.seed ?? 0, executions: 1, timeMs: null, sim, shrink: false });
    expect(b.violation?.trace).toEqual(a.violation?.trace);
  });
});
