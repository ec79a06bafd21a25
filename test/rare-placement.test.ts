/**
 * Rare events as a search dimension (issue 21): forced placement finds a bug that needs a
 * rare event where the host-rate coins do not, its token replays the placements exactly,
 * and its importance weights give the host-rate figure plain sampling gives. Fixed seeds
 * and budgets in executions only, never time.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runScenario } from '../src/api.js';
import { estimateHostRate, hostRate } from '../src/exec/host-rate.js';
import { ForcedRare, placementLevels } from '../src/exec/rare.js';
import { configOf, run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { parseGuideToken } from '../src/exec/strategies/guided.js';
import { type RareEvent, rare } from '../src/rt/rare.js';
import type { Task } from '../src/rt/task.js';
import { type LoadedScenario, loadScenario } from '../src/load/scenarios.js';
import { type Params, variantParams } from '../src/scenario.js';

const sim = new SimExecutor();
afterAll(async () => {
  await sim.close();
});

const REALISTIC = { dirtyLogEvery: 1000, memslotEvery: 1000 };

async function simRun(sc: LoadedScenario, variant: string, extra: Params, executions: number, seed: number, rare: 'forced' | 'sampled', hostRateN = 0) {
  const base = configOf({ scenario: sc, variant, params: {}, mode: 'sim', seed, executions, timeMs: null });
  return run({
    scenario: sc,
    variant,
    params: { ...variantParams(sc.def, variant), ...extra },
    mode: 'sim',
    seed,
    executions,
    timeMs: null,
    sim,
    shrink: false,
    rare: { ...base.rare, mode: rare, hostRate: hostRateN },
  });
}

describe('forced placement', () => {
  it('finds lazy-rmaps flag-before-alloc at realistic rates within 200 executions where the host-rate coins find nothing in as many', { timeout: 300_000 }, async () => {
    const sc = await loadScenario('lazy-rmaps');
    for (const seed of [200_000, 300_000]) {
      const forced = await simRun(sc, 'flag-before-alloc', REALISTIC, 200, seed, 'forced');
      expect(forced.observed).toBe('use-before-publish');
      expect(forced.rare?.mode).toBe('forced');
      // the finding's execution placed its events: the dirty-log sync happened in it
      expect(forced.rare?.findingPlaced?.some(([e]) => e === 'dirty-log-sync')).toBe(true);
      const sampled = await simRun(sc, 'flag-before-alloc', REALISTIC, 200, seed, 'sampled');
      expect(sampled.observed).toBe('ok');
      expect(sampled.rare?.mode).toBe('sampled');
    }
  });

  it("a forced finding's token lists its placements and replays to the same violation at the same op", { timeout: 300_000 }, async () => {
    const found = await runScenario({ scenario: 'lazy-rmaps', variant: 'flag-before-alloc', params: REALISTIC, seed: 200_000, executions: 200, jobs: 1, hostRate: 0 });
    expect(found.exitCode).toBe(1);
    const token = (found.shrink as { token: string }).token;
    const guide = parseGuideToken(token);
    expect(typeof guide).toBe('object');
    expect((guide as { rare?: unknown[] }).rare?.length).toBeGreaterThan(0);
    const replayed = await runScenario({ scenario: 'lazy-rmaps', variant: 'flag-before-alloc', params: REALISTIC, schedule: token });
    expect(replayed.exitCode).toBe(1);
    const a = found.violations?.[0];
    const b = replayed.violations?.[0];
    expect(b?.kind).toBe(a?.kind);
    expect(b?.message).toBe(a?.message);
    expect(b?.step).toBe(a?.step);
    // without its placements the same schedule is another execution: the list is what makes it exact
    const bare = token.slice(0, token.indexOf('.r'));
    const without = await runScenario({ scenario: 'lazy-rmaps', variant: 'flag-before-alloc', params: REALISTIC, schedule: bare });
    expect(`${without.violations?.[0]?.message}@${without.violations?.[0]?.step}`).not.toBe(`${a?.message}@${a?.step}`);
    // placements of an event the scenario does not have: the token does not fit (exit 2, naming it), not a clean run
    const alien = bare + token.slice(token.indexOf('.r')).replace(/(dirty-log-sync|memslot-update)\+/g, 'nosuch-event+');
    const departed = await runScenario({ scenario: 'lazy-rmaps', variant: 'flag-before-alloc', params: REALISTIC, schedule: alien });
    expect(departed.exitCode).toBe(2);
    expect(departed.error?.message).toContain("the token places rare event 'nosuch-event', which this execution did not meet");
  });

  it('--rare-horizons with a name no execution asked about is bad input (exit 2, naming it and the events met); the right name runs', { timeout: 120_000 }, async () => {
    const base = { scenario: 'shrinker-vs-fault', variant: 'no-cache-lock', params: { shrinkEvery: 1000 }, executions: 20, shrink: false, hostRate: 0 };
    const typo = await runScenario({ ...base, rareHorizons: 'kswap-wake=16' });
    expect(typo.exitCode).toBe(2);
    expect(typo.error?.kind).toBe('bad-input');
    expect(typo.error?.message).toBe("--rare-horizons names 'kswap-wake', which no execution of this run asked about (shrinker-vs-fault / no-cache-lock asked about kswapd-wake)");
    const right = await runScenario({ ...base, rareHorizons: 'kswapd-wake=16' });
    expect(right).toMatchObject({ exitCode: 1, observed: 'cache-empty-under-lock' });
  });
});

describe('the host-rate estimate', () => {
  it('agrees with plain sampling on shrinker-vs-fault no-cache-lock at shrinkEvery=100 (both 95% intervals overlap, each near the other)', { timeout: 300_000 }, async () => {
    const sc = await loadScenario('shrinker-vs-fault');
    const limits = { until: null, executionLimitMs: 120_000, watchdogMs: 20_000 };
    const params = { ...variantParams(sc.def, 'no-cache-lock'), shrinkEvery: 100 };
    const of = (mode: 'forced' | 'sampled') => {
      const c = configOf({ scenario: sc, variant: 'no-cache-lock', params, mode: 'sim', seed: 1, executions: 1, timeMs: null });
      return { ...c, rare: { ...c.rare, mode, hostRate: 600 } };
    };
    const forced = await estimateHostRate(sim, of('forced'), sc, 'cache-empty-under-lock', limits);
    const plain = await estimateHostRate(sim, of('sampled'), sc, 'cache-empty-under-lock', limits);
    expect(forced.method).toBe('forced');
    expect(plain.method).toBe('sampled');
    expect(forced.executions).toBe(600);
    expect(plain.executions).toBe(600);
    // forced placement hits far more often than the host does, and the weights bring it back
    expect(forced.hits).toBeGreaterThan(3 * plain.hits);
    expect(plain.hits).toBeGreaterThan(10);
    expect(forced.low).toBeLessThanOrEqual(plain.high);
    expect(plain.low).toBeLessThanOrEqual(forced.high);
    expect(forced.probability / plain.probability).toBeGreaterThan(0.6);
    expect(forced.probability / plain.probability).toBeLessThan(1.6);
    expect(forced.events.map((e) => `${e.param}=${e.every}`)).toEqual(['shrinkEvery=100']);
  });

  it('the weights are exact: over many forced executions of a synthetic event they average 1, and reweight a placed count to its binomial probability', () => {
    const ev: RareEvent = { name: 'tick', what: 'a tick', per: 'steps', param: 'tickEvery' };
    const task = { rng: () => 0.5 };
    const H = 60;
    const every = 40;
    const n = 20_000;
    let sumW = 0;
    let sumW2 = 0;
    let none = 0;
    for (let seed = 1; seed <= n; seed++) {
      const f = new ForcedRare(seed, { tick: H }, null);
      let fired = 0;
      for (let j = 0; j < H; j++) if (f.happens(ev, every, task as never)) fired++;
      const w = Math.exp(f.note().logWeight ?? 0);
      sumW += w;
      sumW2 += w * w;
      if (fired === 0) none += w;
    }
    const mean = sumW / n;
    const se = Math.sqrt((sumW2 / n - mean * mean) / n);
    expect(Math.abs(mean - 1)).toBeLessThan(4 * se + 1e-3);
    // P(no tick in H) at the host rate
    expect(none / n).toBeCloseTo((1 - 1 / every) ** H, 1);
    expect(placementLevels(60, null)).toEqual([1, 2, 4, 8, 16, 32, 60]);
    expect(placementLevels(60, 3)).toEqual([1, 2, 3]);
  });

  it('the interval: plain sampling gives Wilson, forced the weighted normal one, and a run prints the line', () => {
    const h = hostRate(
      Array.from({ length: 100 }, (_, k) => ({ hit: k < 10 })),
      'x',
      'sampled',
    );
    expect(h.probability).toBeCloseTo(0.1);
    expect(h.low).toBeGreaterThan(0.05);
    expect(h.high).toBeLessThan(0.18);
    expect(h.oneIn).toBeCloseTo(10);
  });
});

describe('the rare-event seam checks what a scenario gives it', () => {
  it("a name a replay token cannot carry, or a rate that is not one in a whole number, is the scenario's mistake (thrown in its role)", () => {
    const task = { hooks: {}, rng: () => 0.5 } as unknown as Task;
    const event = (name: string): RareEvent => ({ name, what: 'a flush', per: 'writes', param: 'flushEvery' });
    expect(() => rare(task, event('Stats Flush!'), 10)).toThrow(/the event name 'Stats Flush!' must be lower case letters, digits and '-'/);
    expect(() => rare(task, event('stats-flush'), 0.5)).toThrow(/the rate of 'stats-flush' is one in 0\.5: give a whole number/);
    expect(() => rare(task, event('stats-flush'), 0)).toThrow(/whole number/);
    expect(rare(task, event('stats-flush'), 1)).toBe(true);
    expect(rare(task, event('stats-flush'), 10)).toBe(false); // the task's coin: 0.5 * 10 is not below 1
  });
});
