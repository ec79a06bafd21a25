/**
 * dfs's reductions (docs/exploration.md, "dfs reductions"): footprints where unread adds
 * commute and a zero test commutes with a write that keeps the word zero or nonzero, and
 * `--reduction merge`, which merges steps no other task can tell apart (a topup's fill
 * loop on a cache nobody else can change meanwhile, a step that touched no shared word).
 * Each must keep every verdict the unreduced search reaches; budgets are in schedules.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { missedStates, type Step } from './random-programs.js';
import { FootprintMemory, independent } from '../src/exec/footprint.js';
import { violationSignature } from '../src/exec/shrink.js';
import { simExecution } from '../src/exec/sim.js';
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { type DfsReduction, DfsStrategy, dfsText } from '../src/exec/strategies/dfs.js';
import { loadScenario } from '../src/load/scenarios.js';
import { runText } from '../src/report/text.js';
import { type ScenarioDef, variantParams } from '../src/scenario.js';
import type { Arena } from '../src/shm/arena.js';
import { ObjectPool } from '../src/shm/pool.js';
import { KvmMmuMemoryCache, kvmMmuEmptyMemoryCache, kvmMmuTopupMemoryCache } from '../src/virt/kvm/memory-cache.js';

const sc = await loadScenario('shrinker-vs-fault');
const sim = new SimExecutor();
afterAll(() => sim.close());

/** Two ops on a fresh arena of 8 words: the footprint of each, run one after the other. */
function footprints(a: (m: FootprintMemory, i32: Int32Array) => void, b: (m: FootprintMemory, i32: Int32Array) => void, init: number[] = []) {
  const i32 = new Int32Array(new SharedArrayBuffer(32));
  init.forEach((v, k) => {
    i32[k] = v;
  });
  const m = new FootprintMemory();
  m.watch(i32, 0);
  a(m, i32);
  const x = m.take();
  b(m, i32);
  const y = m.take();
  m.unwatch();
  return { x, y };
}

/** Every outcome of the whole bounded search (it goes on past violations): the tasks' counts and the verdict. */
function outcomes(variant: string, params: Record<string, number>, preemptions: number, reduction: DfsReduction, statsToo: boolean) {
  const d = new DfsStrategy(preemptions, reduction);
  const seen = new Set<string>();
  for (;;) {
    const r = simExecution(sc.def, { ...variantParams(sc.def, variant), ...params }, variant, 1, d);
    d.finished(r.pruned === true);
    // lock waits are counted in scheduling steps, a clock two equivalent schedules run differently
    const counted = statsToo ? JSON.stringify(r.stats, (k, v) => (k.includes('wait') ? undefined : v)) : '';
    if (!r.pruned) seen.add(`${counted} ${r.violation ? violationSignature(r.violation) : 'ok'}`);
    if (!d.advance()) break;
  }
  return { seen: [...seen].sort(), ...d.result() };
}

describe('dfs footprints', () => {
  it('two adds whose result is unread commute; an add against a read, or two adds whose result is read, do not', () => {
    const blind = footprints(
      (m, a) => m.addUnread(a, 3, 1),
      (m, a) => m.addUnread(a, 3, 1),
    );
    expect(independent(blind.x, blind.y)).toBe(true);
    const read = footprints(
      (m, a) => m.addUnread(a, 3, 1),
      (m, a) => m.load(a, 3),
    );
    expect(independent(read.x, read.y)).toBe(false);
    const used = footprints(
      (m, a) => m.add(a, 3, 1),
      (m, a) => m.add(a, 3, 1),
    );
    expect(independent(used.x, used.y)).toBe(false);
  });

  it('a read only tested against zero commutes with a write that keeps the word nonzero, not with one that empties or fills it', () => {
    const test = (m: FootprintMemory, a: Int32Array) => {
      m.load(a, 2);
      m.zeroTested(a, 2);
    };
    const keeps = footprints(test, (m, a) => m.store(a, 2, 4), [0, 0, 5]);
    expect(independent(keeps.x, keeps.y)).toBe(true);
    const empties = footprints(test, (m, a) => m.store(a, 2, 0), [0, 0, 1]);
    expect(independent(empties.x, empties.y)).toBe(false);
    const fills = footprints(test, (m, a) => m.store(a, 2, 40), [0, 0, 0]);
    expect(independent(fills.x, fills.y)).toBe(false);
    // the same write against a read of the value itself: a conflict
    const full = footprints((m, a) => m.load(a, 2), (m, a) => m.store(a, 2, 4), [0, 0, 5]);
    expect(independent(full.x, full.y)).toBe(false);
    // several writes in one op: what counts is the word before the op and after it
    const through = footprints(test, (m, a) => {
      m.store(a, 2, 0);
      m.store(a, 2, 7);
    }, [0, 0, 5]);
    expect(independent(through.x, through.y)).toBe(true);
  });
});

describe('dfs --reduction merge on random programs', () => {
  it('on 400 random three-task programs of loads, zero tests, stores, unread adds, local steps and IDLEs, merge reaches every final state the full search reaches, at bounds 0, 1 and 2', () => {
    const program = (draw: (k: number) => number): Step[] =>
      Array.from({ length: 1 + draw(4) }, (): Step => {
        const r = draw(9);
        const v = draw(2);
        return r === 0 ? 'idle' : r === 1 ? 'local' : r < 4 ? { load: v } : r < 5 ? { test: v } : r < 7 ? { store: v } : r < 8 ? { add: v } : { store: v };
      });
    // a store of 0 or a nonzero value: some stores empty a word a zero test looks at
    expect(missedStates(400, 7, program, (t, i, local) => (t + i + local) % 3, 'merge')).toBe(0);
  }, 300_000);
});

describe('dfs --reduction merge', () => {
  it('reaches every outcome (counts and verdict) the unreduced search reaches, in fewer schedules than sleep sets alone', () => {
    for (const variant of ['cache-lock', 'no-cache-lock']) {
      const small = { vcpus: 1, faults: 2 };
      const merged = outcomes(variant, small, 1, 'merge', true);
      const sleep = outcomes(variant, small, 1, 'sleep', true);
      const full = outcomes(variant, small, 1, 'none', true);
      expect(merged.seen).toEqual(full.seen);
      expect(full.seen.length).toBeGreaterThan(5); // many outcomes: not a trivial comparison
      expect(merged.schedules).toBeLessThan(sleep.schedules);
      expect(merged.merged).toBeGreaterThan(0);
      expect(merged.exhausted).toBe(true);
    }
  }, 300_000);

  it('two vCPUs: the buggy variant\'s verdicts are those of sleep sets alone (which reach those of the unreduced search: dfs.test.ts)', () => {
    // (cache-lock's every outcome is compared above. lock-after-topup is left out: it tops up
    // before taking the mutex, so its fills stay unmerged while the trylocking shrinker's caches
    // are 'guarded', and merge searches it much as sleep sets do, at the cost of no-cache-lock's.)
    for (const variant of ['no-cache-lock']) {
      const scope = { vcpus: 2, faults: 1, nestedPercent: 0 }; // no nested guest: half the schedules, the same race
      const merged = outcomes(variant, scope, 1, 'merge', false);
      const full = outcomes(variant, scope, 1, 'sleep', false);
      expect(merged.seen).toEqual(full.seen);
      expect(merged.seen.some((o) => o.includes('cache-empty-under-lock'))).toBe(true);
    }
  }, 600_000);

  it("a cache's declared sharing is checked: another task emptying a private cache is no error (a user's shrinker may), but voids the merged search's proof", () => {
    type W = { mc: KvmMmuMemoryCache };
    const def = {
      name: 'private-cache',
      description: '',
      params: {},
      paramHelp: {},
      variants: { v: { expect: 'ok', source: '', summary: '' } },
      setup: (arena: Arena) => {
        const mc = new KvmMmuMemoryCache(arena, 'vcpu0.c', 'c', new ObjectPool(arena, 'page', 64, 0), 'vcpu0');
        mc.sharing = 'private';
        return { mc };
      },
      roles: {
        owner: { count: () => 1, *run(w: W) { yield* kvmMmuTopupMemoryCache(w.mc, 1); } },
        other: { count: () => 1, *run(w: W) { yield* kvmMmuEmptyMemoryCache(w.mc); } },
      },
      check: () => null,
    } as unknown as ScenarioDef<W>;
    // dfs runs the owner first (its first option), so the other task empties a cache the owner filled
    const d = new DfsStrategy(0, 'merge');
    do {
      const r = simExecution(def, {}, 'v', 1, d);
      expect(r.scenarioError).toBeUndefined();
      d.finished(r.pruned === true);
    } while (d.advance());
    const sum = d.result();
    expect(sum.exhausted).toBe(true);
    expect(sum.brokenSharing).toBeGreaterThan(0);
    expect(sum.brokenSharingNote).toMatch(/vcpu0\.c is declared private to vcpu0, but other\S* empties it/);
    const text = dfsText(sum, 1, false, {}).join('\n');
    expect(text).not.toContain('bounded space exhausted');
    expect(text).toContain('NOT a proof');
  });

  it('a pool that runs dry during a topup voids the proof of a merged search, and says so', () => {
    type W = { mcs: KvmMmuMemoryCache[] };
    const def = {
      name: 'dry-pool',
      description: '',
      params: {},
      paramHelp: {},
      variants: { v: { expect: 'ok', source: '', summary: '' } },
      setup: (arena: Arena) => {
        // two private caches of 40 over a pool of 50: whichever fills second runs dry
        const pool = new ObjectPool(arena, 'page', 50, 0);
        const mcs = [0, 1].map((k) => new KvmMmuMemoryCache(arena, `vcpu${k}.c`, 'c', pool, `vcpu${k}`));
        for (const mc of mcs) mc.sharing = 'private';
        return { mcs };
      },
      roles: {
        vcpu: { count: () => 2, *run(w: W, t: { index: number }) { yield* kvmMmuTopupMemoryCache(w.mcs[t.index], 1); } },
      },
      check: () => null,
    } as unknown as ScenarioDef<W>;
    const d = new DfsStrategy(1, 'merge');
    do d.finished(simExecution(def, {}, 'v', 1, d).pruned === true);
    while (d.advance());
    const sum = d.result();
    expect(sum.exhausted).toBe(true);
    expect(sum.dryFills).toBeGreaterThan(0);
    const text = dfsText(sum, 1, false, {}).join('\n');
    expect(text).not.toContain('bounded space exhausted');
    expect(text).toContain('NOT a proof');
  });

  it("an exhausted search's proof line names the memory model it holds under, and a scenario without parameters", async () => {
    // a clean dfs proof under sc says nothing of weak memory's reorderings: the line used to omit which it was
    // (and end on a bare 'params', and credit weak memory's unreduced search to a --reduction none never given)
    const mp = await loadScenario(join(import.meta.dirname, 'fixtures', 'mp-weak.ts'));
    const text = async (memory: 'sc' | 'weak') => {
      const r = await run({ scenario: mp, variant: 'wmb-rmb', params: {}, mode: 'sim', seed: 1, executions: null, timeMs: null, sim, memory, strategy: { name: 'dfs', preemptions: 0, reduction: memory === 'weak' ? 'none' : 'merge' } });
      return runText(r, { replay: null, limitFlags: { time: '--time', 'execution-limit': '--execution-limit' } });
    };
    const sc = await text('sc');
    expect(sc).toMatch(/^bounded space exhausted: \d+ schedules, preemptions ≤ 0, seed 1, reduction merge, memory sc, params \(none\)$/m);
    expect(sc).toContain('under sequentially consistent memory (--memory sc)');
    const weak = await text('weak');
    expect(weak).toMatch(/^bounded space exhausted: \d+ schedules, preemptions ≤ 0, seed 1, reduction none, memory weak, params \(none\)$/m);
    expect(weak).toContain('no reduction (weak memory:');
    expect(weak).not.toContain('--reduction none');
  }, 30_000);

  it('finds the no-cache-lock bug at one preemption, two vCPUs and two faults each', async () => {
    const r = await run({
      scenario: sc,
      variant: 'no-cache-lock',
      params: { ...variantParams(sc.def, 'no-cache-lock'), vcpus: 2, faults: 2 },
      mode: 'sim',
      seed: 1,
      executions: 5000,
      timeMs: null,
      sim,
      strategy: { name: 'dfs', preemptions: 1, reduction: 'merge' },
    });
    expect(r.observed).toBe('cache-empty-under-lock');
  }, 120_000);
});
