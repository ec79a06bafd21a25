/**
 * zap-oldest: every variant meets its `expect` in sim over fixed seeds and on real
 * threads, and the verdicts say what happened in kernel terms.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { ThreadsExecutor } from '../src/exec/threads.js';
import { loadScenario } from '../src/scenarios.js';

const sc = await loadScenario('zap-oldest');
const variants = Object.entries(sc.def.variants);
const sim = new SimExecutor();
const threads = new ThreadsExecutor();
afterAll(async () => {
  await sim.close();
  await threads.close();
});

const simRun = (variant: string, params = sc.def.params, executions = 300) =>
  run({ scenario: sc, variant, params, mode: 'sim', seed: 1, executions, timeMs: null, sim });

describe('zap-oldest in sim, fixed seeds', () => {
  it('declares exactly reverse, forward and tdp-read-lock-zap', () => {
    expect(Object.fromEntries(variants.map(([k, v]) => [k, v.expect]))).toEqual({ reverse: 'ok', forward: 'zap-order', 'tdp-read-lock-zap': 'lock-not-held' });
  });

  for (const [variant, v] of variants) {
    it(`${variant}: ${v.expect}`, async () => {
      const r = await simRun(variant, sc.def.params, v.expect === 'ok' ? 300 : 1000);
      expect(r.harnessError).toBeNull();
      expect(r.observed).toBe(v.expect);
      if (v.expect === 'ok') expect(r.executions).toBe(300);
    });
  }

  it('reverse really recycles: make_mmu_pages_available() and the shrinker both zap, oldest first', async () => {
    const r = await simRun('reverse', sc.def.params, 50);
    expect(r.violation).toBeNull();
    expect(r.stats['vcpu.sp-zapped']).toBeGreaterThan(0);
    expect(r.stats['shrinker.shrinker-zapped']).toBeGreaterThan(0);
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

describe('zap-oldest on real threads', () => {
  for (const [variant, v] of variants) {
    it(`${variant}: ${v.expect}`, async () => {
      const r = await run({
        scenario: sc,
        variant,
        params: sc.def.params,
        mode: 'threads',
        seed: 1,
        // a clean variant runs 200 executions or 3 s; a violating one must be caught (the 90 s cap
        // turns a regression into a failed expectation, not a timeout)
        executions: v.expect === 'ok' ? 200 : 5000,
        timeMs: v.expect === 'ok' ? 3000 : 90_000,
        threads,
      });
      expect(r.harnessError).toBeNull();
      expect(r.observed).toBe(v.expect);
    });
  }
});
