/**
 * Rare events as parameters (issue 7): the rate knobs of the scenarios' rare roles. Each
 * is validated (a bad value is bad input, exit 2, one line), off by default (the role keeps
 * its own pace, so every variant's expectation at the defaults is unchanged; see
 * variants-sim.test.ts and variants-threads.test.ts), paces its role as its help says, and with a rare setting the bug
 * variants are still found in sim. Fixed seeds and execution counts only, never time.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runScenario } from '../src/api.js';
import { configOf, run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { type Params, variantParams } from '../src/scenario.js';
import { type LoadedScenario, loadScenario } from '../src/load/scenarios.js';
import { cli } from './cli-helpers.js';

const sim = new SimExecutor();
afterAll(async () => {
  await sim.close();
});

const scenarios = new Map<string, LoadedScenario>();
async function scenario(name: string): Promise<LoadedScenario> {
  let sc = scenarios.get(name);
  if (!sc) {
    sc = await loadScenario(name);
    scenarios.set(name, sc);
  }
  return sc;
}

/**
 * A sim run (random strategy) of `variant` with its default parameters and `extra` over them;
 * `sampled`: each rare event a coin at its host rate, not placed (issue 21 made forced placement the default).
 */
async function simRun(name: string, variant: string, extra: Params, executions: number, seed = 1, rare: 'forced' | 'sampled' = 'forced') {
  const sc = await scenario(name);
  const params = { ...variantParams(sc.def, variant), ...extra };
  const c = configOf({ scenario: sc, variant, params, mode: 'sim', seed, executions, timeMs: null });
  return run({ scenario: sc, variant, params, mode: 'sim', seed, executions, timeMs: null, sim, rare: { ...c.rare, mode: rare, hostRate: 0 } });
}

/** Every new knob: its scenario, and its default (0: the role keeps its own pace). */
const KNOBS: [scenario: string, knob: string][] = [
  ['lazy-rmaps', 'memslotEvery'],
  ['lazy-rmaps', 'dirtyLogEvery'],
  ['lazy-rmaps', 'nestedEvery'],
  ['kvm-lock-order', 'memslotEvery'],
  ['kvm-lock-order', 'nestedEvery'],
  ['arm64-memcache', 'toggleEvery'],
  ['topup-minimums', 'memslotEvery'],
];

describe('rare-event knobs: declared, off by default, validated', () => {
  it.each(KNOBS)('%s declares %s, default 0, with help saying what a real host does', async (name, knob) => {
    const sc = await scenario(name);
    expect(sc.def.params[knob]).toBe(0);
    expect(sc.def.paramHelp[knob]).toMatch(/^.+ \(0: .+; 1\.\.1000000.*\)\. A real .+/);
    for (const v of Object.values(sc.def.variants)) expect(v.params?.[knob] ?? 0).toBe(0);
  });

  it.each(KNOBS)('%s rejects a bad %s as bad input (exit 2) with one line', { timeout: 30_000 }, async (name, knob) => {
    for (const bad of [-1, 1.5, 1_000_001]) {
      const r = await runScenario({ scenario: name, executions: 1, params: { [knob]: bad } });
      expect(r.exitCode).toBe(2);
      expect(r.error?.message).toMatch(new RegExp(`${knob} must be a whole number in 0\\.\\.1000000`));
      expect(r.error?.message).not.toMatch(/\n/);
    }
    // the edges are accepted
    for (const good of [0, 1_000_000]) expect((await runScenario({ scenario: name, executions: 1, params: { [knob]: good } })).exitCode).not.toBe(2);
  });

  it('the command line says so in one line and exits 2', { timeout: 60_000 }, () => {
    const r = cli(['run', 'lazy-rmaps', '--param', 'memslotEvery=-5']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/memslotEvery must be a whole number in 0\.\.1000000/);
    expect(r.out).toBe('');
  });
});

// the host rate: what `--param xEvery=N` means, drawn as coins (`--rare sampled`)
describe('rare-event knobs pace their roles by the guest work', () => {
  it('lazy-rmaps memslotEvery and dirtyLogEvery: about one update per N faults, against hundreds at the VMM\'s own pace', { timeout: 60_000 }, async () => {
    const updates = (s: Record<string, number>) =>
      ['KVM_MR_CREATE', 'KVM_MR_MOVE', 'KVM_MR_DELETE'].reduce((n, k) => n + (s[`vmm.${k}`] ?? 0) + (s[`vmm.${k}-ENOMEM`] ?? 0), 0);
    const faults = (s: Record<string, number>) => ['tdp-faults', 'shadow-faults', 'faults-retried', 'faults-mmio'].reduce((n, k) => n + (s[`vcpu.${k}`] ?? 0), 0);
    const own = await simRun('lazy-rmaps', 'merged', {}, 100, 1, 'sampled');
    const paced = await simRun('lazy-rmaps', 'merged', { memslotEvery: 100, dirtyLogEvery: 200 }, 100, 1, 'sampled');
    expect(own.violation).toBeNull();
    expect(paced.violation).toBeNull();
    const f = faults(paced.stats);
    expect(f).toBe(100 * 2 * 100);
    // a request arriving while one is pending merges with it, and a create with no free range is skipped: at most f/N
    expect(updates(paced.stats)).toBeGreaterThan(0.4 * (f / 100));
    expect(updates(paced.stats)).toBeLessThan(1.3 * (f / 100));
    expect(paced.stats['dirty-log.get-dirty-log']).toBeGreaterThan(0.4 * (f / 200));
    expect(paced.stats['dirty-log.get-dirty-log']).toBeLessThan(1.3 * (f / 200));
    expect(updates(own.stats)).toBeGreaterThan(3 * updates(paced.stats));
  });

  it('lazy-rmaps nestedEvery: the first shadow root comes in 1-(1-1/N)^faults of the executions, not in all', { timeout: 60_000 }, async () => {
    expect((await simRun('lazy-rmaps', 'merged', {}, 200, 1, 'sampled')).stats['vcpu.first-shadow-root-alloc']).toBe(200);
    const r = await simRun('lazy-rmaps', 'merged', { nestedEvery: 100 }, 200, 1, 'sampled');
    expect(r.violation).toBeNull();
    const expected = 200 * (1 - (1 - 1 / 100) ** 100); // 127
    expect(r.stats['vcpu.first-shadow-root-alloc']).toBeGreaterThan(expected - 30);
    expect(r.stats['vcpu.first-shadow-root-alloc']).toBeLessThan(expected + 30);
  });

  it('arm64-memcache toggleEvery: about one dirty-logging toggle per N guest accesses', { timeout: 60_000 }, async () => {
    const r = await simRun('arm64-memcache', 'mainline', { toggleEvery: 50 }, 100, 1, 'sampled');
    expect(r.violation).toBeNull();
    const toggles = (r.stats['vmm.logging-on'] ?? 0) + (r.stats['vmm.logging-off'] ?? 0);
    const accesses = 100 * 2 * 100;
    expect(toggles).toBeGreaterThan(0.4 * (accesses / 50));
    expect(toggles).toBeLessThan(1.3 * (accesses / 50));
  });

  it('topup-minimums memslotEvery: about one kvm_mmu_zap_all_fast per N faults, and the VMM runs without zapAllEvery', { timeout: 60_000 }, async () => {
    const r = await simRun('topup-minimums', 'current', { memslotEvery: 200, zapAllEvery: 0 }, 30, 1, 'sampled');
    expect(r.violation).toBeNull();
    const faults = 30 * 2 * 200;
    expect(r.stats['vmm.zap-all']).toBeGreaterThan(0.4 * (faults / 200));
    expect(r.stats['vmm.zap-all']).toBeLessThan(1.3 * (faults / 200));
  });
});

/** [scenario, variant, the rare setting, executions within which seed 1's run must find it] */
const FOUND: [string, string, Params, number][] = [
  ['lazy-rmaps', 'memslot-without-arch-lock', { memslotEvery: 1000 }, 5000],
  ['lazy-rmaps', 'flag-before-alloc', { memslotEvery: 1000 }, 1000],
  ['lazy-rmaps', 'flag-before-alloc', { dirtyLogEvery: 100 }, 3000],
  ['lazy-rmaps', 'flag-before-alloc', { nestedEvery: 1000 }, 2000],
  ['lazy-rmaps', 'memslot-without-arch-lock', { nestedEvery: 1000 }, 2000],
  ['kvm-lock-order', 'abba-arch-vs-mmu', { memslotEvery: 1000, nestedEvery: 1000 }, 500],
  ['kvm-lock-order', 'arch-lock-across-srcu-sync', { memslotEvery: 1000, nestedEvery: 1000 }, 500],
  ['arm64-memcache', 'no-topup-on-perm', { toggleEvery: 1000 }, 3000],
  ['topup-minimums', 'roots-in-fault-pre-2020', { memslotEvery: 1000 }, 500],
  ['topup-minimums', 'shared-gfn-cache-1x', { memslotEvery: 1000 }, 1000],
];

describe('with rare events the bug variants are still found in sim', () => {
  it.each(FOUND)('%s / %s with %j', { timeout: 120_000 }, async (name, variant, rare, executions) => {
    const sc = await scenario(name);
    const r = await simRun(name, variant, rare, executions);
    expect(r.observed).toBe(sc.def.variants[variant].expect);
  });

  it('the correct variants stay clean with the same rare settings', { timeout: 120_000 }, async () => {
    for (const [name, variant, rare] of [
      ['lazy-rmaps', 'merged', { memslotEvery: 1000, dirtyLogEvery: 100, nestedEvery: 1000 }],
      ['kvm-lock-order', 'documented', { memslotEvery: 1000, nestedEvery: 1000 }],
      ['kvm-lock-order', 'kvm-usage-lock', { memslotEvery: 1000, nestedEvery: 1000 }],
      ['arm64-memcache', 'mainline', { toggleEvery: 1000 }],
      ['arm64-memcache', 'granule-check', { toggleEvery: 1000 }],
      ['topup-minimums', 'current', { memslotEvery: 1000 }],
      ['topup-minimums', 'pre-2020', { memslotEvery: 1000 }],
    ] as [string, string, Params][]) {
      const r = await simRun(name, variant, rare, 100); // as many as a campaign sim row runs: each places its rare events
      expect(`${name} / ${variant}: ${r.observed}`).toBe(`${name} / ${variant}: ok`);
    }
  });
});
