/**
 * Lockdep: the rules on a fixture whose roles never overlap (so every verdict is
 * lockdep's, never a deadlock), a cycle across executions and its replay, documented
 * orders, and shrinker-vs-fault's reclaim cycle.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { ThreadsExecutor } from '../src/exec/threads.js';
import { loadScenario } from '../src/load/scenarios.js';
import { CASES } from './fixtures/lockdep-selftest.js';

const rules = await loadScenario(join(import.meta.dirname, 'fixtures', 'lockdep.ts'));
const selftest = await loadScenario(join(import.meta.dirname, 'fixtures', 'lockdep-selftest.ts'));
const svf = await loadScenario('shrinker-vs-fault');
const sim = new SimExecutor();
const threads = new ThreadsExecutor();
afterAll(async () => {
  await sim.close();
  await threads.close();
});

describe('lockdep rules', () => {
  for (const [variant, v] of Object.entries(rules.def.variants)) {
    for (const mode of ['sim', 'threads'] as const) {
      it(`${variant} in ${mode}: ${v.expect}`, async () => {
        const r = await run({ scenario: rules, variant, params: rules.def.params, mode, seed: 1, executions: 20, timeMs: null, sim, threads });
        expect(r.harnessError).toBeNull();
        expect(r.observed).toBe(v.expect);
      });
    }
  }

  it('a cycle whose halves come from different executions is found, and replays from the run\'s first seed', async () => {
    const params = { alternate: 1 };
    const r = await run({ scenario: rules, variant: 'abba', params, mode: 'sim', seed: 1, executions: 50, timeMs: null, sim });
    expect(r.violation?.kind).toBe('lock-order-cycle');
    const seed = r.violation?.seed ?? 0;
    expect(seed).toBeGreaterThan(1);
    expect(r.violation?.replayFrom).toBe(1);
    expect(r.violation?.details.join('\n')).toMatch(/execution seed \d+: holding lock_[ab]/);
    const again = await run({ scenario: rules, variant: 'abba', params, mode: 'sim', seed: 1, executions: seed, timeMs: null, sim });
    expect(again.violation?.seed).toBe(seed);
    expect(again.violation?.details).toEqual(r.violation?.details);
    // one execution alone never closes it
    const alone = await run({ scenario: rules, variant: 'abba', params, mode: 'sim', seed, executions: 1, timeMs: null, sim });
    expect(alone.violation).toBeNull();
  });

  it('a documented order is known before the first execution, and the report cites it', async () => {
    const r = await run({ scenario: rules, variant: 'documented', params: rules.def.params, mode: 'sim', seed: 1, executions: 1, timeMs: null, sim });
    expect(r.violation?.message).toBe('possible circular locking dependency: inner -> outer -> inner (breaks the documented order: test: outer is taken outside inner)');
    expect(r.violation?.details.join('\n')).toMatch(/-> #1 outer -> inner: documented: test: outer is taken outside inner/);
  });

  it('srcu: synchronize_srcu under a lock that a reader takes in its read section is a cycle through the SRCU class', async () => {
    const r = await run({ scenario: rules, variant: 'srcu-read-vs-sync', params: rules.def.params, mode: 'sim', seed: 1, executions: 1, timeMs: null, sim });
    expect(r.violation?.message).toMatch(/^possible circular locking dependency: (lock_a -> srcu -> lock_a|srcu -> lock_a -> srcu)$/);
    expect(r.violation?.details.join('\n')).toMatch(/takes srcu \(synchronize\)/);
  });

  it('--lockdep off: nothing is reported for orders that never deadlock', async () => {
    const r = await run({ scenario: rules, variant: 'abba', params: rules.def.params, mode: 'sim', seed: 1, executions: 20, timeMs: null, sim, lockdep: false });
    expect(r.violation).toBeNull();
  });
});

describe("lib/locking-selftest.c's cases: the verdict mainline's selftests expect", () => {
  for (const [variant, c] of Object.entries(CASES)) {
    const orders = c.events.length === 3 ? [0, 1, 2, 3, 4, 5] : c.events.length === 2 ? [0, 1] : [0];
    it(`${variant} (${c.recursive ? 'read_lock recursive' : 'queued read_lock'}), every order of its events: ${c.expect}`, async () => {
      for (const order of orders) {
        const params = { order, recursive: c.recursive };
        const r = await run({ scenario: selftest, variant, params, mode: 'sim', seed: 1, executions: 1, timeMs: null, sim });
        expect(r.harnessError).toBeNull();
        expect({ order, observed: r.observed }).toEqual({ order, observed: c.expect });
      }
    });
  }

  it('check_prevs_add() stops at an SRCU read section: A, srcu read, B records A -> srcu and srcu -> B, never A -> B', async () => {
    const r = await run({ scenario: selftest, variant: 'srcu_between_ABBA', params: { order: 0, recursive: 1 }, mode: 'sim', seed: 1, executions: 1, timeMs: null, sim });
    const edges = r.lockdep.map((d) => `${d.from} -(${d.held}${d.acq})-> ${d.to}`);
    expect(edges).toContain('mutex_A -(WR)-> srcu_A');
    expect(edges).toContain('srcu_A -(RW)-> mutex_B');
    expect(edges).toContain('mutex_B -(WW)-> mutex_A');
    expect(edges.filter((e) => e.startsWith('mutex_A -') && e.endsWith('mutex_B'))).toEqual([]);
  });

  it('past a trylock the walk goes on: the lock before it gets the edge too', async () => {
    const r = await run({ scenario: rules, variant: 'past-trylock', params: rules.def.params, mode: 'sim', seed: 1, executions: 1, timeMs: null, sim });
    const edges = r.lockdep.map((d) => `${d.from} -> ${d.to}`);
    expect(edges).toEqual(expect.arrayContaining(['lock_a -> inner', 'outer -> inner']));
  });
});

describe('shrinker-vs-fault under lockdep and reclaim', () => {
  it('shrinker-mutex-lock: reclaim -> kvm_lock -> the cache mutex -> reclaim, from an execution that did not deadlock', async () => {
    const r = await run({ scenario: svf, variant: 'shrinker-mutex-lock', params: svf.def.params, mode: 'sim', seed: 1, executions: 20, timeMs: null, sim });
    expect(r.violation?.kind).toBe('lock-order-cycle');
    for (const cls of ['fs_reclaim', 'kvm_lock', '&vcpu->arch.mmu_memory_cache_lock']) expect(r.violation?.message).toContain(cls);
  });

  it('cache-lock (trylock) stays clean under lockdep with direct reclaim, which really runs the shrinker in vCPUs', async () => {
    const params = { ...svf.def.params, pressure: 0.3 };
    const r = await run({ scenario: svf, variant: 'cache-lock', params, mode: 'sim', seed: 1, executions: 200, timeMs: null, sim });
    expect(r.violation).toBeNull();
    expect(r.stats['vcpu.direct-reclaims']).toBeGreaterThan(0);
    expect(r.stats['vcpu.shrinker-scans']).toBeGreaterThan(0);
  });

  it('shrinker-mutex-lock with direct reclaim forced and lockdep off: some executions self-deadlock, and the report says so', async () => {
    const params = { ...svf.def.params, pressure: 1 };
    const kinds: string[] = [];
    for (let seed = 1; seed <= 40 && !kinds.some((m) => m.includes('self-deadlock')); seed++) {
      const r = await run({ scenario: svf, variant: 'shrinker-mutex-lock', params, mode: 'sim', seed, executions: 1, timeMs: null, sim, lockdep: false });
      expect(r.violation?.kind).toBe('deadlock');
      kinds.push(r.violation?.message ?? '');
    }
    expect(kinds.find((m) => m.includes('self-deadlock'))).toMatch(/^deadlock: (vcpu\d) -> \1 \(a self-deadlock: \1 waits for a lock it holds itself/);
  });
});

describe('lockdep across a campaign', () => {
  it('the clean rows\' lock orders merge into one graph: halves of a cycle from two rows close it; rows that found a violation are left out', async () => {
    const { campaignLockdep } = await import('../src/cli/campaign.js');
    const half = async (variant: string, first: 0 | 1) => {
      // each run takes one of the two orders only: alone, each is clean
      const r = await run({ scenario: rules, variant, params: { alternate: 1 }, mode: 'sim', seed: first === 0 ? 2 : 1, executions: 1, timeMs: null, sim });
      return { ...r, expect: 'ok' };
    };
    const a = await half('abba', 0);
    const b = await half('abba', 1);
    expect([a.observed, b.observed]).toEqual(['ok', 'ok']);
    const merged = campaignLockdep([a, b]);
    expect(merged.cycle?.message).toMatch(/^possible circular locking dependency: lock_([ab]) -> lock_[ab] -> lock_\1$/);
    expect(merged.cycle?.details.join('\n')).toMatch(/\[lockdep-rules \/ abba \/ sim\] first0 \(role first\)/);
    expect(campaignLockdep([a, { ...b, observed: 'lock-order-cycle' }]).cycle).toBeNull();
    expect(campaignLockdep([a]).dependencies).toBe(1);
  });
});
